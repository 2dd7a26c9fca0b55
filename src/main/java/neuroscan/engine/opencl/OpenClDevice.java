package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.DeviceBuffer;
import neuroscan.engine.gpu.GpuDevice;
import neuroscan.engine.gpu.Owned;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link GpuDevice} over OpenCL: an in-order queue per stream (the compute one with profiling), markers
 * as {@code clEnqueueMarkerWithWaitList} events, and launches enqueued one by one (OpenCL has no graphs;
 * an in-order queue is already a chain). PoCL runs it on the CPU in CI.
 */
public final class OpenClDevice implements GpuDevice {
    private final OpenClDevices.Info info;
    private final Owned owned = new Owned();
    private final CL.Context ctx;
    private final CL.Queue[] queues = new CL.Queue[2];
    private final Kernels kernels;
    private final Arena host = Arena.ofShared();
    /** Markers the next command on each stream waits for (each holds a reference until consumed). */
    private final List<List<ClMarker>> waits = List.of(new ArrayList<>(), new ArrayList<>());
    private long allocated;

    private OpenClDevice(OpenClDevices.Info info, int dHead) {
        this.info = info;
        try {
            ctx = owned.add(CL.createContext(info.device()));
            queues[Stream.COMPUTE.ordinal()] = owned.add(CL.createQueue(ctx, info.device(), true));
            queues[Stream.TRANSFER.ordinal()] = owned.add(CL.createQueue(ctx, info.device(), false));
            kernels = owned.add(new Kernels(ctx, info.device(), dHead));
        } catch (RuntimeException e) {
            owned.close();
            throw e instanceof CLException c ? error(c) : e;
        }
    }

    /** Device {@code index} of {@link OpenClDevices#list()}, with the kernels built for head size {@code dHead}. */
    public static OpenClDevice open(int index, int dHead) {
        return new OpenClDevice(OpenClDevices.select(index), dHead);
    }

    @Override
    public String name() {
        return "OpenCL device " + info.name();
    }

    @Override
    public String describe() {
        return "opencl: " + info.name() + " (" + info.platform() + ", device " + info.index() + ")";
    }

    @Override
    public long memoryAvailable() {
        return (long) ((info.device().globalMemSize() - allocated) * 0.9);
    }

    @Override
    public long maxAllocation() {
        return info.device().maxAllocSize();
    }

    @Override
    public int maxWorkGroupSize() {
        return (int) Math.min(Integer.MAX_VALUE, info.device().maxWorkGroupSize());
    }

    @Override
    public int[] maxGroups() {
        return new int[]{Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE};
    }

    @Override
    public DeviceBuffer allocate(long bytes, String what) {
        CL.Buffer b = CL.createBuffer(ctx, CL.MEM_READ_WRITE, bytes, what);
        try {
            // a fill makes a lazily allocating driver fail here rather than at the first kernel
            CL.fill(queue(Stream.COMPUTE), b, 0, List.of()).close();
            queue(Stream.COMPUTE).finish();
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        allocated += bytes;
        return b;
    }

    @Override
    public MemorySegment hostMemory(long bytes) {
        return host.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
    }

    @Override
    public void copyIn(DeviceBuffer dst, MemorySegment src, long bytes, Stream s) {
        if (bytes == 0) return;
        if (!src.isNative()) {   // a heap array: the device may read after we return, so copy it first
            MemorySegment staged = hostMemory(bytes);
            staged.copyFrom(src.asSlice(0, bytes));
            src = staged;
        }
        MemorySegment from = src.asSlice(0, bytes);
        enqueue(s, w -> CL.write(queue(s), (CL.Buffer) dst, 0, from, false, w)).close();
        queue(s).flush();
    }

    @Override
    public void copyOut(DeviceBuffer src, MemorySegment dst, long bytes, Stream s) {
        if (bytes == 0) return;
        enqueue(s, w -> CL.read(queue(s), (CL.Buffer) src, 0, dst.asSlice(0, bytes), false, w)).close();
        queue(s).flush();
    }

    @Override
    public Marker mark(Stream s) {
        return new ClMarker(CL.marker(queue(s)));
    }

    @Override
    public void waitFor(Stream s, Marker m) {
        ClMarker c = (ClMarker) m;
        c.refs++;
        waits.get(s.ordinal()).add(c);
    }

    @Override
    public void sync(Stream s) {
        queue(s).finish();
        for (ClMarker m : consumeMarkers(s)) m.release();
    }

    @Override
    public Launcher launcher() {
        return new Launcher() {
            @Override
            public void run(List<Call> calls) {
                for (Call c : calls) enqueue(Stream.COMPUTE, w -> kernels.launch(queue(Stream.COMPUTE), c, w)).close();
                queue(Stream.COMPUTE).flush();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public double[] time(List<Call> calls) {
        List<CL.Event> events = new ArrayList<>();
        try {
            for (Call c : calls) events.add(enqueue(Stream.COMPUTE, w -> kernels.launch(queue(Stream.COMPUTE), c, w)));
            queue(Stream.COMPUTE).finish();
            double[] ms = new double[events.size()];
            for (int i = 0; i < ms.length; i++) ms[i] = (events.get(i).endNanos() - events.get(i).startNanos()) / 1e6;
            return ms;
        } finally {
            for (CL.Event e : events) e.close();
        }
    }

    @Override
    public boolean isOutOfMemory(RuntimeException e) {
        return e instanceof CLException c && c.isOutOfMemory();
    }

    @Override
    public NeuroscanException error(RuntimeException e) {
        if (e instanceof NeuroscanException n && !(e instanceof CLException)) return n;
        String hint = isOutOfMemory(e) ? "; try a smaller batch or another --device" : "";
        return new NeuroscanException(name() + ": " + e.getMessage() + hint, e);
    }

    private boolean closed;

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            for (CL.Queue q : queues) if (q != null) q.finish();
        } catch (RuntimeException ignored) {
            // releasing anyway
        }
        for (Stream s : Stream.values()) for (ClMarker m : consumeMarkers(s)) m.release();
        owned.close();
        host.close();
    }

    private CL.Queue queue(Stream s) {
        return queues[s.ordinal()];
    }

    /**
     * Enqueues one command on {@code s} after the markers it must wait for, then drops their references:
     * OpenCL keeps an event alive while an enqueued command waits for it.
     */
    private CL.Event enqueue(Stream s, java.util.function.Function<List<CL.Event>, CL.Event> command) {
        List<ClMarker> ms = consumeMarkers(s);
        List<CL.Event> wait = new ArrayList<>();
        for (ClMarker m : ms) wait.add(m.event);
        try {
            return command.apply(wait);
        } finally {
            for (ClMarker m : ms) m.release();
        }
    }

    private List<ClMarker> consumeMarkers(Stream s) {
        List<ClMarker> w = waits.get(s.ordinal());
        List<ClMarker> out = List.copyOf(w);
        w.clear();
        return out;
    }

    /** A marker event shared by the plan that made it and the commands that wait for it. */
    private static final class ClMarker implements Marker {
        final CL.Event event;
        int refs = 1;

        ClMarker(CL.Event event) {
            this.event = event;
        }

        @Override
        public void await() {
            event.await();
        }

        @Override
        public void close() {
            release();
        }

        void release() {
            if (--refs == 0) event.close();
        }
    }
}
