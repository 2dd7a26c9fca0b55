package neuroscan.engine.opencl;

import neuroscan.engine.gpu.KernelDevice;
import neuroscan.engine.gpu.KernelsContract;

/** Every kernel against its twins on OpenCL (PoCL on the CPU in CI); the tests are {@link KernelsContract}'s. */
class KernelsTest extends KernelsContract {
    @Override
    protected KernelDevice device() {
        return Device.get();
    }
}
