package neuroscan.engine.cuda;

import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.GpuModel;
import neuroscan.model.Weights;

/**
 * The GPU engine ({@link GpuEngine}: the task graphs of the Java kernels) on an NVIDIA GPU through the
 * CUDA driver API ({@link CudaDevice}: each batch's graph is one CUDA graph, replayed with new sizes).
 */
public final class CudaEngine {
    private CudaEngine() {
    }

    /** GPU {@code deviceIndex} of {@link CudaDevices#list()} with the default batch size. */
    public static GpuEngine open(Weights weights, int deviceIndex) {
        return open(weights, deviceIndex, Math.max(GpuModel.DEFAULT_MAX_BATCH_TOKENS * 2, weights.cfg().nCtx()));
    }

    /** For batches of up to {@code maxBatchTokens} tokens (halved while the buffers do not fit). */
    public static GpuEngine open(Weights weights, int deviceIndex, int maxBatchTokens) {
        if (maxBatchTokens < weights.cfg().nCtx()) {
            throw new IllegalArgumentException("a batch of " + maxBatchTokens + " tokens cannot hold an n_ctx ("
                    + weights.cfg().nCtx() + ") document");
        }
        return GpuEngine.open(weights, CudaDevice.open(deviceIndex, weights.cfg().dHead()), maxBatchTokens);
    }
}
