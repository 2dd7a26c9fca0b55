/*
 * gemm_bias.cl: C[M,N] = act(A[M,K] @ B[K,N] + bias[N]) (+ R[M,N] when addResidual).
 * Used for the fused QKV projection (B = [W_Q | W_K | W_V] laid out [d_model, 3 * n_heads * d_head]),
 * the attention output projection (B = W_O as [n_heads * d_head, d_model], R = the residual stream,
 * updated in place: C may be R) and, for single-document hook_post, the MLP input with act = GELU.
 * Tiling (local-memory slabs, register blocks) is in gemm_tile.h; the bias, activation and residual
 * are applied in the epilogue while the tile is still in registers.
 * Grid: (ceil(N / TN) * WN, ceil(M / TM) * WM), work-group (WN, WM).
 */
KERNEL void gemm_bias(const GLOBAL float* RESTRICT A, const GLOBAL float* RESTRICT B,
                      const GLOBAL float* RESTRICT bias, const GLOBAL float* R, GLOBAL float* C,
                      int M, int N, int K, int act, int addResidual) {
    LOCAL_DECL float As[GEMM_TK * GEMM_AS_STRIDE];
    LOCAL_DECL float Bs[GEMM_TK * GEMM_TN];
    const int row0 = GROUP_ID(1) * GEMM_TM, col0 = GROUP_ID(0) * GEMM_TN;
    float acc[GEMM_RM][GEMM_RN];
    for (int i = 0; i < GEMM_RM; i++)
        for (int j = 0; j < GEMM_RN; j++) acc[i][j] = 0.0f;
    gemm_tile(A, B, M, N, K, row0, col0, As, Bs, acc);
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
    for (int i = 0; i < GEMM_RM; i++) {
        const int r = row0 + ty + GEMM_WM * i;
        if (r >= M) continue;
        for (int j = 0; j < GEMM_RN; j++) {
            const int c = col0 + tx + GEMM_WN * j;
            if (c >= N) continue;
            float v = activation(act, acc[i][j] + bias[c]);
            if (addResidual) v += R[r * N + c];   /* same element, same work-item: safe in place */
            C[r * N + c] = v;
        }
    }
}
