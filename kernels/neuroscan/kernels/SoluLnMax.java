package neuroscan.kernels;

import neuroscan.kernel.BuildOption;
import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernel.KernelMath.exp;
import static neuroscan.kernel.KernelMath.fmax;
import static neuroscan.kernel.KernelMath.sqrt;

/**
 * SoLU as TransformerLens's {@code solu_ln} computes it after the MLP input GEMM, with the per-document max over
 * positions of hook_mid (the hook neuroscope shows for SoLU) fused in, and for a layer that feeds another the
 * MLP's inner LayerNorm (hook_post, W_out's input).
 */
public final class SoluLnMax {
    private SoluLnMax() {
    }

    /** Work-items per document: a power of two, for the tree reductions. */
    @BuildOption
    public static final int SOLU_WG = 256;

    /** What the kernel leaves in h: pre untouched, hook_mid, or hook_post = LN(hook_mid). */
    public static final int SOLU_KEEP_PRE = 0, SOLU_STORE_MID = 1, SOLU_STORE_POST = 2;

    /** isMax != 0: the max of every work-item's v over the work-group (a NaN is skipped, fmax), else the sum; all get it. */
    static float groupReduce(KernelContext ctx, float v, float[] red, int isMax) {
        final int lid = ctx.localId(0);
        red[lid] = v;
        ctx.barrier();
        for (int s = SOLU_WG / 2; s > 0; s >>= 1) {
            if (lid < s) red[lid] = isMax != 0 ? fmax(red[lid], red[lid + s]) : red[lid] + red[lid + s];
            ctx.barrier();
        }
        final float r = red[0];
        ctx.barrier();   // red is reused by the next reduction
        return r;
    }

    /**
     * h [T, N] holds pre = LN2(x) @ W_in + b_in of the batch's packed rows. Per row: hook_mid = pre *
     * softmax(pre) over the row's N neurons (max-subtracted, as torch's softmax: exp never overflows), and for
     * each document d and neuron n, docMax[d, n] = the max over d's positions of hook_mid and docArg[d, n] the
     * first such position, and docPos[d, n] the number of d's positions where hook_mid > 0 (the scan's density;
     * NaN is not > 0). {@code mode} SOLU_STORE_MID overwrites h with hook_mid; SOLU_STORE_POST with hook_post
     * = LN(hook_mid) over the row (w = lnW, b = lnB when affine != 0, else LNPre), two-pass variance as
     * {@link LayerNorm}; SOLU_KEEP_PRE leaves h as it was.
     *
     * <p>One work-group per document: it walks the document's rows in order, and within a row work-item i owns
     * neurons i, i + SOLU_WG, ... for the whole document, so each (document, neuron)'s running max lives in one
     * work-item (in docMax itself: N is not a compile-time size) and is folded deterministically, rows in
     * increasing order with a strict {@code >} (ties to the first position) and no atomics, as mlp_in_gelu_max
     * folds. A work-group per row would be more parallel but needs a second pass (or atomics) to fold positions.
     * A NaN in a row makes every hook_mid of that row NaN (its softmax sum is NaN, as in torch), and a NaN makes the
     * document's max NaN at its first position (the merge counts it). Every element is read and written by its
     * owner only, so h is updated in place (and docMax, docArg, docPos, each element by its owner). The column loops run the same number of times in every work-item (a
     * guard inside, not {@code c = lid; c < N}): PoCL 3.1 (LLVM 15) corrupted memory when, with N < SOLU_WG, work-items
     * between the row loop's barriers ran them zero and one times. Grid: (nDocs * SOLU_WG), work-group (SOLU_WG).
     */
    @Kernel(workGroup = SOLU_WG)
    public static void soluLnMax(KernelContext ctx, float[] h, int[] offsets, int N, float[] docMax, int[] docArg,
                                 int[] docPos, float[] lnW, float[] lnB, int affine, float eps, int mode) {
        float[] red = ctx.localFloats(SOLU_WG);
        final int doc = ctx.groupId(0), lid = ctx.localId(0);
        final int start = offsets[doc], end = offsets[doc + 1], out = doc * N;
        for (int c = lid; c < N; c += SOLU_WG) {
            docMax[out + c] = Float.NEGATIVE_INFINITY;
            docArg[out + c] = -1;
            docPos[out + c] = 0;
        }
        for (int r = start; r < end; r++) {   // uniform over the group: barriers are safe
            final int row = r * N;
            float m = Float.NEGATIVE_INFINITY;
            for (int c0 = 0; c0 < N; c0 += SOLU_WG) {   // the same trip count for every work-item: see above
                if (c0 + lid < N) m = fmax(m, h[row + c0 + lid]);
            }
            m = groupReduce(ctx, m, red, 1);
            float s = 0.0f;
            for (int c0 = 0; c0 < N; c0 += SOLU_WG) {
                if (c0 + lid < N) s += exp(h[row + c0 + lid] - m);
            }
            final float inv = 1.0f / groupReduce(ctx, s, red, 0);
            float sum = 0.0f;
            for (int c0 = 0; c0 < N; c0 += SOLU_WG) {
                final int c = c0 + lid;
                if (c >= N) continue;
                final float x = h[row + c];
                final float v = x * exp(x - m) * inv;
                if (v > 0.0f) docPos[out + c]++;
                final float best = docMax[out + c];
                if (v > best || (v != v && best == best)) {   // a NaN makes the max NaN
                    docMax[out + c] = v;
                    docArg[out + c] = r - start;
                }
                if (mode != SOLU_KEEP_PRE) h[row + c] = v;
                sum += v;
            }
            if (mode == SOLU_STORE_POST) {   // a kernel argument: uniform
                final float mean = groupReduce(ctx, sum, red, 0) / N;
                float q = 0.0f;
                for (int c0 = 0; c0 < N; c0 += SOLU_WG) {
                    final int c = c0 + lid;
                    if (c >= N) continue;
                    final float d = h[row + c] - mean;
                    q += d * d;
                }
                final float rstd = 1.0f / sqrt(groupReduce(ctx, q, red, 0) / N + eps);
                for (int c0 = 0; c0 < N; c0 += SOLU_WG) {
                    final int c = c0 + lid;
                    if (c >= N) continue;
                    final float v = (h[row + c] - mean) * rstd;
                    h[row + c] = affine != 0 ? v * lnW[c] + lnB[c] : v;
                }
            }
        }
    }
}
