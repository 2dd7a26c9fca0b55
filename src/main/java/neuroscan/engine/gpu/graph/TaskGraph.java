package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.KernelSources;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A named sequence of transfers and kernel launches, in the shape TornadoVM users know:
 * <pre>
 * TaskGraph g = new TaskGraph("forward")
 *     .transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, offsets)
 *     .task("embed", Embed::embed, tokens, offsets, nDocs, T, dModel, W_E, W_pos, x)
 *     ...
 *     .transferToHost(DataTransferMode.EVERY_EXECUTION, docMax);
 * ExecutionPlan plan = ExecutionPlan.on(device, memory, g.snapshot()).grid("embed", ...).build();
 * plan.execute();
 * </pre>
 * A task names its kernel by method reference and passes its arguments in the kernel's order after the
 * context: {@link GpuArray}s (or null, for a buffer the kernel does not read in this configuration) for
 * {@code float[]} / {@code int[]}, {@link IntParam}s or Integers for {@code int}, Floats for {@code float}.
 * Every mismatch is an error here, when the graph is built, never at launch.
 */
public final class TaskGraph {
    private final String name;
    private final List<ImmutableTaskGraph.Step> steps = new ArrayList<>();
    private final Set<String> taskNames = new HashSet<>();

    public TaskGraph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Copies {@code arrays} to the device before the tasks that follow. */
    public TaskGraph transferToDevice(DataTransferMode mode, GpuArray... arrays) {
        steps.add(new ImmutableTaskGraph.Transfer(true, mode, List.of(arrays)));
        return this;
    }

    /** Copies {@code arrays} back to the host (the plan's staging memory) after the tasks before. */
    public TaskGraph transferToHost(DataTransferMode mode, GpuArray... arrays) {
        steps.add(new ImmutableTaskGraph.Transfer(false, mode, List.of(arrays)));
        return this;
    }

    /** The graph as it is now; later changes to this builder do not affect it. */
    public ImmutableTaskGraph snapshot() {
        return new ImmutableTaskGraph(name, List.copyOf(steps));
    }

    public <A> TaskGraph task(String name, Tasks.Task1<A> kernel, Object a0) {
        return add(name, kernel, a0);
    }

    public <A, B> TaskGraph task(String name, Tasks.Task2<A, B> kernel, Object a0, Object a1) {
        return add(name, kernel, a0, a1);
    }

    public <A, B, C> TaskGraph task(String name, Tasks.Task3<A, B, C> kernel, Object a0, Object a1, Object a2) {
        return add(name, kernel, a0, a1, a2);
    }

    public <A, B, C, D> TaskGraph task(String name, Tasks.Task4<A, B, C, D> kernel, Object a0, Object a1, Object a2, Object a3) {
        return add(name, kernel, a0, a1, a2, a3);
    }

    public <A, B, C, D, E> TaskGraph task(String name, Tasks.Task5<A, B, C, D, E> kernel, Object a0, Object a1, Object a2, Object a3, Object a4) {
        return add(name, kernel, a0, a1, a2, a3, a4);
    }

    public <A, B, C, D, E, F> TaskGraph task(String name, Tasks.Task6<A, B, C, D, E, F> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5);
    }

    public <A, B, C, D, E, F, G> TaskGraph task(String name, Tasks.Task7<A, B, C, D, E, F, G> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6);
    }

    public <A, B, C, D, E, F, G, H> TaskGraph task(String name, Tasks.Task8<A, B, C, D, E, F, G, H> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7);
    }

    public <A, B, C, D, E, F, G, H, I> TaskGraph task(String name, Tasks.Task9<A, B, C, D, E, F, G, H, I> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8);
    }

    public <A, B, C, D, E, F, G, H, I, J> TaskGraph task(String name, Tasks.Task10<A, B, C, D, E, F, G, H, I, J> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9);
    }

    public <A, B, C, D, E, F, G, H, I, J, K> TaskGraph task(String name, Tasks.Task11<A, B, C, D, E, F, G, H, I, J, K> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L> TaskGraph task(String name, Tasks.Task12<A, B, C, D, E, F, G, H, I, J, K, L> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M> TaskGraph task(String name, Tasks.Task13<A, B, C, D, E, F, G, H, I, J, K, L, M> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M, N> TaskGraph task(String name, Tasks.Task14<A, B, C, D, E, F, G, H, I, J, K, L, M, N> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O> TaskGraph task(String name, Tasks.Task15<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P> TaskGraph task(String name, Tasks.Task16<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q> TaskGraph task(String name, Tasks.Task17<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16);
    }

    public <A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R> TaskGraph task(String name, Tasks.Task18<A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R> kernel, Object a0, Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17) {
        return add(name, kernel, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17);
    }

    private TaskGraph add(String task, Serializable kernel, Object... args) {
        String where = name + "." + task;
        if (!taskNames.add(task)) throw new IllegalArgumentException(where + ": two tasks of one graph have this name");
        KernelSources.Entry k = KernelRef.resolve(where, kernel);
        List<KernelSources.Param> params = k.params();
        if (params.size() != args.length) {
            throw new IllegalArgumentException(where + ": " + k.name() + " takes " + params.size() + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            KernelSources.Param p = params.get(i);
            Object a = args[i];
            String problem = switch (p.type()) {
                case "float[]", "int[]" -> a == null || (a instanceof GpuArray g && g.type().javaType.equals(p.type())) ? null
                        : "a " + p.type() + " GpuArray";
                case "int" -> a instanceof Integer || a instanceof IntParam ? null : "an Integer or an IntParam";
                case "float" -> a instanceof Float ? null : "a Float";
                default -> "a supported type";
            };
            if (problem != null) {
                throw new IllegalArgumentException(where + ": argument " + (i + 1) + " (" + p.type() + " " + p.name() + ") of "
                        + k.name() + " must be " + problem + ", got " + describe(a));
            }
        }
        steps.add(new ImmutableTaskGraph.Task(task, k, Arrays.asList(args)));
        return this;
    }

    private static String describe(Object a) {
        if (a == null) return "null";
        if (a instanceof GpuArray g) return "GpuArray " + g;
        return a.getClass().getSimpleName() + " " + a;
    }
}
