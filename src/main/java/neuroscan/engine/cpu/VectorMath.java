package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float exp, erf and the two GELUs on whole vectors, branch-free (every lane takes both paths and a
 * blend picks), so the MLP epilogue and the softmax stay in registers. Written out here rather than
 * using {@code VectorOperators.EXP} so the results do not depend on which intrinsic stubs the JVM has,
 * and so the OpenCL twin can use the very same polynomials.
 */
final class VectorMath {
    private VectorMath() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Same lane count as {@link #F} (both 32-bit lanes of the preferred shape), for argmax positions. */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final int VL = F.length();

    // exp: Cephes expf (S. L. Moshier, Cephes Math Library): x = n ln2 + r with ln2 split in two
    // (C1 + C2) for an exact reduction, e^r = 1 + r + r^2 P(r) on |r| <= ln2/2, then scale by 2^n
    // through the exponent bits. About 1.3 ulp (checked against Math.exp in VectorMathTest).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float C1 = 0.693359375f, C2 = -2.12194440e-4f;
    private static final float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f,
            E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;
    /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    // Keeps n in [-126, 127] so 2^n is a normal float; e^-87.3 ~ 1e-38 is 0 for every use here.
    private static final float EXP_LO = -87.3f, EXP_HI = 88.0f;

    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(bc(-C1), x);
        r = n.fma(bc(-C2), r);
        FloatVector p = r.fma(E0, E1);
        p = p.fma(r, bc(E2));
        p = p.fma(r, bc(E3));
        p = p.fma(r, bc(E4));
        p = p.fma(r, bc(E5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        return y.mul(expBits(t));
    }

    /** 2^n for the n held in t's low mantissa bits (t = n + 1.5*2^23). */
    private static FloatVector expBits(FloatVector t) {
        IntVector n = ((IntVector) t.reinterpretAsInts()).sub(ROUND_BITS);
        return (FloatVector) n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    // erf: two regions (coefficients derived by bench/tools/fit_erf.py, Lawson's minimax fit).
    // |x| < 1: erf = x P(x^2); P is Cephes' erff polynomial (S. L. Moshier), relative error 1.2e-9.
    // |x| >= 1: erfc = exp(S(|x|) - x^2) with S(t) = log(erfc t) + t^2 fitted on [1, 4] in powers of
    // (t - 2.5), absolute error 1.2e-8 in S, i.e. a relative 1.2e-8 in erfc. erf(x) rounds to 1 in
    // float beyond 3.92, so |x| is clamped at 4. Overall |error| <= ~1e-7, float rounding included.
    private static final float P0 = 1.1283791657266664f, P1 = -0.37612625823923995f,
            P2 = 0.1128358514510436f, P3 = -0.02685381178847296f, P4 = 0.005188327406793758f,
            P5 = -0.0008010191174924741f, P6 = 7.853853263589672e-05f;
    private static final float S0 = -1.5568152789824468f, S1 = -0.35268068851004203f,
            S2 = 0.05610639163678641f, S3 = -0.010858487360657785f, S4 = 0.00216508154346437f,
            S5 = -0.00042017311301874305f, S6 = 7.745490198413085e-05f, S7 = -1.3301712150484701e-05f,
            S8 = 1.5998235222136614e-06f;

    /** x P(x^2): erf for |x| < 1. */
    private static FloatVector erfSmall(FloatVector x) {
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(P6, P5);
        p = p.fma(z, bc(P4));
        p = p.fma(z, bc(P3));
        p = p.fma(z, bc(P2));
        p = p.fma(z, bc(P1));
        p = p.fma(z, bc(P0));
        return p.mul(x);
    }

    /** erfc(t) for t = |x| >= 1 (t clamped at 4, where erfc is below half an ulp of 1). */
    private static FloatVector erfcLarge(FloatVector t) {
        t = t.min(4f);
        FloatVector u = t.sub(2.5f);
        FloatVector s = u.fma(S8, S7);
        s = s.fma(u, bc(S6));
        s = s.fma(u, bc(S5));
        s = s.fma(u, bc(S4));
        s = s.fma(u, bc(S3));
        s = s.fma(u, bc(S2));
        s = s.fma(u, bc(S1));
        s = s.fma(u, bc(S0));
        return exp(t.neg().fma(t, s));
    }

    static FloatVector erf(FloatVector x) {
        FloatVector t = x.abs();
        FloatVector large = erfcLarge(t).neg().add(1f);
        large = large.blend(large.neg(), x.lt(0f));
        return erfSmall(x).blend(large, t.compare(VectorOperators.GE, 1f));
    }

    private static final float SQRT1_2 = 0.70710678118654752f;

    /** GELU with erf: x/2 (1 + erf(x/sqrt 2)); 1 + erf is taken as erfc(|u|) for u <= -1, no cancellation. */
    static FloatVector geluExact(FloatVector x) {
        FloatVector u = x.mul(SQRT1_2);
        FloatVector t = u.abs();
        FloatVector ec = erfcLarge(t);
        FloatVector large = ec.blend(ec.neg().add(2f), u.compare(VectorOperators.GT, 0f));
        FloatVector onePlusErf = erfSmall(u).add(1f).blend(large, t.compare(VectorOperators.GE, 1f));
        return x.mul(0.5f).mul(onePlusErf);
    }

    private static final float TANH_K = 0.7978845608028654f; // sqrt(2/pi)

    /** gelu_new: x/2 (1 + tanh(k (x + 0.044715 x^3))) = x / (1 + e^(-2k(x + 0.044715 x^3))). */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector inner = x.mul(x).fma(0.044715f, 1f).mul(x).mul(-2f * TANH_K);
        return x.div(exp(inner).add(1f));
    }

    /** The activation TransformerLens names act_fn. */
    static FloatVector gelu(FloatVector x, boolean tanh) {
        return tanh ? geluTanh(x) : geluExact(x);
    }

    static boolean isTanh(String actFn) {
        return "gelu_new".equals(actFn);
    }

    /** Lanes [0, n) of a vector: for row tails that are not a whole vector. */
    static VectorMask<Float> firstLanes(int n) {
        return F.indexInRange(0, n);
    }

    private static FloatVector bc(float v) {
        return FloatVector.broadcast(F, v);
    }
}
