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

    /** Vector constants, made once: broadcasting at each use would nest the Vector API too deep for C2. */
    private static FloatVector v(float c) {
        return FloatVector.broadcast(F, c);
    }

    private static final FloatVector V_LOG2E = v(LOG2E), V_ROUND = v(ROUND), V_C1 = v(-C1), V_C2 = v(-C2),
            V_E0 = v(E0), V_E1 = v(E1), V_E2 = v(E2), V_E3 = v(E3), V_E4 = v(E4), V_E5 = v(E5),
            V_ONE = v(1f), V_TWO = v(2f), V_HALF = v(0.5f), V_ZERO = v(0f), V_EXP_LO = v(EXP_LO), V_EXP_HI = v(EXP_HI);
    private static final IntVector V_ROUND_BITS = IntVector.broadcast(I, ROUND_BITS - 127);

    static FloatVector exp(FloatVector x) {
        // Clamps by compare + blend: FloatVector.max/min follow Math.max's NaN and -0.0 rules, which
        // costs C2 a long instruction sequence on x86.
        x = x.blend(V_EXP_LO, x.compare(VectorOperators.LT, V_EXP_LO));
        x = x.blend(V_EXP_HI, x.compare(VectorOperators.GT, V_EXP_HI));
        FloatVector t = x.fma(V_LOG2E, V_ROUND);
        FloatVector n = t.sub(V_ROUND);
        FloatVector r = n.fma(V_C1, x);
        r = n.fma(V_C2, r);
        FloatVector p = r.fma(V_E0, V_E1);
        p = p.fma(r, V_E2);
        p = p.fma(r, V_E3);
        p = p.fma(r, V_E4);
        p = p.fma(r, V_E5);
        FloatVector y = p.fma(r.mul(r), r).add(V_ONE);
        // 2^n from the n sitting in t's low mantissa bits: (n + 127) << 23 as float bits.
        FloatVector scale = (FloatVector) ((IntVector) t.reinterpretAsInts()).sub(V_ROUND_BITS)
                .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    // erf: two regions (coefficients derived by bench/tools/fit_erf.py, Lawson's minimax fit).
    // |x| < 1: erf = x P(x^2); P is Cephes' erff polynomial (S. L. Moshier), relative error 1.2e-9.
    // |x| >= 1: erfc = exp(S(|x|) - x^2) with S(t) = log(erfc t) + t^2 fitted on [1, 4] in powers of
    // (t - 2.5), absolute error 1.2e-8 in S, i.e. a relative 1.2e-8 in erfc. erf(x) rounds to 1 in
    // float beyond 3.92, so |x| is clamped at 4. Overall |error| <= ~1.3e-7, float rounding included.
    // Both regions are written out in each caller: helper methods would nest the Vector API's own
    // calls past C2's inlining depth, and a vector that is not inlined is boxed on the heap.
    private static final FloatVector P0 = v(1.1283791657266664f), P1 = v(-0.37612625823923995f),
            P2 = v(0.1128358514510436f), P3 = v(-0.02685381178847296f), P4 = v(0.005188327406793758f),
            P5 = v(-0.0008010191174924741f), P6 = v(7.853853263589672e-05f);
    private static final FloatVector S0 = v(-1.5568152789824468f), S1 = v(-0.35268068851004203f),
            S2 = v(0.05610639163678641f), S3 = v(-0.010858487360657785f), S4 = v(0.00216508154346437f),
            S5 = v(-0.00042017311301874305f), S6 = v(7.745490198413085e-05f), S7 = v(-1.3301712150484701e-05f),
            S8 = v(1.5998235222136614e-06f);
    private static final FloatVector V_FOUR = v(4f), V_MID = v(2.5f), V_SQRT1_2 = v(0.70710678118654752f);

    static FloatVector erf(FloatVector x) {
        FloatVector z = x.mul(x);
        FloatVector p = z.fma(P6, P5).fma(z, P4).fma(z, P3).fma(z, P2).fma(z, P1).fma(z, P0);
        FloatVector small = p.mul(x);
        FloatVector t = x.abs();
        t = t.blend(V_FOUR, t.compare(VectorOperators.GT, V_FOUR));
        FloatVector u = t.sub(V_MID);
        FloatVector s = u.fma(S8, S7).fma(u, S6).fma(u, S5).fma(u, S4).fma(u, S3).fma(u, S2).fma(u, S1).fma(u, S0);
        FloatVector large = V_ONE.sub(exp(t.neg().fma(t, s)));
        large = large.blend(large.neg(), x.compare(VectorOperators.LT, V_ZERO));
        return small.blend(large, x.abs().compare(VectorOperators.GE, V_ONE));
    }

    /**
     * GELU with erf: x/2 (1 + erf(x/sqrt 2)), erf written out as in {@link #erf}; 1 + erf is taken as
     * erfc(|u|) for u <= -1, so there is no cancellation for negative inputs.
     */
    static FloatVector geluExact(FloatVector x) {
        FloatVector u = x.mul(V_SQRT1_2);
        FloatVector z = u.mul(u);
        FloatVector p = z.fma(P6, P5).fma(z, P4).fma(z, P3).fma(z, P2).fma(z, P1).fma(z, P0);
        FloatVector small = p.fma(u, V_ONE);
        FloatVector t = u.abs();
        t = t.blend(V_FOUR, t.compare(VectorOperators.GT, V_FOUR));
        FloatVector m = t.sub(V_MID);
        FloatVector s = m.fma(S8, S7).fma(m, S6).fma(m, S5).fma(m, S4).fma(m, S3).fma(m, S2).fma(m, S1).fma(m, S0);
        FloatVector ec = exp(t.neg().fma(t, s));
        FloatVector large = ec.blend(V_TWO.sub(ec), u.compare(VectorOperators.GT, V_ZERO));
        FloatVector onePlusErf = small.blend(large, u.abs().compare(VectorOperators.GE, V_ONE));
        return x.mul(V_HALF).mul(onePlusErf);
    }

    private static final FloatVector V_CUBIC = v(0.044715f), V_TANH_K2 = v(-2f * 0.7978845608028654f); // -2 sqrt(2/pi)

    /** gelu_new: x/2 (1 + tanh(k (x + 0.044715 x^3))) = x / (1 + e^(-2k(x + 0.044715 x^3))). */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector inner = x.mul(x).fma(V_CUBIC, V_ONE).mul(x).mul(V_TANH_K2);
        return x.div(exp(inner).add(V_ONE));
    }

    static boolean isTanh(String actFn) {
        return "gelu_new".equals(actFn);
    }

    /** Lanes [0, n) of a vector: for row tails that are not a whole vector. */
    static VectorMask<Float> firstLanes(int n) {
        return F.indexInRange(0, n);
    }

}
