package neuroscan.engine.cuda;

import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.ScreenedScanContract;
import neuroscan.model.ModelConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ScreenedScanContract} on CUDA: on sm_80+ the screen runs on the tensor cores themselves, whose
 * order and rounding inside mma are NVIDIA's; and screening is the default there.
 */
class CudaScreenedScanTest extends ScreenedScanContract {
    @Override
    protected GpuEngine open(neuroscan.model.Weights w, int batchTokens) {
        Gpu.get();
        return CudaEngine.open(w, 0, batchTokens);
    }

    @Test
    void screeningIsTheDefaultExactlyWhereTheGpuHasTf32TensorCores() {
        var w = neuroscan.engine.gpu.RandomModel.create(ModelConfig.gelu1lShaped(48, 3, 100, 96, 61), 1);
        try (GpuEngine e = open(w, 2 * 96)) {
            boolean sm80 = CudaDevices.list().getFirst().ccMajor() >= 8;
            assertEquals(sm80, e.screens(), e.describe());
        }
    }
}
