package neuroscan.engine.gpu;

/**
 * What the kernel tests need of a GPU runtime, so one set of tests ({@link KernelsContract}) runs each
 * kernel on OpenCL and on CUDA: buffers in and out, and a launch that returns once the kernel finished.
 */
public interface KernelDevice {
    DeviceBuffer floats(float[] v);

    DeviceBuffer ints(int[] v);

    /** n floats, each {@code value} (NaN: an element the kernel skips shows). */
    DeviceBuffer filled(long n, float value);

    DeviceBuffer filledInts(long n, int value);

    float[] read(DeviceBuffer b, int n);

    int[] readInts(DeviceBuffer b, int n);

    /** Runs the call with the kernels built for {@code dHead} and waits for it. */
    void launch(int dHead, Call c);
}
