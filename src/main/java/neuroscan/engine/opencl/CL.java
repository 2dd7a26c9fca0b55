package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A small, typed binding of the OpenCL 1.2 host API through the Foreign Function &amp; Memory API (no JNI,
 * no binding library): only the calls neuroscan needs. Handles are records around the native pointer;
 * every call checks its status and throws {@link CLException} with the CL_* name. The ICD loader
 * ({@code libOpenCL.so.1}) is loaded on first use; {@link #unavailable()} says why it could not be.
 */
public final class CL {
    private CL() {
    }

    // cl.h values used below.
    public static final long DEVICE_TYPE_CPU = 1 << 1, DEVICE_TYPE_GPU = 1 << 2, DEVICE_TYPE_ACCELERATOR = 1 << 3;
    private static final long DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    public static final long MEM_READ_WRITE = 1, MEM_WRITE_ONLY = 1 << 1, MEM_READ_ONLY = 1 << 2;
    private static final int PLATFORM_VERSION = 0x0901, PLATFORM_NAME = 0x0902, PLATFORM_VENDOR = 0x0903;
    private static final int DEVICE_TYPE = 0x1000, DEVICE_MAX_COMPUTE_UNITS = 0x1002,
            DEVICE_MAX_WORK_GROUP_SIZE = 0x1004, DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010,
            DEVICE_GLOBAL_MEM_SIZE = 0x101F, DEVICE_LOCAL_MEM_SIZE = 0x1023, DEVICE_NAME = 0x102B,
            DEVICE_VENDOR = 0x102C, DRIVER_VERSION = 0x102D, DEVICE_VERSION = 0x102F;
    private static final long QUEUE_PROFILING_ENABLE = 1 << 1;
    private static final int PROGRAM_BUILD_LOG = 0x1183, KERNEL_WORK_GROUP_SIZE = 0x11B0;
    private static final int EVENT_COMMAND_EXECUTION_STATUS = 0x11D3;
    private static final int PROFILING_COMMAND_START = 0x1282, PROFILING_COMMAND_END = 0x1283;
    private static final int EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST = -14, PLATFORM_NOT_FOUND_KHR = -1001;

    /** Where the ICD loader may live, tried in order. */
    private static final List<String> LIBRARIES = List.of("libOpenCL.so.1", "libOpenCL.so", "OpenCL.dll",
            "/System/Library/Frameworks/OpenCL.framework/OpenCL");

    // ---------------------------------------------------------------- handles

    public record Platform(MemorySegment id) {
        public String name() {
            return platformString(this, PLATFORM_NAME);
        }

        public String vendor() {
            return platformString(this, PLATFORM_VENDOR);
        }

        public String version() {
            return platformString(this, PLATFORM_VERSION);
        }

        /** All devices of this platform (none is not an error). */
        public List<Device> devices() {
            return CL.devices(this);
        }
    }

    public record Device(MemorySegment id) {
        public String name() {
            return deviceString(this, DEVICE_NAME);
        }

        public String vendor() {
            return deviceString(this, DEVICE_VENDOR);
        }

        public String version() {
            return deviceString(this, DEVICE_VERSION);
        }

        public String driverVersion() {
            return deviceString(this, DRIVER_VERSION);
        }

        /** A bit set of {@link #DEVICE_TYPE_CPU}, {@link #DEVICE_TYPE_GPU}, ... */
        public long type() {
            return deviceLong(this, DEVICE_TYPE, 8);
        }

        public int computeUnits() {
            return (int) deviceLong(this, DEVICE_MAX_COMPUTE_UNITS, 4);
        }

        public long globalMemSize() {
            return deviceLong(this, DEVICE_GLOBAL_MEM_SIZE, 8);
        }

        public long maxAllocSize() {
            return deviceLong(this, DEVICE_MAX_MEM_ALLOC_SIZE, 8);
        }

        public long localMemSize() {
            return deviceLong(this, DEVICE_LOCAL_MEM_SIZE, 8);
        }

        public long maxWorkGroupSize() {
            return deviceLong(this, DEVICE_MAX_WORK_GROUP_SIZE, 8);
        }

        /** "GPU", "CPU", "accelerator" or "other", joined with "+" when several bits are set. */
        public String typeName() {
            long t = type();
            List<String> names = new ArrayList<>();
            if ((t & DEVICE_TYPE_GPU) != 0) names.add("GPU");
            if ((t & DEVICE_TYPE_CPU) != 0) names.add("CPU");
            if ((t & DEVICE_TYPE_ACCELERATOR) != 0) names.add("accelerator");
            return names.isEmpty() ? "other" : String.join("+", names);
        }
    }

    public record Context(MemorySegment id) implements AutoCloseable {
        @Override
        public void close() {
            release(api().releaseContext, id, "clReleaseContext");
        }
    }

    public record Queue(MemorySegment id) implements AutoCloseable {
        /** Submits everything enqueued so far to the device without waiting. */
        public void flush() {
            check(callInt(api().flush, id), "clFlush");
        }

        /** Waits until everything enqueued so far has completed. */
        public void finish() {
            check(callInt(api().finish, id), "clFinish");
        }

        @Override
        public void close() {
            release(api().releaseCommandQueue, id, "clReleaseCommandQueue");
        }
    }

    public record Buffer(MemorySegment id, long bytes) implements AutoCloseable, neuroscan.engine.gpu.DeviceBuffer {
        @Override
        public void close() {
            release(api().releaseMemObject, id, "clReleaseMemObject");
        }
    }

    public record Program(MemorySegment id, String name) implements AutoCloseable {
        public Kernel kernel(String kernelName) {
            return createKernel(this, kernelName);
        }

        @Override
        public void close() {
            release(api().releaseProgram, id, "clReleaseProgram");
        }
    }

    public record Kernel(MemorySegment id, String name) implements AutoCloseable {
        public Kernel arg(int index, Buffer b) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocateFrom(ADDRESS, b.id());
                check(setArg(index, ADDRESS.byteSize(), v), "clSetKernelArg(" + name + ", " + index + ")");
            }
            return this;
        }

        public Kernel arg(int index, int value) {
            try (Arena a = Arena.ofConfined()) {
                check(setArg(index, 4, a.allocateFrom(JAVA_INT, value)), "clSetKernelArg(" + name + ", " + index + ")");
            }
            return this;
        }

        public Kernel arg(int index, float value) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, value);
                check(setArg(index, 4, v), "clSetKernelArg(" + name + ", " + index + ")");
            }
            return this;
        }

        private int setArg(int index, long size, MemorySegment value) {
            try {
                return (int) api().setKernelArg.invokeExact(id, index, size, value);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** The largest work-group this kernel can be launched with on the device. */
        public long maxWorkGroupSize(Device d) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_LONG);
                int rc = (int) api().getKernelWorkGroupInfo.invokeExact(id, d.id(), KERNEL_WORK_GROUP_SIZE, 8L, out,
                        MemorySegment.NULL);
                check(rc, "clGetKernelWorkGroupInfo(" + name + ")");
                return out.get(JAVA_LONG, 0);
            } catch (CLException e) {
                throw e;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            release(api().releaseKernel, id, "clReleaseKernel");
        }
    }

    /** A command's completion (and, on a profiling queue, its device timestamps). */
    public record Event(MemorySegment id, String what) implements AutoCloseable {
        /** Blocks until the command completed; a failed command throws with its own error code. */
        public void await() {
            waitFor(List.of(this));
        }

        /** Device time when the command started/ended, in ns (queue created with profiling). */
        public long startNanos() {
            return profilingInfo(PROFILING_COMMAND_START);
        }

        public long endNanos() {
            return profilingInfo(PROFILING_COMMAND_END);
        }

        private long profilingInfo(int param) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_LONG);
                int rc = (int) api().getEventProfilingInfo.invokeExact(id, param, 8L, out, MemorySegment.NULL);
                check(rc, "clGetEventProfilingInfo(" + what + ")");
                return out.get(JAVA_LONG, 0);
            } catch (CLException e) {
                throw e;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** CL_COMPLETE (0), CL_RUNNING, CL_SUBMITTED, CL_QUEUED, or a negative error code. */
        int status() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_INT);
                int rc = (int) api().getEventInfo.invokeExact(id, EVENT_COMMAND_EXECUTION_STATUS, 4L, out,
                        MemorySegment.NULL);
                return rc != 0 ? rc : out.get(JAVA_INT, 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void close() {
            release(api().releaseEvent, id, "clReleaseEvent");
        }
    }

    // ---------------------------------------------------------------- discovery

    /** Empty when OpenCL can be used; otherwise why not (loader missing, or no platform). */
    public static Optional<String> unavailable() {
        if (PROBLEM != null) return Optional.of(PROBLEM);
        try {
            if (platforms().isEmpty()) return Optional.of("no OpenCL platform is installed");
        } catch (CLException e) {
            return Optional.of("OpenCL platforms cannot be listed: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** The installed platforms; an ICD loader without any platform gives an empty list. */
    public static List<Platform> platforms() {
        Api api = api();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int rc = (int) api.getPlatformIDs.invokeExact(0, MemorySegment.NULL, n);
            if (rc == PLATFORM_NOT_FOUND_KHR || (rc == 0 && n.get(JAVA_INT, 0) == 0)) return List.of();
            check(rc, "clGetPlatformIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, count);
            check((int) api.getPlatformIDs.invokeExact(count, ids, n), "clGetPlatformIDs");
            List<Platform> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(new Platform(ids.getAtIndex(ADDRESS, i)));
            return List.copyOf(out);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static List<Device> devices(Platform p) {
        Api api = api();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int rc = (int) api.getDeviceIDs.invokeExact(p.id(), DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
            if (rc == -1) return List.of();   // CL_DEVICE_NOT_FOUND
            check(rc, "clGetDeviceIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, count);
            check((int) api.getDeviceIDs.invokeExact(p.id(), DEVICE_TYPE_ALL, count, ids, n), "clGetDeviceIDs");
            List<Device> out = new ArrayList<>();
            for (int i = 0; i < count; i++) out.add(new Device(ids.getAtIndex(ADDRESS, i)));
            return List.copyOf(out);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- objects

    public static Context createContext(Device d) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment devs = a.allocateFrom(ADDRESS, d.id());
            MemorySegment ctx = (MemorySegment) api().createContext.invokeExact(MemorySegment.NULL, 1, devs,
                    MemorySegment.NULL, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateContext");
            return new Context(ctx);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An in-order queue; with {@code profiling} its events carry device timestamps. */
    public static Queue createQueue(Context c, Device d, boolean profiling) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment q = (MemorySegment) api().createCommandQueue.invokeExact(c.id(), d.id(),
                    profiling ? QUEUE_PROFILING_ENABLE : 0L, err);
            check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
            return new Queue(q);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A device buffer of {@code bytes}; {@code what} names it in errors ("x", "W_E", ...). */
    public static Buffer createBuffer(Context c, long flags, long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment m = (MemorySegment) api().createBuffer.invokeExact(c.id(), flags, Math.max(bytes, 4L),
                    MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateBuffer(" + what + ", " + bytes + " bytes)");
            return new Buffer(m, bytes);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Compiles {@code source} for {@code d}. A failed build throws a {@link NeuroscanException} whose
     * message carries the compiler's build log verbatim, after a first line naming {@code name}.
     */
    public static Program buildProgram(Context c, Device d, String name, String source, String options) {
        Api api = api();
        MemorySegment prog;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
            MemorySegment src = a.allocate(bytes.length + 1L);
            MemorySegment.copy(bytes, 0, src, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment strings = a.allocateFrom(ADDRESS, src);
            MemorySegment lengths = a.allocateFrom(JAVA_LONG, (long) bytes.length);
            prog = (MemorySegment) api.createProgramWithSource.invokeExact(c.id(), 1, strings, lengths, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithSource(" + name + ")");
            MemorySegment devs = a.allocateFrom(ADDRESS, d.id());
            int rc = (int) api.buildProgram.invokeExact(prog, 1, devs, a.allocateFrom(options),
                    MemorySegment.NULL, MemorySegment.NULL);
            if (rc != 0) {
                String log = buildLog(prog, d);
                release(api.releaseProgram, prog, "clReleaseProgram");
                throw new NeuroscanException(name + ": OpenCL build failed on " + d.name() + " ("
                        + CLException.name(rc) + "), build log:\n" + log);
            }
            return new Program(prog, name);
        } catch (NeuroscanException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String buildLog(MemorySegment prog, Device d) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            int rc = (int) api().getProgramBuildInfo.invokeExact(prog, d.id(), PROGRAM_BUILD_LOG, 0L,
                    MemorySegment.NULL, size);
            if (rc != 0) return "(no build log: " + CLException.name(rc) + ")";
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(n, 1));
            rc = (int) api().getProgramBuildInfo.invokeExact(prog, d.id(), PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL);
            if (rc != 0) return "(no build log: " + CLException.name(rc) + ")";
            return buf.getString(0).strip();
        }
    }

    static Kernel createKernel(Program p, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = (MemorySegment) api().createKernel.invokeExact(p.id(), a.allocateFrom(name), err);
            check(err.get(JAVA_INT, 0), "clCreateKernel(" + p.name() + ": " + name + ")");
            return new Kernel(k, name);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- commands

    /**
     * Enqueues {@code k} over {@code global} work-items in work-groups of {@code local} (same rank; each
     * global size a multiple of the local one), after {@code waitFor}. The caller closes the returned event.
     */
    public static Event enqueueKernel(Queue q, Kernel k, long[] global, long[] local, List<Event> waitFor) {
        if (global.length != local.length) throw new IllegalArgumentException("global/local rank differ");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            MemorySegment g = a.allocateFrom(JAVA_LONG, global), l = a.allocateFrom(JAVA_LONG, local);
            int rc = (int) api().enqueueNDRangeKernel.invokeExact(q.id(), k.id(), global.length, MemorySegment.NULL,
                    g, l, waitFor.size(), waitList(a, waitFor), ev);
            check(rc, "clEnqueueNDRangeKernel(" + k.name() + ")");
            return new Event(ev.get(ADDRESS, 0), k.name());
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Copies {@code src} (a native segment: the device may read it after this returns) to
     * {@code dst[offset..]}. Non-blocking unless {@code blocking}; the caller keeps src alive and
     * untouched until the returned event completes, and closes the event.
     */
    public static Event write(Queue q, Buffer dst, long offset, MemorySegment src, boolean blocking, List<Event> waitFor) {
        requireNative(src);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            int rc = (int) api().enqueueWriteBuffer.invokeExact(q.id(), dst.id(), blocking ? 1 : 0, offset,
                    src.byteSize(), src, waitFor.size(), waitList(a, waitFor), ev);
            check(rc, "clEnqueueWriteBuffer(" + src.byteSize() + " bytes)");
            return new Event(ev.get(ADDRESS, 0), "write");
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code src[offset.. offset + dst.byteSize())} into the native segment {@code dst}; see {@link #write}. */
    public static Event read(Queue q, Buffer src, long offset, MemorySegment dst, boolean blocking, List<Event> waitFor) {
        requireNative(dst);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            int rc = (int) api().enqueueReadBuffer.invokeExact(q.id(), src.id(), blocking ? 1 : 0, offset,
                    dst.byteSize(), dst, waitFor.size(), waitList(a, waitFor), ev);
            check(rc, "clEnqueueReadBuffer(" + dst.byteSize() + " bytes)");
            return new Event(ev.get(ADDRESS, 0), "read");
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Fills the whole buffer with a repeated 4-byte pattern (e.g. Float.floatToIntBits(-inf)). */
    public static Event fill(Queue q, Buffer b, int pattern, List<Event> waitFor) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            int rc = (int) api().enqueueFillBuffer.invokeExact(q.id(), b.id(), a.allocateFrom(JAVA_INT, pattern), 4L,
                    0L, b.bytes() / 4 * 4, waitFor.size(), waitList(a, waitFor), ev);
            check(rc, "clEnqueueFillBuffer(" + b.bytes() + " bytes)");
            return new Event(ev.get(ADDRESS, 0), "fill");
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocks until all events completed; a failed command is reported with its own error code. */
    /** An event that completes when every command enqueued on {@code q} before it has (an in-order queue's marker). */
    public static Event marker(Queue q) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            int rc = (int) api().enqueueMarkerWithWaitList.invokeExact(q.id(), 0, MemorySegment.NULL, ev);
            check(rc, "clEnqueueMarkerWithWaitList");
            return new Event(ev.get(ADDRESS, 0), "marker");
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void waitFor(List<Event> events) {
        if (events.isEmpty()) return;
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) api().waitForEvents.invokeExact(events.size(), waitList(a, events));
            if (rc == EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) {
                for (Event e : events) {
                    int s = e.status();
                    if (s < 0) throw new CLException(e.what(), s);
                }
            }
            check(rc, "clWaitForEvents");
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---------------------------------------------------------------- plumbing

    private static MemorySegment waitList(Arena a, List<Event> events) {
        if (events.isEmpty()) return MemorySegment.NULL;
        MemorySegment list = a.allocate(ADDRESS, events.size());
        for (int i = 0; i < events.size(); i++) list.setAtIndex(ADDRESS, i, events.get(i).id());
        return list;
    }

    private static void requireNative(MemorySegment s) {
        if (!s.isNative()) throw new IllegalArgumentException("OpenCL transfers need a native (off-heap) segment");
    }

    private static String platformString(Platform p, int param) {
        return infoString((size, value, ret) -> (int) api().getPlatformInfo.invokeExact(p.id(), param, size, value, ret),
                "clGetPlatformInfo");
    }

    private static String deviceString(Device d, int param) {
        return infoString((size, value, ret) -> (int) api().getDeviceInfo.invokeExact(d.id(), param, size, value, ret),
                "clGetDeviceInfo");
    }

    private static long deviceLong(Device d, int param, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(8);
            int rc = (int) api().getDeviceInfo.invokeExact(d.id(), param, (long) bytes, out, MemorySegment.NULL);
            check(rc, "clGetDeviceInfo(0x" + Integer.toHexString(param) + ")");
            return bytes == 4 ? Integer.toUnsignedLong(out.get(JAVA_INT, 0)) : out.get(JAVA_LONG, 0);
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @FunctionalInterface
    private interface InfoCall {
        int call(long size, MemorySegment value, MemorySegment sizeRet) throws Throwable;
    }

    private static String infoString(InfoCall f, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check(f.call(0L, MemorySegment.NULL, size), what);
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(n, 1));
            check(f.call(n, buf, MemorySegment.NULL), what);
            return buf.getString(0).strip().replaceAll("\\s+", " ");   // drivers pad with runs of spaces
        } catch (CLException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void check(int rc, String call) {
        if (rc != 0) throw new CLException(call, rc);
    }

    private static int callInt(MethodHandle h, MemorySegment arg) {
        try {
            return (int) h.invokeExact(arg);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void release(MethodHandle h, MemorySegment id, String call) {
        check(callInt(h, id), call);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static Api api() {
        if (API == null) throw new NeuroscanException("OpenCL is not available: " + PROBLEM);
        return API;
    }

    private static final Api API;
    private static final String PROBLEM;

    static {
        Api api = null;
        String problem = null;
        try {
            api = new Api(loadLibrary());
        } catch (IllegalArgumentException | MissingFunction | UnsupportedOperationException e) {
            problem = e.getMessage();
        } catch (IllegalCallerException e) {
            problem = "native access is disabled; run java with --enable-native-access=ALL-UNNAMED";
        }
        API = api;
        PROBLEM = problem;
    }

    private static SymbolLookup loadLibrary() {
        for (String name : LIBRARIES) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException notThere) {
                // try the next name
            }
        }
        throw new IllegalArgumentException("the OpenCL ICD loader (libOpenCL.so.1) is not installed");
    }

    private static final class MissingFunction extends RuntimeException {
        MissingFunction(String m) {
            super(m);
        }
    }

    /** Downcall handles, one per OpenCL function used. */
    private static final class Api {
        private static final AddressLayout P = ADDRESS;
        private static final MemoryLayout I = JAVA_INT, L = JAVA_LONG;

        final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext,
                releaseContext, createCommandQueue, releaseCommandQueue, createBuffer, releaseMemObject,
                createProgramWithSource, buildProgram, getProgramBuildInfo, releaseProgram, createKernel,
                setKernelArg, getKernelWorkGroupInfo, releaseKernel, enqueueNDRangeKernel, enqueueWriteBuffer,
                enqueueReadBuffer, enqueueFillBuffer, enqueueMarkerWithWaitList, waitForEvents, getEventInfo,
                getEventProfilingInfo, releaseEvent, flush, finish;
        private final SymbolLookup lib;
        private final Linker linker = Linker.nativeLinker();

        Api(SymbolLookup lib) {
            this.lib = lib;
            getPlatformIDs = h("clGetPlatformIDs", I, I, P, P);
            getPlatformInfo = h("clGetPlatformInfo", I, P, I, L, P, P);
            getDeviceIDs = h("clGetDeviceIDs", I, P, L, I, P, P);
            getDeviceInfo = h("clGetDeviceInfo", I, P, I, L, P, P);
            createContext = h("clCreateContext", P, P, I, P, P, P, P);
            releaseContext = h("clReleaseContext", I, P);
            createCommandQueue = h("clCreateCommandQueue", P, P, P, L, P);
            releaseCommandQueue = h("clReleaseCommandQueue", I, P);
            createBuffer = h("clCreateBuffer", P, P, L, L, P, P);
            releaseMemObject = h("clReleaseMemObject", I, P);
            createProgramWithSource = h("clCreateProgramWithSource", P, P, I, P, P, P);
            buildProgram = h("clBuildProgram", I, P, I, P, P, P, P);
            getProgramBuildInfo = h("clGetProgramBuildInfo", I, P, P, I, L, P, P);
            releaseProgram = h("clReleaseProgram", I, P);
            createKernel = h("clCreateKernel", P, P, P, P);
            setKernelArg = h("clSetKernelArg", I, P, I, L, P);
            getKernelWorkGroupInfo = h("clGetKernelWorkGroupInfo", I, P, P, I, L, P, P);
            releaseKernel = h("clReleaseKernel", I, P);
            enqueueNDRangeKernel = h("clEnqueueNDRangeKernel", I, P, P, I, P, P, P, I, P, P);
            enqueueWriteBuffer = h("clEnqueueWriteBuffer", I, P, P, I, L, L, P, I, P, P);
            enqueueReadBuffer = h("clEnqueueReadBuffer", I, P, P, I, L, L, P, I, P, P);
            enqueueFillBuffer = h("clEnqueueFillBuffer", I, P, P, P, L, L, L, I, P, P);
            enqueueMarkerWithWaitList = h("clEnqueueMarkerWithWaitList", I, P, I, P, P);
            waitForEvents = h("clWaitForEvents", I, I, P);
            getEventInfo = h("clGetEventInfo", I, P, I, L, P, P);
            getEventProfilingInfo = h("clGetEventProfilingInfo", I, P, I, L, P, P);
            releaseEvent = h("clReleaseEvent", I, P);
            flush = h("clFlush", I, P);
            finish = h("clFinish", I, P);
        }

        private MethodHandle h(String name, MemoryLayout ret, MemoryLayout... args) {
            MemorySegment fn = lib.find(name).orElseThrow(
                    () -> new MissingFunction("the OpenCL loader lacks " + name + " (OpenCL 1.2 is needed)"));
            return linker.downcallHandle(fn, FunctionDescriptor.of(ret, args));
        }
    }
}
