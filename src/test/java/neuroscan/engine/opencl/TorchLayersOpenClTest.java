package neuroscan.engine.opencl;

import neuroscan.engine.Engine;
import neuroscan.engine.TorchLayersContract;
import neuroscan.model.Weights;

/** {@link TorchLayersContract} on the OpenCL engine (PoCL in CI): every layer's task graph against PyTorch. */
class TorchLayersOpenClTest extends TorchLayersContract {
    @Override
    protected Engine open(Weights w) {
        Device.get();
        return OpenClEngine.open(w, 0);
    }
}
