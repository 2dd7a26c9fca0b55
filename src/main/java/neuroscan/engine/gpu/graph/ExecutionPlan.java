package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.DeviceBuffer;
import neuroscan.engine.gpu.GpuDevice;
import neuroscan.engine.gpu.GpuDevice.Stream;
import neuroscan.engine.gpu.KernelTime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link ImmutableTaskGraph} bound to a device: a grid per task, device memory for its arrays, and
 * {@link #execute()}. Transfers to the device run on the transfer stream, so that the next execution's
 * upload can overlap this one's work; the tasks wait for them and run in order on the compute stream, as
 * one CUDA graph on CUDA (captured on the first execution, then replayed with the new sizes) and as
 * in-order launches on OpenCL; transfers to the host follow on the compute stream.
 *
 * <p>{@link Builder#build()} checks every task's grid, evaluated with each {@link IntParam} at its
 * maximum, against the kernel's work-group shape and the device's limits: a grid the kernel cannot take
 * is an error when the plan is built, never at launch.
 */
public final class ExecutionPlan implements AutoCloseable {
    /** A launch shape: work-groups per dimension and work-items per work-group. */
    public record Geometry(int[] groups, int[] local) {
        public static Geometry of(int[] groups, int[] local) {
            return new Geometry(groups.clone(), local.clone());
        }

        /** From {@code {groups, local}}, the shape {@code Calls}' grid functions give. */
        public static Geometry of(int[][] grid) {
            return of(grid[0], grid[1]);
        }
    }

    /** A task's geometry from the current values of the graph's {@link IntParam}s. */
    @FunctionalInterface
    public interface Grid {
        Geometry geometry();
    }

    /** FLOPs and bytes a task moves, for the profiler's rates. */
    @FunctionalInterface
    public interface Work {
        double[] flopAndBytes();
    }

    private final ImmutableTaskGraph graph;
    private final DeviceMemory memory;
    private final GpuDevice device;
    private final Map<String, Grid> grids;
    private final GpuDevice.Launcher launcher;
    private GpuDevice.Marker uploaded, done;
    private boolean executed;

    private ExecutionPlan(ImmutableTaskGraph graph, DeviceMemory memory, Map<String, Grid> grids) {
        this.graph = graph;
        this.memory = memory;
        this.device = memory.device();
        this.grids = grids;
        this.launcher = graph.tasks().isEmpty() ? null : device.launcher();
    }

    public static Builder on(DeviceMemory memory, ImmutableTaskGraph graph) {
        return new Builder(memory, graph);
    }

    public static final class Builder {
        private final DeviceMemory memory;
        private final ImmutableTaskGraph graph;
        private final Map<String, Grid> grids = new LinkedHashMap<>();

        private Builder(DeviceMemory memory, ImmutableTaskGraph graph) {
            this.memory = memory;
            this.graph = graph;
        }

        public Builder grid(String task, Grid grid) {
            if (graph.tasks().stream().noneMatch(t -> t.name().equals(task))) {
                throw new IllegalArgumentException(graph.name() + ": no task named " + task);
            }
            grids.put(task, grid);
            return this;
        }

        /** Checks every task's grid at the parameters' maxima, then allocates the graph's arrays. */
        public ExecutionPlan build() {
            List<IntParam> params = new ArrayList<>();
            for (ImmutableTaskGraph.Task t : graph.tasks()) {
                for (Object a : t.args()) if (a instanceof IntParam p && !params.contains(p)) params.add(p);
            }
            int[] saved = new int[params.size()];
            for (int i = 0; i < saved.length; i++) {
                saved[i] = params.get(i).get();
                params.get(i).set(params.get(i).max());
            }
            try {
                for (ImmutableTaskGraph.Task t : graph.tasks()) {
                    Grid g = grids.get(t.name());
                    if (g == null) throw new IllegalArgumentException(graph.name() + "." + t.name() + ": no grid given");
                    check(graph.name() + "." + t.name(), t, g.geometry(), memory.device());
                }
            } finally {
                for (int i = 0; i < saved.length; i++) params.get(i).set(saved[i]);
            }
            ExecutionPlan plan = new ExecutionPlan(graph, memory, Map.copyOf(grids));
            for (ImmutableTaskGraph.Step s : graph.steps()) {
                switch (s) {
                    case ImmutableTaskGraph.Transfer tr -> {
                        for (GpuArray a : tr.arrays()) memory.buffer(a);
                    }
                    case ImmutableTaskGraph.Task t -> {
                        for (Object a : t.args()) if (a instanceof GpuArray g) memory.buffer(g);
                    }
                }
            }
            return plan;
        }
    }

    static void check(String where, ImmutableTaskGraph.Task t, Geometry g, GpuDevice device) {
        int[] groups = g.groups(), local = g.local();
        if (groups.length != local.length || groups.length < 1 || groups.length > 3) {
            throw new IllegalArgumentException(where + ": a grid has 1 to 3 dimensions, as many groups as work-group sizes");
        }
        long items = 1;
        for (int d = 0; d < local.length; d++) {
            if (local[d] < 1 || groups[d] < 0) throw new IllegalArgumentException(where + ": grid " + describe(g) + " has an empty dimension");
            items *= local[d];
            if (groups[d] > device.maxGroups()[d]) {
                throw new IllegalArgumentException(where + ": grid " + describe(g) + " needs " + groups[d] + " work-groups along dimension "
                        + d + "; " + device.name() + " allows " + device.maxGroups()[d]);
            }
        }
        if (items > device.maxWorkGroupSize()) {
            throw new IllegalArgumentException(where + ": work-groups of " + items + " work-items; " + device.name() + " allows "
                    + device.maxWorkGroupSize());
        }
        List<Integer> want = t.kernel().workGroup();
        if (!want.isEmpty()) {
            int[] padded = {1, 1, 1}, have = {1, 1, 1};
            for (int d = 0; d < want.size(); d++) padded[d] = want.get(d);
            System.arraycopy(local, 0, have, 0, local.length);
            if (!Arrays.equals(padded, have)) {
                throw new IllegalArgumentException(where + ": " + t.kernel().name() + " is written for work-groups of " + want
                        + ", the grid gives " + Arrays.toString(local));
            }
        }
    }

    private static String describe(Geometry g) {
        return Arrays.toString(g.groups()) + " x " + Arrays.toString(g.local());
    }

    public ImmutableTaskGraph graph() {
        return graph;
    }

    /** The launches the next execution makes, with the parameters' current values. */
    public List<Call> calls() {
        List<Call> out = new ArrayList<>();
        for (ImmutableTaskGraph.Task t : graph.tasks()) {
            List<Object> args = new ArrayList<>(t.args().size());
            for (Object a : t.args()) {
                args.add(switch (a) {
                    case null -> null;
                    case GpuArray g -> memory.buffer(g);
                    case IntParam p -> p.get();
                    default -> a;
                });
            }
            Geometry g = grids.get(t.name()).geometry();
            out.add(new Call(t.kernel().name(), args, g.groups(), g.local()));
        }
        return out;
    }

    /**
     * Enqueues one execution and returns: uploads on the transfer stream (the first execution also does
     * the FIRST_EXECUTION ones), the tasks after them on the compute stream, then the downloads. Call
     * {@link #sync()} before reading what came back, and {@link #awaitUploads()} before rewriting the
     * staging memory of an array this plan uploads.
     */
    public void execute() {
        boolean first = !executed;
        List<Call> calls = launcher == null ? List.of() : calls();
        List<GpuArray> up = transferred(true, first);
        if (!up.isEmpty()) {
            // the device copy of an uploaded array is overwritten only after the last execution that read it
            if (done != null) device.waitFor(Stream.TRANSFER, done);
            for (GpuArray a : up) copyIn(a, Stream.TRANSFER);
            if (uploaded != null) uploaded.close();
            uploaded = device.mark(Stream.TRANSFER);
            device.waitFor(Stream.COMPUTE, uploaded);
        }
        if (!calls.isEmpty()) launcher.run(calls);
        for (GpuArray a : transferred(false, first)) device.copyOut(memory.buffer(a), memory.host(a), 4 * a.length(), Stream.COMPUTE);
        if (done != null) done.close();
        done = device.mark(Stream.COMPUTE);
        executed = true;
    }

    /** The arrays of the transfers one way: every one ({@code all}, a first execution) or the EVERY_EXECUTION ones. */
    private List<GpuArray> transferred(boolean toDevice, boolean all) {
        List<GpuArray> out = new ArrayList<>();
        for (ImmutableTaskGraph.Step s : graph.steps()) {
            if (s instanceof ImmutableTaskGraph.Transfer t && t.toDevice() == toDevice
                    && (all || t.mode() == DataTransferMode.EVERY_EXECUTION)) {
                out.addAll(t.arrays());
            }
        }
        return out;
    }

    /** The array's first {@code length()} elements up, from its own source or the plan's staging memory. */
    private void copyIn(GpuArray a, Stream s) {
        device.copyIn(memory.buffer(a), a.source() != null ? a.source() : memory.host(a), 4 * a.length(), s);
    }

    /** Waits for the last execution (its tasks and downloads) only, not for work enqueued after it. */
    public void awaitDone() {
        if (done != null) done.await();
    }

    /** Waits for the enqueued executions to finish. */
    public void sync() {
        device.sync(Stream.COMPUTE);
    }

    /** Waits until the last execution's uploads are done, so their host staging memory may be rewritten. */
    public void awaitUploads() {
        if (uploaded != null) uploaded.await();
    }

    /** Bytes one execution copies to the device (EVERY_EXECUTION transfers, at the arrays' current lengths). */
    public long bytesToDevice() {
        return transferBytes(true);
    }

    /** Bytes one execution copies back to the host. */
    public long bytesToHost() {
        return transferBytes(false);
    }

    private long transferBytes(boolean toDevice) {
        long b = 0;
        for (GpuArray a : transferred(toDevice, false)) b += 4 * a.length();
        return b;
    }

    /**
     * The profiler: runs the uploads, then each task on its own, timed by the device; the rates use
     * {@code work} (by task name; tasks without an entry get none).
     */
    public List<KernelTime> profile(Map<String, Work> work) {
        for (GpuArray a : transferred(true, true)) copyIn(a, Stream.COMPUTE);
        executed = true;
        List<Call> calls = calls();
        double[] ms = device.time(calls);
        List<KernelTime> out = new ArrayList<>();
        List<ImmutableTaskGraph.Task> tasks = graph.tasks();
        for (int i = 0; i < calls.size(); i++) {
            Work w = work.get(tasks.get(i).name());
            double[] fb = w == null ? new double[]{0, 0} : w.flopAndBytes();
            out.add(new KernelTime(tasks.get(i).name(), ms[i], fb[0] / 1e9, fb[1] / 1e9));
        }
        return out;
    }

    @Override
    public void close() {
        if (uploaded != null) uploaded.close();
        if (done != null) done.close();
        uploaded = done = null;
        if (launcher != null) launcher.close();
    }
}
