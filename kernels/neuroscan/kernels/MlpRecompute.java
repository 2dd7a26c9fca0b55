package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernels.Activations.activation;
import static neuroscan.kernels.GemmTile.*;

/**
 * The exact FP32 recompute of the pairs {@link MlpScreen} could not rule out: the same values, bit for
 * bit, as mlp_in_gelu_max computes for them (every element is the same sequence of float operations:
 * acc = 0, acc += a * b for k = 0, 1, ..., K padded to GEMM_TK with zeros, then act(acc + b_in); the max
 * with its first position under the same NaN rule), but only for a document's candidate neurons,
 * gathered 64 to a work-group so that no FLOP is spent on a skipped neuron.
 */
public final class MlpRecompute {
    private MlpRecompute() {
    }

    /**
     * Work-group (b, d) takes candidates 64b .. 64b + 63 of document d (cand[d, n] = 1, in increasing n):
     * each work-group finds them itself (a prefix sum over the document's flags in work-group memory,
     * deterministic and cheap next to the GEMM), then runs mlp_in_gelu_max's loop with B's columns
     * gathered; a work-group past the document's last candidate returns at once. Writes docMax/docArg of
     * the candidates only (the screen wrote the others) and adds the document's candidate count to
     * candCount[d], the scan's counter for its manifest.
     * Grid: (ceil(N / 64) * 16, nDocs * 16), work-group (16, 16).
     */
    @Kernel(workGroup = {GEMM_WN, GEMM_WM})
    public static void mlpRecompute(KernelContext ctx, float[] A, float[] W_in, float[] b_in, int[] offsets, int[] cand, int N,
                                    int K, int act, float[] docMax, int[] docArg, int[] candCount) {
        float[] As = ctx.localFloats(GEMM_TK * GEMM_AS_STRIDE);
        float[] Bs = ctx.localFloats(GEMM_TK * GEMM_TN);
        float[] redV = ctx.localFloats(GEMM_WM * GEMM_TN);
        int[] redP = ctx.localInts(GEMM_WM * GEMM_TN);
        int[] scan = ctx.localInts(2 * GEMM_THREADS);
        int[] cols = ctx.localInts(GEMM_TN);
        final int tx = ctx.localId(0), ty = ctx.localId(1), lid = ty * GEMM_WN + tx;
        final int doc = ctx.groupId(1), first = ctx.groupId(0) * GEMM_TN;
        final int start = offsets[doc], end = offsets[doc + 1];

        // The document's candidates, in order: work-item lid counts a chunk of the flags, a scan gives offsets.
        final int chunk = (N + GEMM_THREADS - 1) / GEMM_THREADS, c0 = lid * chunk;
        final int c1 = c0 + chunk < N ? c0 + chunk : N;
        int mine = 0;
        for (int n = c0; n < c1; n++) mine += cand[doc * N + n];
        scan[lid] = mine;
        ctx.barrier();
        int src = 0;
        for (int off = 1; off < GEMM_THREADS; off *= 2) {   // inclusive Hillis-Steele scan, two buffers
            final int v = scan[src * GEMM_THREADS + lid] + (lid >= off ? scan[src * GEMM_THREADS + lid - off] : 0);
            scan[(1 - src) * GEMM_THREADS + lid] = v;
            src = 1 - src;
            ctx.barrier();
        }
        final int total = scan[src * GEMM_THREADS + GEMM_THREADS - 1];
        int at = scan[src * GEMM_THREADS + lid] - mine;
        for (int n = c0; n < c1; n++) {
            if (cand[doc * N + n] == 0) continue;
            if (at >= first && at < first + GEMM_TN) cols[at - first] = n;
            at++;
        }
        if (first == 0 && lid == 0) candCount[doc] += total;
        ctx.barrier();
        final int nCols = total - first < GEMM_TN ? total - first : GEMM_TN;
        if (nCols <= 0) return;   // the same for the whole group: no barrier is skipped by some only

        float[] best = new float[GEMM_RN];
        int[] pos = new int[GEMM_RN];
        for (int j = 0; j < GEMM_RN; j++) {
            best[j] = Float.NEGATIVE_INFINITY;
            pos[j] = -1;
        }
        for (int row0 = start; row0 < end; row0 += GEMM_TM) {
            float[][] acc = new float[GEMM_RM][GEMM_RN];
            for (int i = 0; i < GEMM_RM; i++)
                for (int j = 0; j < GEMM_RN; j++) acc[i][j] = 0.0f;
            gatheredTile(ctx, A, W_in, end, N, K, row0, cols, nCols, As, Bs, acc);
            for (int i = 0; i < GEMM_RM; i++) {
                final int r = row0 + ty + GEMM_WM * i;
                if (r >= end) continue;
                for (int j = 0; j < GEMM_RN; j++) {
                    final int c = tx + GEMM_WN * j;
                    if (c >= nCols) continue;
                    final float v = activation(act, acc[i][j] + b_in[cols[c]]);
                    if (v > best[j] || (v != v && best[j] == best[j])) {   // as mlp_in_gelu_max: NaN makes the max NaN
                        best[j] = v;
                        pos[j] = r - start;
                    }
                }
            }
        }
        for (int j = 0; j < GEMM_RN; j++) {
            redV[ty * GEMM_TN + tx + GEMM_WN * j] = best[j];
            redP[ty * GEMM_TN + tx + GEMM_WN * j] = pos[j];
        }
        ctx.barrier();
        for (int c = lid; c < nCols; c += GEMM_THREADS) {
            float v = redV[c];
            int p = redP[c];
            for (int y = 1; y < GEMM_WM; y++) {
                final float v2 = redV[y * GEMM_TN + c];
                final int p2 = redP[y * GEMM_TN + c];
                if (p2 >= 0 && (p < 0 || v2 > v || (v2 == v && p2 < p) || (v2 != v2 && (v == v || p2 < p)))) {
                    v = v2;
                    p = p2;
                }
            }
            docMax[doc * N + cols[c]] = v;
            docArg[doc * N + cols[c]] = p;
        }
    }

    /**
     * GemmTile.gemmTile with B's columns gathered (column c of the tile is W_in's cols[c]; c >= nCols
     * reads zero): the same slabs and GemmTile.slabProduct itself, so every accumulator sees the same operations.
     */
    static void gatheredTile(KernelContext ctx, float[] A, float[] B, int M, int N, int K, int row0, int[] cols, int nCols,
                             float[] As, float[] Bs, float[][] acc) {
        final int tx = ctx.localId(0), ty = ctx.localId(1), lid = ty * GEMM_WN + tx;
        for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
            stageA(lid, A, M, K, row0, k0, As);
            for (int idx = lid; idx < GEMM_TK * GEMM_TN; idx += GEMM_THREADS) {
                int kk = idx / GEMM_TN, c = idx % GEMM_TN;
                int gk = k0 + kk;
                Bs[kk * GEMM_TN + c] = (gk < K && c < nCols) ? B[gk * N + cols[c]] : 0.0f;
            }
            ctx.barrier();
            slabProduct(ctx, As, Bs, acc);   // GemmTile's own inner loop: the same operations, the same bits
            ctx.barrier();   // before the next slab overwrites As and Bs
        }
    }
}
