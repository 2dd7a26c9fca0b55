package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.KernelSources;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A {@link TaskGraph} frozen by {@link TaskGraph#snapshot()}: what an {@link ExecutionPlan} runs. */
public record ImmutableTaskGraph(String name, List<Step> steps) {
    /** One step: a transfer or a task. */
    public sealed interface Step permits Transfer, Task {
    }

    /** Arrays copied to the device ({@code toDevice}) or back to the host. */
    public record Transfer(boolean toDevice, DataTransferMode mode, List<GpuArray> arrays) implements Step {
    }

    /** A launch of {@code kernel} with {@code args} in its parameter order (nulls allowed for arrays). */
    public record Task(String name, KernelSources.Entry kernel, List<Object> args) implements Step {
        public Task {
            args = Collections.unmodifiableList(new ArrayList<>(args));
        }
    }

    /** The tasks, in order. */
    public List<Task> tasks() {
        List<Task> out = new ArrayList<>();
        for (Step s : steps) if (s instanceof Task t) out.add(t);
        return out;
    }
}
