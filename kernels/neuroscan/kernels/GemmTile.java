package neuroscan.kernels;

import neuroscan.kernel.BuildOption;
import neuroscan.kernel.KernelContext;

/**
 * The shared main loop of gemm_bias and mlp_in_gelu_max: a work-group of GEMM_WN x GEMM_WM work-items
 * computes a GEMM_TM x GEMM_TN tile of A[M,K] @ B[K,N].
 *
 * <p>K is walked in slabs of GEMM_TK: each slab of A and B is staged once in work-group memory and then
 * read by every work-item, so each global element is loaded once per tile instead of once per output.
 * Each work-item keeps a GEMM_RM x GEMM_RN block of accumulators in registers, taking rows ty + WM*i and
 * columns tx + WN*j: strided, so that neighbouring work-items read neighbouring addresses. Out-of-range
 * rows, columns and k are loaded as zeros, so any M, N, K works (odd sizes included).
 */
public final class GemmTile {
    private GemmTile() {
    }

    /** Rows of A (and C) per work-group tile. */
    @BuildOption
    public static final int GEMM_TM = 64;
    /** Columns of B (and C) per work-group tile. */
    @BuildOption
    public static final int GEMM_TN = 64;
    /** The depth of one K slab staged in work-group memory. */
    @BuildOption
    public static final int GEMM_TK = 16;
    /** Work-items along the rows (dimension 1 of the work-group). */
    @BuildOption
    public static final int GEMM_WM = 16;
    /** Work-items along the columns (dimension 0 of the work-group). */
    @BuildOption
    public static final int GEMM_WN = 16;

    /** Accumulator rows per work-item. */
    public static final int GEMM_RM = GEMM_TM / GEMM_WM;
    /** Accumulator columns per work-item. */
    public static final int GEMM_RN = GEMM_TN / GEMM_WN;
    public static final int GEMM_THREADS = GEMM_WM * GEMM_WN;
    /** +1: the transposed store of the A slab does not hit one memory bank. */
    public static final int GEMM_AS_STRIDE = GEMM_TM + 1;

    /** acc += A[row0 .. row0+TM, :] @ B[:, col0 .. col0+TN], rows >= M and columns >= N read as zero. */
    static void gemmTile(KernelContext ctx, float[] A, float[] B, int M, int N, int K, int row0, int col0,
                         float[] As, float[] Bs, float[][] acc) {
        final int tx = ctx.localId(0), ty = ctx.localId(1), lid = ty * GEMM_WN + tx;
        for (int k0 = 0; k0 < K; k0 += GEMM_TK) {
            stageA(lid, A, M, K, row0, k0, As);
            // B slab [TK x TN]: consecutive work-items read consecutive columns of one row.
            for (int idx = lid; idx < GEMM_TK * GEMM_TN; idx += GEMM_THREADS) {
                int kk = idx / GEMM_TN, c = idx % GEMM_TN;
                int gk = k0 + kk, gc = col0 + c;
                Bs[kk * GEMM_TN + c] = (gk < K && gc < N) ? B[gk * N + gc] : 0.0f;
            }
            ctx.barrier();
            slabProduct(ctx, As, Bs, acc);
            ctx.barrier();   // before the next slab overwrites As and Bs
        }
    }

    /**
     * The A slab [TM x TK] at (row0, k0), stored transposed (As[k][row]) so the inner loop reads rows
     * contiguously; rows >= M and k >= K read as zero. Shared with mlp_recompute's gathered tile.
     */
    static void stageA(int lid, float[] A, int M, int K, int row0, int k0, float[] As) {
        for (int idx = lid; idx < GEMM_TM * GEMM_TK; idx += GEMM_THREADS) {
            int r = idx / GEMM_TK, kk = idx % GEMM_TK;
            int gr = row0 + r, gk = k0 + kk;
            As[kk * GEMM_AS_STRIDE + r] = (gr < M && gk < K) ? A[gr * K + gk] : 0.0f;
        }
    }

    /**
     * acc += the staged slabs' product, k in order: each accumulator's operations (acc += a * b, one k after
     * another) are what mlp_recompute must repeat bit for bit, so it calls this same code.
     */
    static void slabProduct(KernelContext ctx, float[] As, float[] Bs, float[][] acc) {
        final int tx = ctx.localId(0), ty = ctx.localId(1);
        for (int kk = 0; kk < GEMM_TK; kk++) {
            float[] a = new float[GEMM_RM], b = new float[GEMM_RN];
            for (int i = 0; i < GEMM_RM; i++) a[i] = As[kk * GEMM_AS_STRIDE + ty + GEMM_WM * i];
            for (int j = 0; j < GEMM_RN; j++) b[j] = Bs[kk * GEMM_TN + tx + GEMM_WN * j];
            for (int i = 0; i < GEMM_RM; i++)
                for (int j = 0; j < GEMM_RN; j++) acc[i][j] += a[i] * b[j];
        }
    }
}
