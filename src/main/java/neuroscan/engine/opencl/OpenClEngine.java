package neuroscan.engine.opencl;

import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.GpuModel;
import neuroscan.model.Weights;

/**
 * The GPU engine ({@link GpuEngine}: the task graphs of the Java kernels) on an OpenCL device
 * ({@link OpenClDevice}; PoCL runs it on the CPU in CI).
 */
public final class OpenClEngine {
    public static final int DEFAULT_MAX_BATCH_TOKENS = GpuModel.DEFAULT_MAX_BATCH_TOKENS;

    private OpenClEngine() {
    }

    /** Opens device {@code deviceIndex} of {@link OpenClDevices#list()} with the default batch size. */
    public static GpuEngine open(Weights weights, int deviceIndex) {
        return open(weights, deviceIndex, Math.max(DEFAULT_MAX_BATCH_TOKENS, weights.cfg().nCtx()));
    }

    /**
     * Opens device {@code deviceIndex} for batches of up to {@code maxBatchTokens} tokens (at least n_ctx;
     * halved automatically while the buffers do not fit the device).
     */
    public static GpuEngine open(Weights weights, int deviceIndex, int maxBatchTokens) {
        return open(weights, deviceIndex, maxBatchTokens, Long.MAX_VALUE);
    }

    /** As {@link #open(Weights, int, int)}, with at most {@code memoryBudget} bytes for the batch buffers. */
    static GpuEngine open(Weights weights, int deviceIndex, int maxBatchTokens, long memoryBudget) {
        if (maxBatchTokens < weights.cfg().nCtx()) {
            throw new IllegalArgumentException("a batch of " + maxBatchTokens + " tokens cannot hold an n_ctx ("
                    + weights.cfg().nCtx() + ") document");
        }
        return GpuEngine.open(weights, OpenClDevice.open(deviceIndex, weights.cfg().dHead()), maxBatchTokens, memoryBudget);
    }
}
