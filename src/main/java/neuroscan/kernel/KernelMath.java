package neuroscan.kernel;

import neuroscan.engine.Gelu;

/**
 * The float math a kernel may call; each function becomes one macro of {@code common.h} ({@code EXPF},
 * {@code ERFF}, ...) and so the device's own function (OpenCL's {@code exp}, CUDA's {@code expf}). The
 * Java versions here are what {@link CpuRunner} computes: correctly rounded or within an ulp or two of
 * it, so the device's functions (OpenCL allows up to 4 ulp for exp) may differ in the last bits.
 * {@link #fmax} and {@link #fmin} have C's semantics, not {@link Math#max}'s: a NaN argument is ignored.
 */
public final class KernelMath {
    private KernelMath() {
    }

    public static float exp(float x) {
        return (float) Math.exp(x);
    }

    /** The error function; Java has none, so this rounds {@link Gelu#erf}'s double to float. */
    public static float erf(float x) {
        return (float) Gelu.erf(x);
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    public static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }

    /** 1 / sqrt(x); on a GPU an approximation (CUDA: 2 ulp, OpenCL: 2 ulp). */
    public static float rsqrt(float x) {
        return (float) (1.0 / Math.sqrt(x));
    }

    /** a * b + c rounded once, as the device's fma. */
    public static float fma(float a, float b, float c) {
        return Math.fma(a, b, c);
    }

    /** The larger of a and b; if one is NaN, the other (C's fmaxf). */
    public static float fmax(float a, float b) {
        if (a != a) return b;
        if (b != b) return a;
        return Math.max(a, b);
    }

    /** The smaller of a and b; if one is NaN, the other (C's fminf). */
    public static float fmin(float a, float b) {
        if (a != a) return b;
        if (b != b) return a;
        return Math.min(a, b);
    }

    public static float abs(float x) {
        return Math.abs(x);
    }

    /** x rounded to TF32, the tensor cores' operand format ({@link Mma#tf32}; CUDA: cvt.rna.tf32.f32). */
    public static float tf32(float x) {
        return Mma.tf32(x);
    }
}
