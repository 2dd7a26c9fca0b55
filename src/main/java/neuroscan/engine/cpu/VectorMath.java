package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float exp, erf and the two GELUs, vectorised and branch-free (every lane takes both paths of erf and
 * a blend picks), written out here rather than using {@code VectorOperators.EXP} so results do not
 * depend on which intrinsic stubs the JVM has and the OpenCL twin can use the very same polynomials.
 *
 * <p>Everything works in place on whole vectors of an array, in loops, because of how C2 compiles the
 * Vector API: constants broadcast into locals before a loop stay in registers, while constants kept in
 * static final vectors are reloaded at every use, and broadcasts inside helpers nested a few calls deep
 * exceed C2's inlining depth and fall back to heap-allocated vectors (10x slower). So each function
 * below is one loop with its constants hoisted, and GELU is composed from passes over a small buffer.
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
    // through the exponent bits. About 1 ulp (checked against Math.exp in VectorMathTest).
    private static final float LOG2E = 1.44269504088896341f;
    private static final float C1 = 0.693359375f, C2 = -2.12194440e-4f;
    private static final float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f,
            E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;
    /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    // Keeps n in [-126, 127] so 2^n is a normal float; e^-87.3 ~ 1e-38 is 0 for every use here.
    private static final float EXP_LO = -87.3f, EXP_HI = 88.0f;

    /** v[i] = exp(v[i] - shift) for i in [off, off + len), len rounded up to whole vectors. */
    static void exp(float[] v, int off, int len, float shift) {
        FloatVector sh = FloatVector.broadcast(F, shift), lo = FloatVector.broadcast(F, EXP_LO), hi = FloatVector.broadcast(F, EXP_HI), log2e = FloatVector.broadcast(F, LOG2E), round = FloatVector.broadcast(F, ROUND),
                c1 = FloatVector.broadcast(F, -C1), c2 = FloatVector.broadcast(F, -C2), e0 = FloatVector.broadcast(F, E0), e1 = FloatVector.broadcast(F, E1), e2 = FloatVector.broadcast(F, E2), e3 = FloatVector.broadcast(F, E3), e4 = FloatVector.broadcast(F, E4),
                e5 = FloatVector.broadcast(F, E5), one = FloatVector.broadcast(F, 1f);
        IntVector bias = IntVector.broadcast(I, Float.floatToRawIntBits(ROUND) - 127);
        for (int i = off; i < off + len; i += VL) {
            FloatVector x = FloatVector.fromArray(F, v, i).sub(sh);
            // Clamps by compare + blend: FloatVector.max/min follow Math.max's NaN and -0.0 rules, a
            // long instruction sequence on x86.
            x = x.blend(lo, x.compare(VectorOperators.LT, lo));
            x = x.blend(hi, x.compare(VectorOperators.GT, hi));
            FloatVector t = x.fma(log2e, round);
            FloatVector n = t.sub(round);
            FloatVector r = n.fma(c2, n.fma(c1, x));
            FloatVector p = r.fma(e0, e1).fma(r, e2).fma(r, e3).fma(r, e4).fma(r, e5);
            FloatVector y = p.fma(r.mul(r), r).add(one);
            // 2^n: (n + 127) << 23 as float bits, n being t's bits minus ROUND's.
            FloatVector scale = t.reinterpretAsInts().sub(bias).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            y.mul(scale).intoArray(v, i);
        }
    }

    // erf in two regions (coefficients derived by bench/tools/fit_erf.py, Lawson's minimax fit).
    // |x| < 1: erf = x P(x^2); P is Cephes' erff polynomial (S. L. Moshier), relative error 1.2e-9.
    // |x| >= 1: erfc = exp(S(|x|) - x^2) with S(t) = log(erfc t) + t^2 fitted on [1, 4] in powers of
    // (t - 2.5), absolute error 1.2e-8 in S, i.e. a relative 1.2e-8 in erfc. Past 4, S(4) is used:
    // erfc < 1.6e-8 there and S changes slowly, so erfc keeps its size and goes to 0 with e^-x^2.
    // Overall |error| of 1 + erf ~1.5e-7 (1.3 ulp), float rounding included.
    private static final float P0 = 1.1283791657266664f, P1 = -0.37612625823923995f,
            P2 = 0.1128358514510436f, P3 = -0.02685381178847296f, P4 = 0.005188327406793758f,
            P5 = -0.0008010191174924741f, P6 = 7.853853263589672e-05f;
    private static final float S0 = -1.5568152789824468f, S1 = -0.35268068851004203f,
            S2 = 0.05610639163678641f, S3 = -0.010858487360657785f, S4 = 0.00216508154346437f,
            S5 = -0.00042017311301874305f, S6 = 7.745490198413085e-05f, S7 = -1.3301712150484701e-05f,
            S8 = 1.5998235222136614e-06f;

    /**
     * out[t VL ..] = 1 + erf(scale x) for the vectors x = v[at[t] ..], t < count. The 1 + erf form is
     * what GELU needs and is exact where erf is near -1: it is erfc(|u|) itself there, no cancellation.
     */
    static void onePlusErf(float[] v, int[] at, int count, float scale, float[] out) {
        FloatVector sc = FloatVector.broadcast(F, scale), four = FloatVector.broadcast(F, 4f), mid = FloatVector.broadcast(F, 2.5f), s0 = FloatVector.broadcast(F, S0), s1 = FloatVector.broadcast(F, S1), s2 = FloatVector.broadcast(F, S2),
                s3 = FloatVector.broadcast(F, S3), s4 = FloatVector.broadcast(F, S4), s5 = FloatVector.broadcast(F, S5), s6 = FloatVector.broadcast(F, S6), s7 = FloatVector.broadcast(F, S7), s8 = FloatVector.broadcast(F, S8);
        for (int k = 0; k < count; k++) {             // the exponent of erfc(|u|): S(min(|u|, 4)) - u^2
            FloatVector t = FloatVector.fromArray(F, v, at[k]).mul(sc).abs();
            FloatVector m = t.blend(four, t.compare(VectorOperators.GT, four)).sub(mid);
            FloatVector s = m.fma(s8, s7).fma(m, s6).fma(m, s5).fma(m, s4).fma(m, s3).fma(m, s2).fma(m, s1).fma(m, s0);
            t.neg().fma(t, s).intoArray(out, k * VL);
        }
        exp(out, 0, count * VL, 0f);
        FloatVector p0 = FloatVector.broadcast(F, P0), p1 = FloatVector.broadcast(F, P1), p2 = FloatVector.broadcast(F, P2), p3 = FloatVector.broadcast(F, P3), p4 = FloatVector.broadcast(F, P4), p5 = FloatVector.broadcast(F, P5), p6 = FloatVector.broadcast(F, P6),
                one = FloatVector.broadcast(F, 1f), two = FloatVector.broadcast(F, 2f), zero = FloatVector.broadcast(F, 0f);
        for (int k = 0; k < count; k++) {
            FloatVector u = FloatVector.fromArray(F, v, at[k]).mul(sc);
            FloatVector z = u.mul(u);
            FloatVector small = z.fma(p6, p5).fma(z, p4).fma(z, p3).fma(z, p2).fma(z, p1).fma(z, p0).fma(u, one);
            FloatVector ec = FloatVector.fromArray(F, out, k * VL);
            FloatVector large = ec.blend(two.sub(ec), u.compare(VectorOperators.GT, zero));
            small.blend(large, u.abs().compare(VectorOperators.GE, one)).intoArray(out, k * VL);
        }
    }

    /** GELU with erf, x/2 (1 + erf(x / sqrt 2)), in place on the vectors at v[at[t]]; tmp holds count vectors. */
    static void geluExact(float[] v, int[] at, int count, float[] tmp) {
        onePlusErf(v, at, count, 0.70710678118654752f, tmp);
        FloatVector half = FloatVector.broadcast(F, 0.5f);
        for (int k = 0; k < count; k++) {
            FloatVector x = FloatVector.fromArray(F, v, at[k]);
            x.mul(half).mul(FloatVector.fromArray(F, tmp, k * VL)).intoArray(v, at[k]);
        }
    }

    /**
     * gelu_new, x/2 (1 + tanh(k (x + 0.044715 x^3))) with k = sqrt(2/pi), computed as the equal
     * x / (1 + e^(-2k (x + 0.044715 x^3))), in place; tmp holds count vectors.
     */
    static void geluTanh(float[] v, int[] at, int count, float[] tmp) {
        FloatVector cubic = FloatVector.broadcast(F, 0.044715f), one = FloatVector.broadcast(F, 1f), k2 = FloatVector.broadcast(F, -2f * 0.7978845608028654f);
        for (int k = 0; k < count; k++) {
            FloatVector x = FloatVector.fromArray(F, v, at[k]);
            x.mul(x).fma(cubic, one).mul(x).mul(k2).intoArray(tmp, k * VL);
        }
        exp(tmp, 0, count * VL, 0f);
        for (int k = 0; k < count; k++) {
            FloatVector x = FloatVector.fromArray(F, v, at[k]);
            x.div(FloatVector.fromArray(F, tmp, k * VL).add(one)).intoArray(v, at[k]);
        }
    }

    static boolean isTanh(String actFn) {
        return "gelu_new".equals(actFn);
    }

    /**
     * The sum of v's lanes in a fixed order. reduceLanes(ADD) may associate differently in compiled and
     * interpreted code, and a document's result must not depend on the JIT's state.
     */
    static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0;
        for (int i = 0; i < VL; i++) s += lanes[i];
        return s;
    }

    /** Lanes [0, n) of a vector: for row tails that are not a whole vector. */
    static VectorMask<Float> firstLanes(int n) {
        return F.indexInRange(0, n);
    }

}
