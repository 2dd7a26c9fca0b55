package neuroscan.engine.gpu.graph;

/** When a graph's transfer runs (TornadoVM's names): once, on the plan's first execution, or on every one. */
public enum DataTransferMode {
    /** Weights and other inputs that do not change: copied on the first {@link ExecutionPlan#execute()} only. */
    FIRST_EXECUTION,
    /** Per-execution data (a batch's tokens; results): copied every time. */
    EVERY_EXECUTION
}
