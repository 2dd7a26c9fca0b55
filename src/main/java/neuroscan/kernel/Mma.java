package neuroscan.kernel;

/**
 * The CPU runner's model of the warp-wide tensor-core instruction {@link KernelContext#mmaTf32}:
 * {@code mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32}, D[16x8] = A[16x8] B[8x8] + C, with the
 * operands rounded to TF32 first ({@link #tf32}, PTX's {@code cvt.rna.tf32.f32}) and FP32 accumulation.
 *
 * <p>Each of the warp's 32 lanes holds four accumulators, in PTX's fragment layout for this shape (lane l,
 * g = l / 4, t = l % 4): acc[0] = D[g][2t], acc[1] = D[g][2t + 1], acc[2] = D[g + 8][2t], acc[3] =
 * D[g + 8][2t + 1]. A and B are read from work-group memory, which every lane can see, so the model
 * needs no exchange between lanes: each lane computes its own four elements. A product of two TF32
 * values (11-bit significands) is exact in FP32, so the model's only roundings are its sums, done in the
 * order k = 0..7 onto C, each as one fma; the GPU's order and rounding inside the instruction are not
 * specified by NVIDIA, which is why the screening bound (kernels/README.md) holds for any order and for
 * truncation. common.h's OpenCL half and its CUDA fallback below sm_80 compute exactly this model.
 */
public final class Mma {
    /** The instruction's shape and the warp that executes it. */
    public static final int M = 16, N = 8, K = 8, WARP = 32;

    private Mma() {
    }

    /**
     * x rounded to TF32 (8-bit exponent, 10-bit significand) and returned as the float it denotes: round
     * to nearest, ties away from zero, as {@code cvt.rna.tf32.f32}; infinities and NaN pass through, a
     * value past the largest TF32 becomes infinity. |x - tf32(x)| <= 2^-11 |x|.
     */
    public static float tf32(float x) {
        int bits = Float.floatToRawIntBits(x);
        if ((bits & 0x7f800000) == 0x7f800000) return x;
        return Float.intBitsToFloat((bits + 0x1000) & 0xffffe000);
    }

    /** One lane's part of the warp's mma (see the class comment); {@code lane} is its index in the warp. */
    static void mma(int lane, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow, int bCol,
                    float[] acc, int accOff) {
        final int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 4; i++) {
            final int r = g + 8 * (i >> 1), c = 2 * t + (i & 1);
            float s = acc[accOff + i];
            for (int k = 0; k < K; k++) s = Math.fma(tf32(a[aOff + r * aRow + k * aCol]), tf32(b[bOff + k * bRow + c * bCol]), s);
            acc[accOff + i] = s;
        }
    }
}
