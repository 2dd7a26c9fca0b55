package neuroscan.kernels;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;
import neuroscan.kernel.MayAlias;

import static neuroscan.kernels.Activations.activation;
import static neuroscan.kernels.GemmTile.*;

/** A tiled GEMM with the bias, the activation and the residual fused in its epilogue. */
public final class GemmBias {
    private GemmBias() {
    }

    /**
     * C[M,N] = act(A[M,K] @ B[K,N] + bias[N]) (+ R[M,N] when addResidual != 0). Used for the fused QKV
     * projection (B = [W_Q | W_K | W_V] laid out [d_model, 3 * n_heads * d_head]), the attention output
     * projection (B = W_O as [n_heads * d_head, d_model], R = the residual stream, updated in place: C
     * may be R) and, for single-document hook_post, the MLP input with act = GELU. The tiling is
     * {@link GemmTile}'s; the bias, activation and residual are applied while the tile is in registers.
     * Grid: (ceil(N / TN) * WN, ceil(M / TM) * WM), work-group (WN, WM).
     */
    @Kernel(workGroup = {GEMM_WN, GEMM_WM})
    public static void gemmBias(KernelContext ctx, float[] A, float[] B, float[] bias, @MayAlias float[] R,
                                @MayAlias float[] C, int M, int N, int K, int act, int addResidual) {
        float[] As = ctx.localFloats(GEMM_TK * GEMM_AS_STRIDE);
        float[] Bs = ctx.localFloats(GEMM_TK * GEMM_TN);
        final int row0 = ctx.groupId(1) * GEMM_TM, col0 = ctx.groupId(0) * GEMM_TN;
        float[][] acc = new float[GEMM_RM][GEMM_RN];
        for (int i = 0; i < GEMM_RM; i++)
            for (int j = 0; j < GEMM_RN; j++) acc[i][j] = 0.0f;
        gemmTile(ctx, A, B, M, N, K, row0, col0, As, Bs, acc);
        final int tx = ctx.localId(0), ty = ctx.localId(1);
        for (int i = 0; i < GEMM_RM; i++) {
            final int r = row0 + ty + GEMM_WM * i;
            if (r >= M) continue;
            for (int j = 0; j < GEMM_RN; j++) {
                final int c = col0 + tx + GEMM_WN * j;
                if (c >= N) continue;
                float v = activation(act, acc[i][j] + bias[c]);
                if (addResidual != 0) v += R[r * N + c];   // same element, same work-item: safe in place
                C[r * N + c] = v;
            }
        }
    }
}
