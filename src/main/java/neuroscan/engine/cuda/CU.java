package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A small binding of the CUDA driver API ({@code libcuda.so.1}, which every NVIDIA driver installs)
 * through the Foreign Function &amp; Memory API: no JNI, no CUDA toolkit needed at run time. Only the calls
 * neuroscan uses: devices, the primary context, modules from PTX, launches, memory (device and pinned
 * host), streams, events and graphs. Every call checks its CUresult and throws {@link CudaException}
 * with the driver's CUDA_ERROR_* name. {@link #unavailable()} says why the driver cannot be used.
 *
 * <p>cuda.h renames many functions to versioned symbols ({@code #define cuMemAlloc cuMemAlloc_v2});
 * {@link #FUNCTIONS} lists for each API name the symbol cuda.h picks first, then older symbols with the
 * same signature that drivers before it export. {@code CudaHeaderTest} checks the table, the constants
 * and the struct layout below against the real cuda.h with the C compiler.
 */
public final class CU {
    private CU() {
    }

    // cuda.h values (checked by CudaHeaderTest)
    static final int SUCCESS = 0, ERROR_OUT_OF_MEMORY = 2, ERROR_NO_DEVICE = 100, ERROR_INVALID_IMAGE = 200,
            ERROR_NO_BINARY_FOR_GPU = 209, ERROR_INVALID_PTX = 218, ERROR_UNSUPPORTED_PTX_VERSION = 222;
    static final int DEVICE_ATTRIBUTE_CLOCK_RATE = 13,
            DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16, DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
            DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int STREAM_NON_BLOCKING = 1, EVENT_DEFAULT = 0, EVENT_DISABLE_TIMING = 2;
    static final int JIT_ERROR_LOG_BUFFER = 5, JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

    /** Where the driver library may be, tried in order ({@code NEUROSCAN_CUDA_LIB} first when set). */
    static List<String> libraries() {
        List<String> out = new ArrayList<>();
        String env = System.getenv("NEUROSCAN_CUDA_LIB");
        if (env != null && !env.isBlank()) out.add(env);
        out.addAll(List.of("libcuda.so.1", "libcuda.so", "/usr/lib/wsl/lib/libcuda.so.1", "nvcuda.dll"));
        return out;
    }

    // ---------------------------------------------------------------- the function table

    private static final MemoryLayout I = JAVA_INT, L = JAVA_LONG, P = ADDRESS;

    /** One driver function: its name in cuda.h, the symbols to try in order, and its C signature (returns CUresult). */
    record Fn(String api, List<String> symbols, FunctionDescriptor descriptor) {
    }

    static final Map<String, Fn> FUNCTIONS = new LinkedHashMap<>();

    private static void fn(String api, String symbols, MemoryLayout... args) {
        FUNCTIONS.put(api, new Fn(api, List.of(symbols.split(" ")), FunctionDescriptor.of(JAVA_INT, args)));
    }

    static {
        fn("cuInit", "cuInit", I);
        fn("cuDriverGetVersion", "cuDriverGetVersion", P);
        fn("cuGetErrorName", "cuGetErrorName", I, P);
        fn("cuDeviceGetCount", "cuDeviceGetCount", P);
        fn("cuDeviceGet", "cuDeviceGet", P, I);
        fn("cuDeviceGetName", "cuDeviceGetName", P, I, I);
        fn("cuDeviceGetAttribute", "cuDeviceGetAttribute", P, I, I);
        fn("cuDeviceTotalMem", "cuDeviceTotalMem_v2", P, I);
        fn("cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", P, I);
        fn("cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2 cuDevicePrimaryCtxRelease", I);
        fn("cuCtxSetCurrent", "cuCtxSetCurrent", P);
        fn("cuCtxSynchronize", "cuCtxSynchronize");
        fn("cuMemGetInfo", "cuMemGetInfo_v2", P, P);
        fn("cuModuleLoadDataEx", "cuModuleLoadDataEx", P, P, I, P, P);
        fn("cuModuleGetFunction", "cuModuleGetFunction", P, P, P);
        fn("cuModuleUnload", "cuModuleUnload", P);
        fn("cuLaunchKernel", "cuLaunchKernel", P, I, I, I, I, I, I, I, P, P, P);
        fn("cuMemAlloc", "cuMemAlloc_v2", P, L);
        fn("cuMemFree", "cuMemFree_v2", L);
        fn("cuMemHostAlloc", "cuMemHostAlloc", P, L, I);
        fn("cuMemFreeHost", "cuMemFreeHost", P);
        fn("cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2", L, P, L, P);
        fn("cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2", P, L, L, P);
        fn("cuMemsetD32Async", "cuMemsetD32Async", L, I, L, P);
        fn("cuStreamCreate", "cuStreamCreate", P, I);
        fn("cuStreamDestroy", "cuStreamDestroy_v2", P);
        fn("cuStreamSynchronize", "cuStreamSynchronize", P);
        fn("cuStreamWaitEvent", "cuStreamWaitEvent", P, P, I);
        fn("cuEventCreate", "cuEventCreate", P, I);
        fn("cuEventRecord", "cuEventRecord", P, P);
        fn("cuEventSynchronize", "cuEventSynchronize", P);
        fn("cuEventElapsedTime", "cuEventElapsedTime_v2 cuEventElapsedTime", P, P, P);
        fn("cuEventDestroy", "cuEventDestroy_v2", P);
        fn("cuGraphCreate", "cuGraphCreate", P, I);
        fn("cuGraphAddKernelNode", "cuGraphAddKernelNode_v2 cuGraphAddKernelNode", P, P, P, L, P);
        fn("cuGraphInstantiateWithFlags", "cuGraphInstantiateWithFlags", P, P, L);
        fn("cuGraphExecKernelNodeSetParams", "cuGraphExecKernelNodeSetParams_v2 cuGraphExecKernelNodeSetParams", P, P, P);
        fn("cuGraphLaunch", "cuGraphLaunch", P, P);
        fn("cuGraphExecDestroy", "cuGraphExecDestroy", P);
        fn("cuGraphDestroy", "cuGraphDestroy", P);
    }

    /**
     * CUDA_KERNEL_NODE_PARAMS (the _v2 struct of CUDA 12.3+). Drivers that only have the v1 functions read
     * the first 56 bytes, which v1 and v2 share; kern and ctx stay NULL (func is always set).
     */
    static final StructLayout KERNEL_NODE_PARAMS = MemoryLayout.structLayout(
            ADDRESS.withName("func"),
            JAVA_INT.withName("gridDimX"), JAVA_INT.withName("gridDimY"), JAVA_INT.withName("gridDimZ"),
            JAVA_INT.withName("blockDimX"), JAVA_INT.withName("blockDimY"), JAVA_INT.withName("blockDimZ"),
            JAVA_INT.withName("sharedMemBytes"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("kernelParams"), ADDRESS.withName("extra"),
            ADDRESS.withName("kern"), ADDRESS.withName("ctx"));

    static long offsetOf(String field) {
        return KERNEL_NODE_PARAMS.byteOffset(groupElement(field));
    }

    // ---------------------------------------------------------------- loading

    private static final Map<String, MethodHandle> HANDLES;
    private static final String PROBLEM;

    static {
        Map<String, MethodHandle> handles = null;
        String problem = null;
        try {
            handles = bind(load());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            problem = e.getMessage();
        } catch (IllegalCallerException e) {
            problem = "native access is disabled; run java with --enable-native-access=ALL-UNNAMED";
        }
        if (handles != null) {
            int rc = call(handles.get("cuInit"), 0);
            if (rc != SUCCESS) {
                problem = "the CUDA driver did not start: cuInit returned " + name(handles, rc) + " (" + rc + ")"
                        + (rc == ERROR_NO_DEVICE ? ": no NVIDIA GPU is visible" : "");
                handles = null;
            }
        }
        HANDLES = handles;
        PROBLEM = problem;
    }

    private static SymbolLookup load() {
        for (String name : libraries()) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException notThere) {
                // try the next name
            }
        }
        throw new IllegalArgumentException("the CUDA driver (libcuda.so.1) is not installed");
    }

    /** A handle for every function of the table, taking the first symbol the library exports. */
    static Map<String, MethodHandle> bind(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        Map<String, MethodHandle> out = new LinkedHashMap<>();
        for (Fn f : FUNCTIONS.values()) {
            MemorySegment addr = null;
            for (String s : f.symbols()) {
                addr = lib.find(s).orElse(null);
                if (addr != null) break;
            }
            if (addr == null) {
                throw new IllegalArgumentException("the CUDA driver lacks " + f.symbols().getFirst()
                        + " (an NVIDIA driver for CUDA 11.4 or newer is needed)");
            }
            out.put(f.api(), linker.downcallHandle(addr, f.descriptor()));
        }
        return out;
    }

    /** Empty when CUDA can be used; otherwise why not (no driver, no GPU, native access off). */
    public static Optional<String> unavailable() {
        if (PROBLEM != null) return Optional.of(PROBLEM);
        if (deviceCount() == 0) return Optional.of("the CUDA driver sees no GPU");
        return Optional.empty();
    }

    /** Calls the driver function {@code api} with {@code args}, throwing on any CUresult but CUDA_SUCCESS. */
    static void check(String api, Object... args) {
        int rc = invoke(api, args);
        if (rc != SUCCESS) throw error(api, rc);
    }

    /** Calls it and returns the CUresult (for the few calls where an error is an answer). */
    static int invoke(String api, Object... args) {
        if (HANDLES == null) throw new NeuroscanException("CUDA is not available: " + PROBLEM);
        return call(HANDLES.get(api), args);
    }

    static CudaException error(String api, int rc) {
        return new CudaException(api, rc, name(HANDLES, rc));
    }

    private static int call(MethodHandle h, Object... args) {
        for (int i = 0; i < args.length; i++) {   // an int literal where C takes size_t or CUdeviceptr
            if (args[i] instanceof Integer v && h.type().parameterType(i) == long.class) args[i] = (long) v;
        }
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String name(Map<String, MethodHandle> handles, int rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if (handles != null && call(handles.get("cuGetErrorName"), rc, out) == SUCCESS) {
                MemorySegment s = out.get(ADDRESS, 0);
                if (!s.equals(MemorySegment.NULL)) return s.reinterpret(256).getString(0);
            }
        }
        return "CUresult " + rc;
    }

    // ---------------------------------------------------------------- small helpers for the classes of this package

    /**
     * Calls a function whose first parameter is its one output ({@code int*}, {@code size_t*}, a handle's
     * {@code CUstream*}, ...) with {@code rest} after it, and returns the value written there.
     */
    private static Object out(ValueLayout layout, String api, Object... rest) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(layout);
            Object[] args = new Object[rest.length + 1];
            args[0] = out;
            System.arraycopy(rest, 0, args, 1, rest.length);
            check(api, args);
            return layout.varHandle().get(out, 0L);
        }
    }

    /** A handle made by {@code api} (cuStreamCreate, cuGraphCreate, cuModuleGetFunction, ...). */
    static MemorySegment create(String api, Object... rest) {
        return (MemorySegment) out(ADDRESS, api, rest);
    }

    static int driverVersion() {
        return (int) out(JAVA_INT, "cuDriverGetVersion");
    }

    static int deviceCount() {
        return (int) out(JAVA_INT, "cuDeviceGetCount");
    }

    /** The handle of device {@code ordinal}. */
    static int device(int ordinal) {
        return (int) out(JAVA_INT, "cuDeviceGet", ordinal);
    }

    static int attribute(int device, int attribute) {
        return (int) out(JAVA_INT, "cuDeviceGetAttribute", attribute, device);
    }

    static long totalMem(int device) {
        return (long) out(JAVA_LONG, "cuDeviceTotalMem", device);
    }

    /** cuMemAlloc: a device pointer (CUdeviceptr is a 64-bit integer, not a host address). */
    static long memAlloc(long bytes) {
        return (long) out(JAVA_LONG, "cuMemAlloc", Math.max(bytes, 1));
    }

    static float elapsedMillis(MemorySegment start, MemorySegment end) {
        return (float) out(JAVA_FLOAT, "cuEventElapsedTime", start, end);
    }

    static String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check("cuDeviceGetName", buf, 256, device);
            return buf.getString(0).strip();
        }
    }

    /** Free and total bytes of the current context's device. */
    static long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(JAVA_LONG), total = a.allocate(JAVA_LONG);
            check("cuMemGetInfo", free, total);
            return new long[]{free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
        }
    }

    // ---------------------------------------------------------------- typed handles (as CL has)

    /** A CUcontext: the device's primary context, retained until closed. */
    record Context(int device, MemorySegment handle) implements AutoCloseable {
        static Context retainPrimary(int device) {
            return new Context(device, create("cuDevicePrimaryCtxRetain", device));
        }

        /** Makes it current on the calling thread (CUDA contexts are per thread). */
        void makeCurrent() {
            check("cuCtxSetCurrent", handle);
        }

        @Override
        public void close() {
            invoke("cuDevicePrimaryCtxRelease", device);
        }
    }

    /** A CUstream: work on one stream runs in order. */
    record Stream(MemorySegment handle) implements AutoCloseable {
        static Stream create() {
            return new Stream(CU.create("cuStreamCreate", STREAM_NON_BLOCKING));
        }

        void synchronize() {
            check("cuStreamSynchronize", handle);
        }

        /** Later work on this stream waits for {@code e}. */
        void waitFor(Event e) {
            check("cuStreamWaitEvent", handle, e.handle(), 0);
        }

        @Override
        public void close() {
            invoke("cuStreamDestroy", handle);
        }
    }

    /** A CUevent: a point in a stream, with a time stamp unless made without timing. */
    record Event(MemorySegment handle) implements AutoCloseable {
        static Event create(boolean timing) {
            return new Event(CU.create("cuEventCreate", timing ? EVENT_DEFAULT : EVENT_DISABLE_TIMING));
        }

        void record(Stream s) {
            check("cuEventRecord", handle, s.handle());
        }

        void synchronize() {
            check("cuEventSynchronize", handle);
        }

        /** Milliseconds from {@code start} to this event (both recorded, with timing). */
        float since(Event start) {
            return elapsedMillis(start.handle(), handle);
        }

        @Override
        public void close() {
            invoke("cuEventDestroy", handle);
        }
    }

    /** Page-locked host memory: copies to and from it are DMA, asynchronous to the host. */
    record HostMemory(MemorySegment segment) implements AutoCloseable {
        static HostMemory allocate(long bytes) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                check("cuMemHostAlloc", out, Math.max(bytes, 1), 0);
                return new HostMemory(out.get(ADDRESS, 0).reinterpret(Math.max(bytes, 1)));
            }
        }

        @Override
        public void close() {
            invoke("cuMemFreeHost", segment);
        }
    }

    static VarHandle field(String name) {
        return KERNEL_NODE_PARAMS.varHandle(groupElement(name));
    }
}
