package neuroscan.engine.cuda;

import neuroscan.engine.Engine;
import neuroscan.engine.TorchLayersContract;
import neuroscan.model.Weights;

/** {@link TorchLayersContract} on the CUDA engine (the same task graphs as OpenCL); skips without a CUDA GPU. */
class TorchLayersCudaTest extends TorchLayersContract {
    @Override
    protected Engine open(Weights w) {
        Gpu.get();
        return CudaEngine.open(w, 0);
    }
}
