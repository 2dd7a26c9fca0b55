package neuroscan.engine.cuda;

import neuroscan.engine.gpu.KernelDevice;
import neuroscan.engine.gpu.KernelsContract;

/**
 * Every kernel against its twins on CUDA: the PTX from the jar, or NVRTC's with NEUROSCAN_CUDA_PTX=nvrtc.
 * The tests are {@link KernelsContract}'s; they skip without a CUDA GPU.
 */
class CudaKernelsTest extends KernelsContract {
    @Override
    protected KernelDevice device() {
        return Gpu.get();
    }
}
