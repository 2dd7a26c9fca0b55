package neuroscan.kernels;

import neuroscan.kernel.BuildOption;
import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernel.KernelMath.exp;
import static neuroscan.kernel.KernelMath.sqrt;
import static neuroscan.kernels.Documents.docOf;

/** Causal softmax attention per document, with an online softmax (no L x L score matrix). */
public final class CausalAttention {
    private CausalAttention() {
    }

    /** The head size; the host builds the kernels for each model's (the CPU runner runs 64). */
    @BuildOption
    public static final int D_HEAD = 64;
    /** Queries (work-items) per work-group. */
    @BuildOption
    public static final int ATT_BQ = 32;
    /** Keys per tile staged in work-group memory. */
    @BuildOption
    public static final int ATT_BK = 32;

    /**
     * z[t, h] = softmax_j(q[t,h] . k[j,h] / sqrt(d_head)) @ v[j,h] over the keys j of t's own document with
     * j <= t. qkv is the fused projection [T, 3 * n_heads * D_HEAD] (q | k | v, head major inside each);
     * z is [T, n_heads * D_HEAD], ready for the W_O projection.
     *
     * <p>One work-group per (block of ATT_BQ consecutive packed tokens, head); one work-item per query.
     * Keys and values are streamed through work-group memory in tiles of ATT_BK rows, shared by the
     * whole block, and folded into an online softmax (running max m, running sum l, rescaled
     * accumulator), so the L x L score matrix never exists: memory is O(T), and each K/V row is read
     * once per block, not once per query. A block may straddle two documents; its key range starts at
     * the first query's document, and each query masks keys outside [its document's start, itself].
     * Grid: (ceil(T / ATT_BQ) * ATT_BQ, n_heads), work-group (ATT_BQ, 1).
     */
    @Kernel(workGroup = ATT_BQ)
    public static void causalAttention(KernelContext ctx, float[] qkv, int[] offsets, int nDocs, int T, int nHeads,
                                       float[] z) {
        float[] Ks = ctx.localFloats(ATT_BK * D_HEAD);
        float[] Vs = ctx.localFloats(ATT_BK * D_HEAD);
        final int lid = ctx.localId(0), h = ctx.groupId(1);
        final int first = ctx.groupId(0) * ATT_BQ;
        final int t = first + lid;
        final boolean valid = t < T;
        final int dm = nHeads * D_HEAD, stride = 3 * dm;
        final int last = (first + ATT_BQ < T ? first + ATT_BQ : T) - 1;
        final int kBegin = offsets[docOf(offsets, nDocs, first)], kEnd = last + 1;
        final int myStart = valid ? offsets[docOf(offsets, nDocs, t)] : 0;

        final float scale = 1.0f / sqrt((float) D_HEAD);
        float[] q = new float[D_HEAD], acc = new float[D_HEAD];
        for (int d = 0; d < D_HEAD; d++) {
            q[d] = valid ? qkv[t * stride + h * D_HEAD + d] * scale : 0.0f;
            acc[d] = 0.0f;
        }
        float m = Float.NEGATIVE_INFINITY, l = 0.0f;

        for (int k0 = kBegin; k0 < kEnd; k0 += ATT_BK) {
            for (int idx = lid; idx < ATT_BK * D_HEAD; idx += ATT_BQ) {
                final int kk = idx / D_HEAD, d = idx % D_HEAD, key = k0 + kk;
                final int base = key * stride + h * D_HEAD + d;
                Ks[idx] = key < kEnd ? qkv[base + dm] : 0.0f;
                Vs[idx] = key < kEnd ? qkv[base + 2 * dm] : 0.0f;
            }
            ctx.barrier();
            // this query sees tile rows [lo, hi): keys in its document, not after itself
            final int lo = (myStart > k0 ? myStart : k0) - k0;
            final int hi = (t + 1 < k0 + ATT_BK ? t + 1 : k0 + ATT_BK) - k0;
            if (valid && lo < hi) {
                float[] s = new float[ATT_BK];
                float mt = Float.NEGATIVE_INFINITY;
                for (int kk = 0; kk < ATT_BK; kk++) {
                    float dot = 0.0f;
                    for (int d = 0; d < D_HEAD; d++) dot += q[d] * Ks[kk * D_HEAD + d];
                    s[kk] = (kk >= lo && kk < hi) ? dot : Float.NEGATIVE_INFINITY;
                    mt = s[kk] > mt ? s[kk] : mt;
                }
                // rescale what was accumulated under the old max; exp(-inf) = 0 on the first tile
                final float mNew = m > mt ? m : mt;
                final float corr = exp(m - mNew);
                l *= corr;
                for (int d = 0; d < D_HEAD; d++) acc[d] *= corr;
                for (int kk = 0; kk < ATT_BK; kk++) {
                    final float p = exp(s[kk] - mNew);   // masked keys: exp(-inf) = 0
                    l += p;
                    for (int d = 0; d < D_HEAD; d++) acc[d] += p * Vs[kk * D_HEAD + d];
                }
                m = mNew;
            }
            ctx.barrier();   // before the next tile overwrites Ks and Vs
        }
        if (valid) {
            final float inv = 1.0f / l;
            for (int d = 0; d < D_HEAD; d++) z[t * dm + h * D_HEAD + d] = acc[d] * inv;
        }
    }
}
