package neuroscan.engine.gpu;

/**
 * The kernel contract on the CPU runner: each Java kernel, run as written, against the CPU engine's
 * Vector-API twin and the scalar oracle (OpenCL's {@code KernelsTest} runs the same tests on its
 * translation, CUDA's {@code CudaKernelsTest} on the PTX).
 */
class CpuKernelsTest extends KernelsContract {
    private static final CpuKernelDevice DEVICE = new CpuKernelDevice();

    @Override
    protected KernelDevice device() {
        return DEVICE;
    }
}
