package neuroscan.engine.cuda;

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
 * {@link GpuDevice} over the CUDA driver API: a compute and a transfer stream, events as markers,
 * page-locked staging memory, and a launcher that captures a fixed sequence of launches as one CUDA graph
 * the first time and then only updates its nodes' parameters (sizes, grids) and replays it. The kernels
 * come from the jar's PTX or NVRTC ({@link Modules}).
 */
public final class CudaDevice implements GpuDevice {
    private final CudaDevices.Info gpu;
    private final Owned owned = new Owned();
    private final CU.Context ctx;
    private final CU.Stream[] streams = new CU.Stream[2];
    private final Modules modules;

    private CudaDevice(CudaDevices.Info gpu, int dHead) {
        this.gpu = gpu;
        ctx = owned.add(CU.Context.retainPrimary(gpu.device()));
        try {
            ctx.makeCurrent();
            streams[Stream.COMPUTE.ordinal()] = owned.add(CU.Stream.create());
            streams[Stream.TRANSFER.ordinal()] = owned.add(CU.Stream.create());
            modules = owned.add(new Modules(gpu, dHead));
        } catch (RuntimeException e) {
            owned.close();
            throw e instanceof CudaException c ? error(c) : e;
        }
    }

    /** GPU {@code index} of {@link CudaDevices#list()}, with the kernels for head size {@code dHead}. */
    public static CudaDevice open(int index, int dHead) {
        return new CudaDevice(CudaDevices.select(index), dHead);
    }

    @Override
    public boolean tensorCores() {
        return gpu.ccMajor() >= 8 && modules.has("mlp_screen");
    }

    @Override
    public boolean hasKernel(String name) {
        return modules.has(name);
    }

    @Override
    public String name() {
        return "CUDA device " + gpu.name();
    }

    @Override
    public String describe() {
        ctx.makeCurrent();
        return "cuda: " + gpu.name() + " (" + gpu.arch() + ", device " + gpu.index() + ", " + modules.origin() + "), CUDA graphs";
    }

    @Override
    public long memoryAvailable() {
        ctx.makeCurrent();
        return (long) (CU.memInfo()[0] * 0.9);   // leave a tenth to the driver and other users
    }

    @Override
    public long maxAllocation() {
        ctx.makeCurrent();
        return CU.memInfo()[1];
    }

    @Override
    public int maxWorkGroupSize() {
        return 1024;
    }

    @Override
    public int[] maxGroups() {
        return new int[]{Integer.MAX_VALUE, Launches.MAX_GRID_YZ, Launches.MAX_GRID_YZ};
    }

    @Override
    public DeviceBuffer allocate(long bytes, String what) {
        ctx.makeCurrent();
        CudaBuffer b = CudaBuffer.allocate(bytes, what);
        try {
            CU.check("cuMemsetD32Async", b.ptr(), 0, (bytes + 3) / 4, stream(Stream.COMPUTE).handle());
            stream(Stream.COMPUTE).synchronize();
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    @Override
    public MemorySegment hostMemory(long bytes) {
        ctx.makeCurrent();
        return owned.add(CU.HostMemory.allocate(bytes)).segment().asSlice(0, bytes);
    }

    @Override
    public void copyIn(DeviceBuffer dst, MemorySegment src, long bytes, Stream s) {
        if (bytes == 0) return;
        ctx.makeCurrent();
        if (!src.isNative()) {   // a heap array: stage it, and wait, as the device reads after we return
            try (Arena a = Arena.ofConfined()) {
                MemorySegment staged = a.allocate(bytes, 64);
                staged.copyFrom(src.asSlice(0, bytes));
                CU.check("cuMemcpyHtoDAsync", ((CudaBuffer) dst).ptr(), staged, bytes, stream(s).handle());
                stream(s).synchronize();
            }
            return;
        }
        CU.check("cuMemcpyHtoDAsync", ((CudaBuffer) dst).ptr(), src, bytes, stream(s).handle());
    }

    @Override
    public void copyOut(DeviceBuffer src, MemorySegment dst, long bytes, Stream s) {
        if (bytes == 0) return;
        ctx.makeCurrent();
        CU.check("cuMemcpyDtoHAsync", dst, ((CudaBuffer) src).ptr(), bytes, stream(s).handle());
    }

    @Override
    public Marker mark(Stream s) {
        ctx.makeCurrent();
        CU.Event e = CU.Event.create(false);
        try {
            e.record(stream(s));
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
        return new CudaMarker(e);
    }

    @Override
    public void waitFor(Stream s, Marker m) {
        ctx.makeCurrent();
        stream(s).waitFor(((CudaMarker) m).event);
    }

    /** An event recorded on a stream; destroying it early is safe (the driver keeps it until it completes). */
    private final class CudaMarker implements Marker {
        final CU.Event event;

        CudaMarker(CU.Event event) {
            this.event = event;
        }

        @Override
        public void await() {
            ctx.makeCurrent();
            event.synchronize();
        }

        @Override
        public void close() {
            event.close();
        }
    }

    @Override
    public void sync(Stream s) {
        ctx.makeCurrent();
        stream(s).synchronize();
    }

    @Override
    public Launcher launcher() {
        Launches.Graph graph = new Launches.Graph();
        return new Launcher() {
            @Override
            public void run(List<Call> calls) {
                ctx.makeCurrent();
                graph.launch(modules, stream(Stream.COMPUTE).handle(), calls);
            }

            @Override
            public void close() {
                graph.close();
            }
        };
    }

    @Override
    public double[] time(List<Call> calls) {
        ctx.makeCurrent();
        List<CU.Event> events = new ArrayList<>();
        try {
            CU.Event prev = CU.Event.create(true);
            events.add(prev);
            prev.record(stream(Stream.COMPUTE));
            for (Call c : calls) {
                Launches.launch(modules, stream(Stream.COMPUTE).handle(), c);
                CU.Event end = CU.Event.create(true);
                events.add(end);
                end.record(stream(Stream.COMPUTE));
            }
            stream(Stream.COMPUTE).synchronize();
            double[] ms = new double[calls.size()];
            for (int i = 0; i < ms.length; i++) ms[i] = events.get(i + 1).since(events.get(i));
            return ms;
        } finally {
            for (CU.Event e : events) e.close();
        }
    }

    @Override
    public boolean isOutOfMemory(RuntimeException e) {
        return e instanceof CudaException c && c.isOutOfMemory();
    }

    @Override
    public NeuroscanException error(RuntimeException e) {
        if (e instanceof NeuroscanException n && !(e instanceof CudaException)) return n;
        String hint = isOutOfMemory(e) ? "; try another --device" : "";
        return new NeuroscanException(name() + ": " + e.getMessage() + hint, e);
    }

    private boolean closed;

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            ctx.makeCurrent();
            for (CU.Stream s : streams) if (s != null) s.synchronize();
        } catch (RuntimeException ignored) {
            // releasing anyway
        }
        owned.close();
    }

    private CU.Stream stream(Stream s) {
        return streams[s.ordinal()];
    }
}
