package neuroscan.engine.cuda;

import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * GPU 0 for the kernel tests, opened once per test JVM: its primary context, a stream, and the kernel
 * modules per d_head. Where CUDA is missing, {@link #get()} skips the calling test with the reason.
 */
final class Gpu implements neuroscan.engine.gpu.KernelDevice {
    final CudaDevices.Info info;
    final MemorySegment ctx, stream;
    private final Map<Integer, Modules> modules = new HashMap<>();
    private static Gpu instance;

    private Gpu() {
        info = CudaDevices.select(0);
        ctx = CU.create("cuDevicePrimaryCtxRetain", info.device());
        CU.check("cuCtxSetCurrent", ctx);
        stream = CU.create("cuStreamCreate", CU.STREAM_NON_BLOCKING);
    }

    static synchronized Gpu get() {
        var why = CU.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "CUDA tests skipped: " + why.orElse(""));
        if (instance == null) instance = new Gpu();
        CU.check("cuCtxSetCurrent", instance.ctx);   // contexts are per thread
        return instance;
    }

    synchronized Modules modules(int dHead) {
        return modules.computeIfAbsent(dHead, d -> new Modules(info, d));
    }

    @Override
    public CudaBuffer floats(float[] v) {
        return upload(MemorySegment.ofArray(v));
    }

    @Override
    public CudaBuffer ints(int[] v) {
        return upload(MemorySegment.ofArray(v));
    }

    /** n floats, every one {@code value} (NaN: a kernel that skips an element shows). */
    @Override
    public CudaBuffer filled(long n, float value) {
        return filledBits(n, Float.floatToRawIntBits(value));
    }

    @Override
    public CudaBuffer filledInts(long n, int value) {
        return filledBits(n, value);
    }

    private CudaBuffer filledBits(long n, int bits) {
        CudaBuffer b = CudaBuffer.allocate(4 * n, "test");
        CU.check("cuMemsetD32Async", b.ptr(), bits, n, stream);
        return b;
    }

    private CudaBuffer upload(MemorySegment data) {
        CudaBuffer b = CudaBuffer.allocate(data.byteSize(), "test");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment stage = a.allocate(Math.max(data.byteSize(), 1));
            stage.asSlice(0, data.byteSize()).copyFrom(data);
            CU.check("cuMemcpyHtoDAsync", b.ptr(), stage, data.byteSize(), stream);
            CU.check("cuStreamSynchronize", stream);
        }
        return b;
    }

    @Override
    public float[] read(neuroscan.engine.gpu.DeviceBuffer b, int n) {
        float[] out = new float[n];
        MemorySegment.copy(download((CudaBuffer) b, 4L * n), JAVA_FLOAT, 0, out, 0, n);
        return out;
    }

    @Override
    public int[] readInts(neuroscan.engine.gpu.DeviceBuffer b, int n) {
        int[] out = new int[n];
        MemorySegment.copy(download((CudaBuffer) b, 4L * n), JAVA_INT, 0, out, 0, n);
        return out;
    }

    private MemorySegment download(CudaBuffer b, long bytes) {
        MemorySegment host = Arena.ofAuto().allocate(Math.max(bytes, 1));
        CU.check("cuMemcpyDtoHAsync", host, b.ptr(), bytes, stream);
        CU.check("cuStreamSynchronize", stream);
        return host;
    }

    @Override
    public void launch(int dHead, neuroscan.engine.gpu.Call c) {
        Launches.launch(modules(dHead), stream, c);
        CU.check("cuStreamSynchronize", stream);
    }
}
