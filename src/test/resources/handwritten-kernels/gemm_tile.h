/*
 * gemm_tile.h: the shared main loop of gemm_bias.cl and mlp_in_gelu_max.cl.
 *
 * A work-group of GEMM_WN x GEMM_WM work-items computes a GEMM_TM x GEMM_TN tile of A[M,K] @ B[K,N].
 * K is walked in slabs of GEMM_TK: each slab of A and B is staged once in local memory and then read
 * by every work-item (each global element is loaded once per tile instead of once per output). Each
 * work-item keeps a GEMM_RM x GEMM_RN block of accumulators in registers, taking rows ty + WM*i and
 * columns tx + WN*j: strided so that neighbouring work-items read neighbouring local/global addresses.
 * Out-of-range rows/columns/k are loaded as zeros, so any M, N, K works (odd sizes included).
 */
#ifndef GEMM_TM
#define GEMM_TM 64
#endif
#ifndef GEMM_TN
#define GEMM_TN 64
#endif
#ifndef GEMM_TK
#define GEMM_TK 16
#endif
#ifndef GEMM_WM
#define GEMM_WM 16
#endif
#ifndef GEMM_WN
#define GEMM_WN 16
#endif
#define GEMM_RM (GEMM_TM / GEMM_WM)
#define GEMM_RN (GEMM_TN / GEMM_WN)
#define GEMM_THREADS (GEMM_WM * GEMM_WN)
#define GEMM_AS_STRIDE (GEMM_TM + 1)   /* +1: the transposed store below does not hit one bank */

/* acc += A[row0 .. row0+TM, :] @ B[:, col0 .. col0+TN], rows >= M and columns >= N read as zero. */
DEVICE_FN void gemm_tile(const GLOBAL float* A, const GLOBAL float* B, int M, int N, int K,
                         int row0, int col0, LOCAL_PTR float* As, LOCAL_PTR float* Bs,
                         float acc[GEMM_RM][GEMM_RN]) {
    const int tx = LOCAL_ID(0), ty = LOCAL_ID(1), lid = ty * GEMM_WN + tx;
    for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
        /* A slab [TM x TK], stored transposed (As[k][row]) so the inner loop reads rows contiguously. */
        for (int idx = lid; idx < GEMM_TM * GEMM_TK; idx += GEMM_THREADS) {
            int r = idx / GEMM_TK, kk = idx % GEMM_TK;
            int gr = row0 + r, gk = k0 + kk;
            As[kk * GEMM_AS_STRIDE + r] = (gr < M && gk < K) ? A[gr * K + gk] : 0.0f;
        }
        /* B slab [TK x TN]: consecutive work-items read consecutive columns of one row. */
        for (int idx = lid; idx < GEMM_TK * GEMM_TN; idx += GEMM_THREADS) {
            int kk = idx / GEMM_TN, c = idx % GEMM_TN;
            int gk = k0 + kk, gc = col0 + c;
            Bs[kk * GEMM_TN + c] = (gk < K && gc < N) ? B[gk * N + gc] : 0.0f;
        }
        BARRIER();
        for (int kk = 0; kk < GEMM_TK; kk++) {
            float a[GEMM_RM], b[GEMM_RN];
            for (int i = 0; i < GEMM_RM; i++) a[i] = As[kk * GEMM_AS_STRIDE + ty + GEMM_WM * i];
            for (int j = 0; j < GEMM_RN; j++) b[j] = Bs[kk * GEMM_TN + tx + GEMM_WN * j];
            for (int i = 0; i < GEMM_RM; i++)
                for (int j = 0; j < GEMM_RN; j++) acc[i][j] += a[i] * b[j];
        }
        BARRIER();   /* before the next slab overwrites As/Bs */
    }
}
