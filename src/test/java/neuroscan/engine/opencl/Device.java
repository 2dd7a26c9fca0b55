package neuroscan.engine.opencl;

import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.MemorySegment;

/**
 * The OpenCL device the tests run on (device 0), opened once per test JVM. Where OpenCL is missing,
 * {@link #get()} skips the calling test with the reason (a JUnit assumption), so the rest of the suite
 * still runs.
 */
final class Device implements neuroscan.engine.gpu.KernelDevice {
    final OpenClDevices.Info info;
    final CL.Context ctx;
    final CL.Queue queue;
    private Kernels kernels;
    private int kernelsDHead = -1;

    private static Device instance;

    private Device() {
        info = OpenClDevices.select(0);
        ctx = CL.createContext(info.device());
        queue = CL.createQueue(ctx, info.device(), true);
    }

    static synchronized Device get() {
        var why = CL.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "OpenCL tests skipped: " + why.orElse(""));
        if (instance == null) instance = new Device();
        return instance;
    }

    /** The kernels built for {@code dHead} (rebuilt only when it changes; PoCL caches the binaries). */
    synchronized Kernels kernels(int dHead) {
        if (kernelsDHead != dHead) {
            if (kernels != null) kernels.close();
            kernels = new Kernels(ctx, info.device(), dHead);
            kernelsDHead = dHead;
        }
        return kernels;
    }

    @Override
    public CL.Buffer floats(float[] v) {
        return Transfers.upload(ctx, queue, v, "test");
    }

    @Override
    public CL.Buffer ints(int[] v) {
        return Transfers.upload(ctx, queue, v, "test");
    }

    /** A read-write buffer filled with the float {@code value}. */
    @Override
    public CL.Buffer filled(long n, float value) {
        CL.Buffer b = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4 * n, "test");
        CL.fill(queue, b, Float.floatToRawIntBits(value), java.util.List.of()).close();
        return b;
    }

    @Override
    public CL.Buffer filledInts(long n, int value) {
        CL.Buffer b = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4 * n, "test");
        CL.fill(queue, b, value, java.util.List.of()).close();
        return b;
    }

    @Override
    public float[] read(neuroscan.engine.gpu.DeviceBuffer b, int n) {
        queue.finish();
        return Transfers.readFloats(queue, (CL.Buffer) b, n);
    }

    @Override
    public int[] readInts(neuroscan.engine.gpu.DeviceBuffer b, int n) {
        queue.finish();
        return Transfers.readInts(queue, (CL.Buffer) b, n);
    }

    @Override
    public void launch(int dHead, neuroscan.engine.gpu.Call c) {
        kernels(dHead).launch(queue, c, java.util.List.of()).close();
        queue.finish();
    }

    static MemorySegment none() {
        return MemorySegment.NULL;
    }
}
