package neuroscan.engine;

import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.Weights;

/** {@link TorchLayersContract} on the CPU engine (Vector API, two threads). */
class TorchLayersCpuTest extends TorchLayersContract {
    @Override
    protected Engine open(Weights w) {
        return new CpuEngine(w, 2);
    }
}
