package neuroscan.kernels;

import neuroscan.kernel.BuildOption;
import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernel.KernelMath.sqrt;

/** TransformerLens's LayerNorm (and LNPre), one work-group per row. */
public final class LayerNorm {
    private LayerNorm() {
    }

    /** Work-items per row: a power of two, for the tree reduction. */
    @BuildOption
    public static final int LN_WG = 64;

    /** Sum of every work-item's v over the work-group; all work-items get the result. */
    static float groupSum(KernelContext ctx, float v, float[] red) {
        final int lid = ctx.localId(0);
        red[lid] = v;
        ctx.barrier();
        for (int s = LN_WG / 2; s > 0; s >>= 1) {
            if (lid < s) red[lid] += red[lid + s];
            ctx.barrier();
        }
        float total = red[0];
        ctx.barrier();   // red is reused by the next reduction
        return total;
    }

    /**
     * y[row] = (x[row] - mean) / sqrt(var + eps) * w + b; with affine == 0 it is LNPre (no w, b). Each
     * work-item sums a strided part of the row, then a tree reduction in work-group memory combines the
     * parts. Two passes (the mean, then the mean of squared deviations) rather than E[x^2] - E[x]^2,
     * which cancels badly for large means.
     * Grid: (rows * LN_WG), work-group (LN_WG).
     */
    @Kernel(workGroup = LN_WG)
    public static void layerNorm(KernelContext ctx, float[] x, float[] w, float[] b, float[] y, int dModel, float eps,
                                 int affine) {
        float[] red = ctx.localFloats(LN_WG);
        final int row = ctx.groupId(0), lid = ctx.localId(0);
        final int base = row * dModel;
        float s = 0.0f;
        for (int i = lid; i < dModel; i += LN_WG) s += x[base + i];
        final float mean = groupSum(ctx, s, red) / dModel;
        float q = 0.0f;
        for (int i = lid; i < dModel; i += LN_WG) {
            float d = x[base + i] - mean;
            q += d * d;
        }
        final float inv = 1.0f / sqrt(groupSum(ctx, q, red) / dModel + eps);
        for (int i = lid; i < dModel; i += LN_WG) {
            float v = (x[base + i] - mean) * inv;
            y[base + i] = affine != 0 ? v * w[i] + b[i] : v;
        }
    }
}
