package neuroscan.engine.cuda;

import neuroscan.engine.Engine;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.engine.gpu.GpuEngineContract;
import neuroscan.engine.gpu.KernelsContract;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA engine (graphs, two token slots, pinned memory): {@link GpuEngineContract}'s checks against the
 * reference, plus the CPU engine's store and per-kernel timing. Skips without a CUDA GPU.
 */
class CudaEngineTest extends GpuEngineContract {
    @Override
    protected Engine open(Integer maxBatchTokens) {
        Gpu.get();
        return maxBatchTokens == null ? CudaEngine.open(weights, 0) : CudaEngine.open(weights, 0, maxBatchTokens);
    }

    @Override
    protected neuroscan.engine.gpu.GpuEngine open(neuroscan.model.Weights w, int maxBatchTokens) {
        Gpu.get();
        return CudaEngine.open(w, 0, maxBatchTokens);
    }

    @Test
    void matchesTheCpuEngine() {
        Gpu.get();
        try (neuroscan.engine.gpu.GpuEngine e = CudaEngine.open(weights, 0); CpuEngine cpu = new CpuEngine(weights, 2)) {
            assertTrue(e.describe().startsWith("cuda: "), e.describe());
            float[] max = checkDocMax(e);
            float[] cpuMax = new float[max.length];
            cpu.docMax(docs, cpuMax, new int[max.length]);
            KernelsContract.assertClose(cpuMax, max, 1e-4, "docMax vs the CPU engine");
        }
    }
}
