package neuroscan.engine.gpu;

/** A buffer in device memory, whichever runtime (OpenCL, CUDA) allocated it. */
public interface DeviceBuffer {
    long bytes();
}
