package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.Weights;
import picocli.CommandLine.Option;

/** {@code --backend} and {@code --threads}: which engine runs the forward pass. */
final class EngineOptions {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "auto, cpu or reference (default: ${DEFAULT-VALUE}: the fastest available).")
    String backend;

    @Option(names = "--threads", paramLabel = "T", description = "CPU threads (default: every core).")
    Integer threads;

    Engine open(Weights weights, boolean announce) {
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) throw new NeuroscanException("--threads must be at least 1");
        Engine e = switch (backend) {
            case "auto", "cpu" -> new CpuEngine(weights, t);
            case "reference" -> new ReferenceEngine(weights);
            default -> throw new NeuroscanException("--backend " + backend + " is not one of auto, cpu, reference");
        };
        if (announce) System.err.println("neuroscan: engine " + e.describe());
        return e;
    }
}
