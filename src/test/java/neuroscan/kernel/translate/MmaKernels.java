package neuroscan.kernel.translate;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernel.KernelMath.tf32;

/**
 * Test kernels for the tensor-core intrinsic (translated by MmaTest and run on PoCL and the CPU runner):
 * whole tiles through ctx.mmaTf32 with strided operands, a 2-D work-group of two warps and an offset
 * accumulator; TF32 rounding alone; and a warp whose lanes diverge at the instruction.
 */
public final class MmaKernels {
    private MmaKernels() {
    }

    /** The depth of each warp's product: four mma steps of k = 8. */
    public static final int MK = 32;
    public static final int TILE = 16 * 8;

    /**
     * Work-group g, warp w (of two): D = A @ B + C for tile t = 2g + w, A [16 x MK] row-major, B [MK x 8]
     * row-major (staged column-major, so the B operand is read with strides (1, MK)), C and D [16 x 8].
     */
    @Kernel(workGroup = {16, 4})
    public static void mmaTiles(KernelContext ctx, float[] A, float[] B, float[] C, float[] D) {
        float[] As = ctx.localFloats(2 * 16 * MK);
        float[] Bs = ctx.localFloats(2 * MK * 8);
        final int lid = ctx.localId(0) + 16 * ctx.localId(1), warp = lid / 32, lane = lid % 32, grp = ctx.groupId(0);
        for (int i = lid; i < 2 * 16 * MK; i += 64) As[i] = A[grp * 2 * 16 * MK + i];
        for (int i = lid; i < 2 * MK * 8; i += 64) {
            final int w = i / (MK * 8), r = i % (MK * 8), k = r / 8, c = r % 8;
            Bs[w * MK * 8 + c * MK + k] = B[grp * 2 * MK * 8 + i];
        }
        ctx.barrier();
        float[] acc = new float[8];
        final int g = lane / 4, t = lane % 4, base = (grp * 2 + warp) * TILE;
        for (int i = 0; i < 4; i++) acc[4 + i] = C[base + (g + 8 * (i / 2)) * 8 + 2 * t + i % 2];
        for (int k0 = 0; k0 < MK; k0 += 8) ctx.mmaTf32(As, warp * 16 * MK + k0, MK, 1, Bs, warp * MK * 8 + k0, 1, MK, acc, 4);
        for (int i = 0; i < 4; i++) D[base + (g + 8 * (i / 2)) * 8 + 2 * t + i % 2] = acc[4 + i];
    }

    /** y = tf32(x). */
    @Kernel
    public static void roundTf32(KernelContext ctx, float[] x, float[] y, int n) {
        final int i = ctx.globalId(0);
        if (i < n) y[i] = tf32(x[i]);
    }

    /** Only the first half of the warp executes the mma: the CPU runner must refuse it. */
    @Kernel(workGroup = {32})
    public static void divergentMma(KernelContext ctx, float[] D) {
        float[] As = ctx.localFloats(16 * 8);
        float[] Bs = ctx.localFloats(8 * 8);
        final int lid = ctx.localId(0);
        for (int i = lid; i < 16 * 8; i += 32) As[i] = 1.0f;
        for (int i = lid; i < 8 * 8; i += 32) Bs[i] = 1.0f;
        ctx.barrier();
        float[] acc = new float[4];
        if (lid < 16) ctx.mmaTf32(As, 0, 8, 1, Bs, 0, 8, 1, acc, 0);
        D[lid] = acc[0];
    }
}
