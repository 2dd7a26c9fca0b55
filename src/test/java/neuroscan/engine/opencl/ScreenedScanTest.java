package neuroscan.engine.opencl;

import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.ScreenedScanContract;
import neuroscan.model.Weights;

/** {@link ScreenedScanContract} on OpenCL (PoCL in CI), where ctx.mmaTf32 runs as its model. */
class ScreenedScanTest extends ScreenedScanContract {
    @Override
    protected GpuEngine open(Weights w, int batchTokens) {
        Device.get();
        return OpenClEngine.open(w, 0, batchTokens);
    }
}
