/*
 * mlp_in_gelu_max.cl: for each document d and neuron n,
 *   docMax[d, n] = max over d's positions p of act(A[p] @ W_in[:, n] + b_in[n])   (= hook_post)
 *   docArg[d, n] = the first such p (position inside the document).
 * The MLP input GEMM with the activation and the per-document max + first argmax fused in its epilogue:
 * the [tokens x d_mlp] activations stay in registers and never reach global memory.
 *
 * One work-group per (block of GEMM_TN neurons, document). It walks its document's rows in tiles of
 * GEMM_TM (the gemm_tile.h main loop), keeping for each of its columns the running max and position.
 * Owning whole documents means no atomics and no second pass: the result is written once, and ties
 * go to the first position deterministically (rows are visited in increasing order and compared with
 * a strict >; the final merge across work-items prefers the lower position).
 * Grid: (ceil(N / TN) * WN, nDocs * WM), work-group (WN, WM).
 */
KERNEL void mlp_in_gelu_max(const GLOBAL float* RESTRICT A, const GLOBAL float* RESTRICT W_in,
                            const GLOBAL float* RESTRICT b_in, const GLOBAL int* RESTRICT offsets,
                            int N, int K, int act, GLOBAL float* RESTRICT docMax, GLOBAL int* RESTRICT docArg) {
    LOCAL_DECL float As[GEMM_TK * GEMM_AS_STRIDE];
    LOCAL_DECL float Bs[GEMM_TK * GEMM_TN];
    LOCAL_DECL float redV[GEMM_WM * GEMM_TN];
    LOCAL_DECL int redP[GEMM_WM * GEMM_TN];
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    const int doc = GROUP_ID(1), col0 = GROUP_ID(0) * GEMM_TN;
    const int start = offsets[doc], end = offsets[doc + 1];

    float best[GEMM_RN];
    int at[GEMM_RN];
    for (int j = 0; j < GEMM_RN; j++) {
        best[j] = NEG_INF;
        at[j] = -1;
    }
    for (int row0 = start; row0 < end; row0 += GEMM_TM) {   /* uniform over the group: barriers are safe */
        float acc[GEMM_RM][GEMM_RN];
        for (int i = 0; i < GEMM_RM; i++)
            for (int j = 0; j < GEMM_RN; j++) acc[i][j] = 0.0f;
        gemm_tile(A, W_in, end, N, K, row0, col0, As, Bs, acc);
        for (int i = 0; i < GEMM_RM; i++) {
            const int r = row0 + ty + GEMM_WM * i;
            if (r >= end) continue;
            for (int j = 0; j < GEMM_RN; j++) {
                const int c = col0 + tx + GEMM_WN * j;
                const float v = activation(act, acc[i][j] + (c < N ? b_in[c] : 0.0f));
                if (v > best[j]) {
                    best[j] = v;
                    at[j] = r - start;
                }
            }
        }
    }
    /* Merge the GEMM_WM work-items that share each column. */
    for (int j = 0; j < GEMM_RN; j++) {
        redV[ty * GEMM_TN + tx + GEMM_WN * j] = best[j];
        redP[ty * GEMM_TN + tx + GEMM_WN * j] = at[j];
    }
    BARRIER();
    const int lid = ty * GEMM_WN + tx;
    for (int c = lid; c < GEMM_TN; c += GEMM_THREADS) {
        if (col0 + c >= N) continue;
        float v = redV[c];
        int p = redP[c];
        for (int y = 1; y < GEMM_WM; y++) {
            const float v2 = redV[y * GEMM_TN + c];
            const int p2 = redP[y * GEMM_TN + c];
            if (p2 >= 0 && (p < 0 || v2 > v || (v2 == v && p2 < p))) {
                v = v2;
                p = p2;
            }
        }
        docMax[doc * N + col0 + c] = v;
        docArg[doc * N + col0 + c] = p;
    }
}
