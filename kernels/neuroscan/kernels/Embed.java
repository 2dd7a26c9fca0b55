package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernels.Documents.docOf;

/** The token and position embeddings. */
public final class Embed {
    private Embed() {
    }

    /**
     * x[t] = W_E[tokens[t]] + W_pos[p], p = t's position inside its own document. The batch packs
     * documents back to back, so the position restarts at 0 for every document. One work-item per
     * (i, t), i along dimension 0: a work-group reads consecutive floats of one embedding row. Purely
     * memory bound, so no tiling. Token ids are checked on the host before upload.
     * Grid: (ceil(dModel / 64) * 64, T), work-group (64, 1).
     */
    @Kernel
    public static void embed(KernelContext ctx, int[] tokens, int[] offsets, int nDocs, int T, int dModel,
                             float[] W_E, float[] W_pos, float[] x) {
        final int i = ctx.globalId(0), t = ctx.globalId(1);
        if (i >= dModel || t >= T) return;
        final int p = t - offsets[docOf(offsets, nDocs, t)];
        x[t * dModel + i] = W_E[tokens[t] * dModel + i] + W_pos[p * dModel + i];
    }
}
