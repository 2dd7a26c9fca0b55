package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernels.GemmTile.*;

/**
 * The tensor-core screen of the MLP input GEMM: per (document, neuron) an upper bound on the FP32 path's
 * max of act(LN2(x) @ W_in + b_in) over the document's positions, and whether that bound lets the pair
 * skip the exact recompute ({@link ScreenPredicate}). See kernels/README.md, "Screening".
 */
public final class MlpScreen {
    private MlpScreen() {
    }

    /** Row stride of the A slab in work-group memory ([TM][TK + 4]: the pad spreads the lanes' rows over the banks). */
    public static final int SCREEN_AS = GEMM_TK + 4;
    /** Warps per work-group: GEMM_THREADS / 32 = 8, as 4 row bands x 2 column halves of the 64 x 64 tile. */
    public static final int SCREEN_WARPS = GEMM_THREADS / 32;

    /**
     * out[i] = an upper bound on ||X[i * stride + k * step], k < len||_2 ({@link ScreenBound#norm}): the
     * rows of LN2's output (stride K, step 1) and the columns of W_in (stride 1, step N).
     * Grid: (ceil(count / 64) * 64), work-group (64).
     */
    @Kernel
    public static void normBound(KernelContext ctx, float[] X, int count, int len, int stride, int step, float[] out) {
        final int i = ctx.globalId(0);
        if (i >= count) return;
        out[i] = ScreenBound.norm(X, i * stride, len, step);
    }

    /**
     * For document d and neuron n: cand[d, n] = 1 when the pair needs the exact recompute, else 0 and
     * docMax[d, n] = -inf, docArg[d, n] = -1 (a document the merge skips, as it skips one without
     * positions). The product runs on the tensor cores (ctx.mmaTf32): one work-group per (64 neurons,
     * document) as mlp_in_gelu_max, its 8 warps each a 16 x 32 band of each 64-row tile, 4 accumulator
     * fragments per lane. Each element's interval ({@link ScreenBound#halfWidth}) is folded into a hull
     * per column, merged across the work-group, bounded through the activation once
     * ({@link ScreenBound#activationUpper}) and compared with the store's k-th entry (topMax/topDoc, row k - 1). Grid: (ceil(N / 64) * 16, nDocs * 16), work-group (16, 16).
     */
    @Kernel(workGroup = {GEMM_WN, GEMM_WM})
    public static void mlpScreen(KernelContext ctx, float[] A, float[] W_in, float[] b_in, int[] offsets, float[] rowNorm,
                                 float[] colNorm, float[] topMax, int[] topDoc, int N, int K, int k, int act, float relErr,
                                 float[] docMax, int[] docArg, int[] cand) {
        float[] As = ctx.localFloats(GEMM_TM * SCREEN_AS);
        float[] Bs = ctx.localFloats(GEMM_TK * GEMM_TN);
        float[] redLo = ctx.localFloats(32 * GEMM_TN);
        float[] redHi = ctx.localFloats(32 * GEMM_TN);
        final int lid = ctx.localId(1) * GEMM_WN + ctx.localId(0);
        final int warp = lid / 32, lane = lid % 32, g = lane / 4, t = lane % 4;
        final int wr = (warp / 2) * 16, wc = (warp % 2) * 32;   // the warp's band of the tile
        final int doc = ctx.groupId(1), col0 = ctx.groupId(0) * GEMM_TN;
        final int start = offsets[doc], end = offsets[doc + 1];

        // Per column this lane sees (4 fragments x 2): the hull of its elements' intervals so far.
        float[] lo = new float[8], hi = new float[8];
        for (int j = 0; j < 8; j++) {
            lo[j] = Float.POSITIVE_INFINITY;
            hi[j] = Float.NEGATIVE_INFINITY;
        }
        for (int row0 = start; row0 < end; row0 += GEMM_TM) {   // uniform over the group: barriers and mma are safe
            float[] acc = new float[16];
            for (int j = 0; j < 16; j++) acc[j] = 0.0f;
            for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
                for (int idx = lid; idx < GEMM_TM * GEMM_TK; idx += GEMM_THREADS) {
                    final int r = idx / GEMM_TK, kk = idx % GEMM_TK;
                    final int gr = row0 + r, gk = k0 + kk;
                    As[r * SCREEN_AS + kk] = (gr < end && gk < K) ? A[gr * K + gk] : 0.0f;
                }
                for (int idx = lid; idx < GEMM_TK * GEMM_TN; idx += GEMM_THREADS) {
                    final int kk = idx / GEMM_TN, c = idx % GEMM_TN;
                    final int gk = k0 + kk, gc = col0 + c;
                    Bs[kk * GEMM_TN + c] = (gk < K && gc < N) ? W_in[gk * N + gc] : 0.0f;
                }
                ctx.barrier();
                for (int ks = 0; ks < GEMM_TK; ks += 8) {
                    for (int j = 0; j < 4; j++) {
                        ctx.mmaTf32(As, wr * SCREEN_AS + ks, SCREEN_AS, 1, Bs, ks * GEMM_TN + wc + 8 * j, GEMM_TN, 1, acc, 4 * j);
                    }
                }
                ctx.barrier();   // before the next slab overwrites As and Bs
            }
            for (int h = 0; h < 2; h++) {   // the lane's rows g and g + 8 of the warp's band
                final int r = row0 + wr + g + 8 * h;
                if (r >= end) continue;
                final float rowR = rowNorm[r];
                for (int j = 0; j < 4; j++) {
                    for (int e = 0; e < 2; e++) {
                        final int c = col0 + wc + 8 * j + 2 * t + e;
                        if (c >= N) continue;
                        final float v = acc[4 * j + 2 * h + e] + b_in[c];
                        final float rad = ScreenBound.halfWidth(v, ScreenBound.radius(rowR, colNorm[c], relErr));
                        final float l = v - rad, u = v + rad;
                        if (l < lo[2 * j + e] || l != l) lo[2 * j + e] = l != l ? Float.NEGATIVE_INFINITY : l;
                        if (u > hi[2 * j + e] || u != u) hi[2 * j + e] = u != u ? Float.POSITIVE_INFINITY : u;
                    }
                }
            }
        }
        // 32 lanes see each column (4 row bands x 8 lane groups): merge their hulls, then bound and decide per column.
        for (int j = 0; j < 4; j++) {
            for (int e = 0; e < 2; e++) {
                redLo[((warp / 2) * 8 + g) * GEMM_TN + wc + 8 * j + 2 * t + e] = lo[2 * j + e];
                redHi[((warp / 2) * 8 + g) * GEMM_TN + wc + 8 * j + 2 * t + e] = hi[2 * j + e];
            }
        }
        ctx.barrier();
        for (int c = lid; c < GEMM_TN; c += GEMM_THREADS) {
            final int n = col0 + c;
            if (n >= N) continue;
            float l = Float.POSITIVE_INFINITY, u = Float.NEGATIVE_INFINITY;
            for (int y = 0; y < 32; y++) {
                if (redLo[y * GEMM_TN + c] < l) l = redLo[y * GEMM_TN + c];
                if (redHi[y * GEMM_TN + c] > u) u = redHi[y * GEMM_TN + c];
            }
            // no position: nothing to bound (-inf, as mlp_in_gelu_max's max of no rows)
            final float m = u == Float.NEGATIVE_INFINITY ? Float.NEGATIVE_INFINITY : ScreenBound.activationUpper(act, l, u);
            final int slot = (k - 1) * N + n;
            if (ScreenPredicate.needsExact(m, topMax[slot], topDoc[slot])) {
                cand[doc * N + n] = 1;
            } else {
                cand[doc * N + n] = 0;
                docMax[doc * N + n] = Float.NEGATIVE_INFINITY;
                docArg[doc * N + n] = -1;
            }
        }
    }
}
