package neuroscan.engine.cpu;

import neuroscan.engine.Gelu;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

import static neuroscan.engine.cpu.VectorMath.VL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector polynomials against the double-precision oracles in {@link Gelu} and {@link Math#exp}. */
class VectorMathTest {

    /** x from lo to hi in steps, plus region edges and their float neighbours. */
    private static float[] grid(double lo, double hi, double step, float... extra) {
        int n = (int) Math.round((hi - lo) / step) + 1;
        float[] x = new float[n + 3 * extra.length];
        for (int i = 0; i < n; i++) x[i] = (float) (lo + i * step);
        for (int i = 0; i < extra.length; i++) {
            x[n + 3 * i] = extra[i];
            x[n + 3 * i + 1] = Math.nextUp(extra[i]);
            x[n + 3 * i + 2] = Math.nextDown(extra[i]);
        }
        return x;
    }

    private interface Batch {
        void apply(float[] v, int[] at, int count, float[] tmp);
    }

    /** Runs an in-place batch function over x, as the MLP epilogue does (vector offsets in a list). */
    private static float[] apply(Batch f, float[] x) {
        int count = (x.length + VL - 1) / VL;
        float[] v = Arrays.copyOf(x, count * VL), tmp = new float[count * VL];
        int[] at = new int[count];
        for (int k = 0; k < count; k++) at[k] = k * VL;
        f.apply(v, at, count, tmp);
        return Arrays.copyOf(v, x.length);
    }

    private static float[] onePlusErf(float[] x) {
        return apply((v, at, count, tmp) -> {
            VectorMath.onePlusErf(v, at, count, 1f, tmp);
            System.arraycopy(tmp, 0, v, 0, count * VL);
        }, x);
    }

    /** Largest |y - oracle(x)| / max(1, |oracle(x)|), or the relative error when relative. */
    private static double worst(float[] x, float[] y, DoubleUnaryOperator oracle, boolean relative) {
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double want = oracle.applyAsDouble(x[i]);
            double scale = relative ? Math.abs(want) : Math.max(1, Math.abs(want));
            double err = want == 0 ? Math.abs(y[i]) : Math.abs(y[i] - want) / scale;
            assertTrue(err == err, "NaN at x = " + x[i]);
            worst = Math.max(worst, err);
        }
        return worst;
    }

    @Test
    void erfWithin1e7OfTheDoubleOracleOnADenseGrid() {
        float[] x = grid(-6, 6, 1e-4, 0f, 1f, -1f, 3.92f, 4f, -4f);
        float[] y = onePlusErf(x);
        for (int i = 0; i < y.length; i++) y[i] -= 1;
        double err = worst(x, y, Gelu::erf, false);
        // 1.3 ulp of 1 + erf near x = 1, where the |x| < 1 polynomial's own float rounding adds up.
        assertTrue(err < 1.6e-7, "max |erf error| " + err);
        // Where erf is near -1, 1 + erf = erfc(|x|) must keep its relative accuracy (GELU of negative inputs).
        float[] neg = grid(-3.9, -1, 1e-4);
        assertTrue(worst(neg, onePlusErf(neg), t -> 1 + Gelu.erf(t), true) < 2e-6);
        float[] far = {10f, -10f, 1e30f, -1e30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] z = onePlusErf(far);
        for (int i = 0; i < far.length; i++) assertEquals(1 + Math.signum(far[i]), z[i], 1e-30f, "1 + erf(" + far[i] + ")");
    }

    @Test
    void expWithinAnUlpOfMathExp() {
        float[] x = grid(-87, 88, 1e-3, 0f);
        int len = (x.length + VL - 1) / VL * VL;
        float[] y = Arrays.copyOf(x, len);
        VectorMath.exp(y, 0, x.length, 0f);
        double err = worst(x, Arrays.copyOf(y, x.length), Math::exp, true);
        assertTrue(err < 1.2e-7, "max relative exp error " + err);
        float[] z = new float[VL];
        z[0] = -200f + 3;
        z[1] = Float.NEGATIVE_INFINITY;
        z[2] = 3f;
        VectorMath.exp(z, 0, 1, 3f);             // exp(x - 3)
        assertTrue(z[0] >= 0 && z[0] < 2e-38 && z[1] >= 0 && z[1] < 2e-38, "underflow gives ~0");
        assertEquals(1f, z[2]);
    }

    @Test
    void geluExactMatchesTheErfReference() {
        float[] x = grid(-12, 12, 2e-4, 0f, 1.4142135f, -1.4142135f);
        double err = worst(x, apply(VectorMath::geluExact, x), Gelu::exact, false);
        assertTrue(err < 2e-7, "max gelu error " + err);
        // Large negative inputs: GELU is a tiny negative number, not a cancellation artefact.
        float[] y = apply(VectorMath::geluExact, new float[]{-5f});
        assertEquals(Gelu.exact(-5), y[0], 1e-12);
    }

    @Test
    void geluTanhMatchesTheTanhReference() {
        float[] x = grid(-12, 12, 2e-4, 0f);
        double err = worst(x, apply(VectorMath::geluTanh, x), Gelu::tanh, false);
        assertTrue(err < 2e-7, "max gelu_new error " + err);
        float[] huge = apply(VectorMath::geluTanh, new float[]{-1e4f, 1e4f});
        assertEquals(0f, huge[0], 1e-30f);
        assertEquals(1e4f, huge[1]);
    }

    /** MlpInGeluMax skips GELU where x <= running max >= 0; that is exact only if GELU(x) <= max(x, 0). */
    @Test
    void bothGelusNeverExceedTheirInputOrZero() {
        float[] x = grid(-30, 30, 1e-4, 0f, 1.4142135f, -1.4142135f, 5.656854f, -5.656854f);
        for (Batch g : new Batch[]{VectorMath::geluExact, VectorMath::geluTanh}) {
            float[] y = apply(g, x);
            for (int i = 0; i < x.length; i++) {
                assertTrue(y[i] <= Math.max(x[i], 0f), "gelu(" + x[i] + ") = " + y[i]);
            }
        }
    }
}
