package neuroscan.engine.gpu;

/** A buffer in device memory, whichever runtime (OpenCL, CUDA) allocated it. */
public interface DeviceBuffer extends AutoCloseable {
    long bytes();

    /** Frees the device memory. */
    @Override
    void close();
}
