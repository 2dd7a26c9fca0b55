package neuroscan.engine;

import neuroscan.model.Weights;

/** {@link TorchLayersContract} on the reference (plain loops in double). */
class TorchLayersReferenceTest extends TorchLayersContract {
    @Override
    protected Engine open(Weights w) {
        return new ReferenceEngine(w);
    }
}
