package neuroscan.engine.cuda;

import neuroscan.engine.gpu.DeviceBuffer;

/** Device memory from cuMemAlloc: a CUdeviceptr (a 64-bit device address, not a host pointer) and its size. */
record CudaBuffer(long ptr, long bytes, String what) implements DeviceBuffer, AutoCloseable {
    static CudaBuffer allocate(long bytes, String what) {
        return new CudaBuffer(CU.memAlloc(bytes), bytes, what);
    }

    @Override
    public void close() {
        CU.invoke("cuMemFree", ptr);
    }
}
