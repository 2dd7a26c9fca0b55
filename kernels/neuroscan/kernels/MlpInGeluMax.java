package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernels.Activations.activation;
import static neuroscan.kernels.GemmTile.*;

/**
 * The MLP input GEMM with the activation and the per-document max over positions fused in (and, for a layer
 * whose output feeds the next block, the activations stored on the way for the W_out GEMM).
 */
public final class MlpInGeluMax {
    private MlpInGeluMax() {
    }

    /**
     * For each document d and neuron n: docMax[d, n] = the max over d's positions p of
     * act(A[p] @ W_in[:, n] + b_in[n]) (= hook_post), and docArg[d, n] = the first such p (the position
     * inside the document), and docPos[d, n] = the number of d's positions where that activation is > 0
     * (the scan's density; NaN is not > 0). The [tokens x d_mlp] activations stay in registers and never reach global
     * memory, unless {@code storePost != 0}: then post[r, n] = hook_post of every row r is written too (a layer
     * that is not the model's last: its W_out GEMM reads them), from the same registers as the max. {@code post}
     * may be null when storePost is 0.
     *
     * <p>One work-group per (block of GEMM_TN neurons, document). It walks its document's rows in tiles
     * of GEMM_TM ({@link GemmTile}'s main loop), keeping for each of its columns the running max and
     * position. Owning whole documents means no atomics and no second pass: the result is written once,
     * and ties go to the first position deterministically (rows are visited in increasing order and
     * compared with a strict >; the final merge across work-items prefers the lower position). A NaN
     * activation makes the document's max NaN (at its first NaN position), so the merge can count it.
     * Grid: (ceil(N / TN) * WN, nDocs * WM), work-group (WN, WM).
     */
    @Kernel(workGroup = {GEMM_WN, GEMM_WM})
    public static void mlpInGeluMax(KernelContext ctx, float[] A, float[] W_in, float[] b_in, int[] offsets, int N,
                                    int K, int act, float[] docMax, int[] docArg, int[] docPos, float[] post, int storePost) {
        float[] As = ctx.localFloats(GEMM_TK * GEMM_AS_STRIDE);
        float[] Bs = ctx.localFloats(GEMM_TK * GEMM_TN);
        float[] redV = ctx.localFloats(GEMM_WM * GEMM_TN);
        int[] redP = ctx.localInts(GEMM_WM * GEMM_TN);
        // Each work-item's count of positive activations per column lives in its own slots of redC, not in
        // registers: the fold is within the register budget of the hand-written kernel (PtxBuildTest).
        int[] redC = ctx.localInts(GEMM_WM * GEMM_TN);
        final int tx = ctx.localId(0), ty = ctx.localId(1);
        final int doc = ctx.groupId(1), col0 = ctx.groupId(0) * GEMM_TN;
        final int start = offsets[doc], end = offsets[doc + 1];

        float[] best = new float[GEMM_RN];
        int[] at = new int[GEMM_RN];
        for (int j = 0; j < GEMM_RN; j++) {
            best[j] = Float.NEGATIVE_INFINITY;
            at[j] = -1;
            redC[ty * GEMM_TN + tx + GEMM_WN * j] = 0;
        }
        for (int row0 = start; row0 < end; row0 += GEMM_TM) {   // uniform over the group: barriers are safe
            float[][] acc = new float[GEMM_RM][GEMM_RN];
            for (int i = 0; i < GEMM_RM; i++)
                for (int j = 0; j < GEMM_RN; j++) acc[i][j] = 0.0f;
            gemmTile(ctx, A, W_in, end, N, K, row0, col0, As, Bs, acc);
            for (int i = 0; i < GEMM_RM; i++) {
                final int r = row0 + ty + GEMM_WM * i;
                if (r >= end) continue;
                for (int j = 0; j < GEMM_RN; j++) {
                    final int c = col0 + tx + GEMM_WN * j;
                    final float v = activation(act, acc[i][j] + (c < N ? b_in[c] : 0.0f));
                    acc[i][j] = v;   // kept for the store below, in its own loop: fewer registers live in this one
                    if (v > 0.0f) redC[ty * GEMM_TN + tx + GEMM_WN * j]++;
                    if (v > best[j] || (v != v && best[j] == best[j])) {   // a NaN activation makes the max NaN
                        best[j] = v;
                        at[j] = r - start;
                    }
                }
            }
            if (storePost != 0) {
                for (int i = 0; i < GEMM_RM; i++) {
                    final int r = row0 + ty + GEMM_WM * i;
                    if (r >= end) continue;
                    for (int j = 0; j < GEMM_RN; j++) {
                        final int c = col0 + tx + GEMM_WN * j;
                        if (c < N) post[r * N + c] = acc[i][j];
                    }
                }
            }
        }
        // Merge the GEMM_WM work-items that share each column.
        for (int j = 0; j < GEMM_RN; j++) {
            redV[ty * GEMM_TN + tx + GEMM_WN * j] = best[j];
            redP[ty * GEMM_TN + tx + GEMM_WN * j] = at[j];
        }
        ctx.barrier();
        final int lid = ty * GEMM_WN + tx;
        for (int c = lid; c < GEMM_TN; c += GEMM_THREADS) {
            if (col0 + c >= N) continue;
            float v = redV[c];
            int p = redP[c];
            int count = redC[c];
            for (int y = 1; y < GEMM_WM; y++) {
                count += redC[y * GEMM_TN + c];
                final float v2 = redV[y * GEMM_TN + c];
                final int p2 = redP[y * GEMM_TN + c];
                if (p2 >= 0 && (p < 0 || v2 > v || (v2 == v && p2 < p) || (v2 != v2 && (v == v || p2 < p)))) {
                    v = v2;
                    p = p2;
                }
            }
            docMax[doc * N + col0 + c] = v;
            docArg[doc * N + col0 + c] = p;
            docPos[doc * N + col0 + c] = count;
        }
    }
}
