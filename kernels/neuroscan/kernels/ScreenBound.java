package neuroscan.kernels;

import static neuroscan.kernel.KernelMath.abs;
import static neuroscan.kernel.KernelMath.sqrt;
import static neuroscan.kernels.Activations.activation;

/**
 * The rigorous part of the tensor-core screen (derivation: kernels/README.md, "Screening"): from the
 * approximate pre-activation v (TF32 operands, tensor-core accumulation, FP32 bias add) an interval that
 * surely holds the FP32 path's pre-activation, and from it an upper bound on the FP32 path's activation.
 * Everything here rounds to the safe side by explicit margins, so it holds on every device.
 */
public final class ScreenBound {
    private ScreenBound() {
    }

    /**
     * An upper bound on |FP32 pre-activation - v| before the bias add (the FP32 and TF32 dot products
     * against the exact one): rowNorm * colNorm bounds sum_k |a_k||b_k| (Cauchy-Schwarz) and relErr is
     * the host's relative coefficient for this K (rounded up). +inf when the norms are so large that a
     * partial sum could overflow: then nothing is known.
     */
    static float radius(float rowNorm, float colNorm, float relErr) {
        final float s = rowNorm * colNorm;
        if (!(s < 0x1p126f)) return Float.POSITIVE_INFINITY;
        return s * relErr * (1.0f + 0x1p-20f) + 0x1p-100f * (rowNorm + colNorm + 1.0f);
    }

    /**
     * The half-width of an interval around the screen's v = fl(s + bias) that surely holds the FP32 path's
     * z = fl(s32 + bias), given |s32 - s| <= radius: z lies in [v - rad, v + rad], where rad adds 2^-21 |v|
     * for the two bias roundings and the float operations of the bound itself (derivation: kernels/README.md).
     * NaN or infinite v or radius: +inf.
     */
    static float halfWidth(float v, float radius) {
        final float rad = (radius + 0x1p-21f * abs(v)) * (1.0f + 0x1p-18f) + 0x1p-120f;
        return rad == rad && rad < Float.POSITIVE_INFINITY ? rad : Float.POSITIVE_INFINITY;
    }

    /**
     * An upper bound on act(z) for every z in [lo, hi]: GELU (and gelu_new) falls, then rises, so its max
     * over an interval is at an end; 2^-14 (1 + |ends|) covers the device's act() being off the exact
     * function (and not quite monotone) by far more than its few ulp. Used with the hull of a document's
     * intervals (the lowest lo, the highest hi), which holds each of them. NaN anywhere: +inf.
     */
    static float activationUpper(int act, float lo, float hi) {
        final float fl = activation(act, lo), fh = activation(act, hi);
        if (fl != fl || fh != fh) return Float.POSITIVE_INFINITY;
        final float ends = abs(lo) > abs(hi) ? abs(lo) : abs(hi);
        final float u = (fl > fh ? fl : fh) + 0x1p-14f * (1.0f + ends);
        return u != u ? Float.POSITIVE_INFINITY : u;
    }

    /**
     * An upper bound on the 2-norm of x[0 .. len) at stride step, computed in float: the sum of squares
     * is within (1 + len 2^-24) of exact, sqrt within 3 ulp, squares below 2^-149 are lost (at most
     * len 2^-149 in all); (1 + 2^-10) and 2^-60 cover all three for len <= 8192 (the host's limit).
     * Overflow gives +inf, which screens nothing out.
     */
    static float norm(float[] x, int at, int len, int step) {
        float s = 0.0f;
        for (int k = 0; k < len; k++) {
            final float e = x[at + k * step];
            s += e * e;
        }
        return sqrt(s) * (1.0f + 0x1p-10f) + 0x1p-60f;
    }
}
