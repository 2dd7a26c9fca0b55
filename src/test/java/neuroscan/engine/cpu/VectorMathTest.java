package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import neuroscan.engine.Gelu;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static neuroscan.engine.cpu.VectorMath.F;
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

    private static float[] apply(UnaryOperator<FloatVector> f, float[] x) {
        float[] in = java.util.Arrays.copyOf(x, (x.length + VL - 1) / VL * VL), out = new float[in.length];
        for (int i = 0; i < in.length; i += VL) f.apply(FloatVector.fromArray(F, in, i)).intoArray(out, i);
        return java.util.Arrays.copyOf(out, x.length);
    }

    /** Largest |f(x) - oracle(x)| / max(1, |oracle(x)|) (or relative when relative). */
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
        double err = worst(x, apply(VectorMath::erf, x), Gelu::erf, false);
        assertTrue(err < 1.5e-7, "max |erf error| " + err);
        // Relative accuracy near 0 matters too: erf(x) ~ 2x/sqrt(pi).
        float[] tiny = grid(-1e-3, 1e-3, 1e-7);
        assertTrue(worst(tiny, apply(VectorMath::erf, tiny), Gelu::erf, true) < 3e-7);
        float[] far = {10f, -10f, 1e30f, -1e30f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] y = apply(VectorMath::erf, far);
        for (int i = 0; i < far.length; i++) assertEquals(Math.signum(far[i]), y[i], 0f, "erf(" + far[i] + ")");
    }

    @Test
    void expWithinAnUlpOfMathExp() {
        float[] x = grid(-87, 88, 1e-3, 0f);
        double err = worst(x, apply(VectorMath::exp, x), Math::exp, true);
        assertTrue(err < 1.2e-7, "max relative exp error " + err);
        float[] y = apply(VectorMath::exp, new float[]{-200f, Float.NEGATIVE_INFINITY, 0f});
        assertTrue(y[0] >= 0 && y[0] < 2e-38 && y[1] >= 0 && y[1] < 2e-38, "underflow gives ~0");
        assertEquals(1f, y[2]);
    }

    @Test
    void geluExactMatchesTheErfReference() {
        float[] x = grid(-12, 12, 2e-4, 0f, 1.4142135f, -1.4142135f);
        double err = worst(x, apply(VectorMath::geluExact, x), Gelu::exact, false);
        assertTrue(err < 2e-7, "max gelu error " + err);
        // Large negative inputs: GELU is a tiny negative number, not a cancellation artefact.
        float[] y = apply(VectorMath::geluExact, new float[]{-5f});
        assertEquals(Gelu.exact(-5), y[0], 1e-9);
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
        for (UnaryOperator<FloatVector> g : List.<UnaryOperator<FloatVector>>of(VectorMath::geluExact, VectorMath::geluTanh)) {
            float[] y = apply(g, x);
            for (int i = 0; i < x.length; i++) {
                assertTrue(y[i] <= Math.max(x[i], 0f), "gelu(" + x[i] + ") = " + y[i]);
            }
        }
    }
}
