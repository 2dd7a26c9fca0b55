package neuroscan.kernels;

import neuroscan.engine.gpu.Screening;
import neuroscan.kernel.Mma;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The screen's bound against brute force: for random dot products (Gaussian, huge and tiny magnitudes,
 * heavy cancellation), the FP32 path's pre-activation (sequential, with and without fma) and the exact
 * one (double) lie within [v - rad, v + rad] of every model of the tensor-core result v (the in-order
 * model the CPU runner uses, and adversarial ones: random order and truncation inside each mma), and
 * the FP32 path's activation is at most ScreenBound.activationUpper.
 */
class ScreenBoundTest {
    private static final int K = 512;

    /** One mma step's sum C + sum of 8 exact TF32 products, in a random order, each add truncated toward zero. */
    private static float truncatingStep(float c, double[] p, Random r) {
        int[] order = {0, 1, 2, 3, 4, 5, 6, 7};
        for (int i = 7; i > 0; i--) {
            int j = r.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        float s = c;
        for (int i : order) s = towardZero((double) s + p[i]);
        return s;
    }

    private static float towardZero(double x) {
        float f = (float) x;
        if (Math.abs((double) f) > Math.abs(x)) f = Math.nextAfter(f, 0.0);
        return f;
    }

    private static float tensor(float[] a, float[] b, boolean adversarial, Random r) {
        float s = 0;
        for (int k0 = 0; k0 < K; k0 += 8) {
            double[] p = new double[8];
            for (int k = 0; k < 8; k++) p[k] = (double) Mma.tf32(a[k0 + k]) * Mma.tf32(b[k0 + k]);
            if (adversarial) {
                s = truncatingStep(s, p, r);
            } else {
                for (int k = 0; k < 8; k++) s = Math.fma(Mma.tf32(a[k0 + k]), Mma.tf32(b[k0 + k]), s);
            }
        }
        return s;
    }

    @Test
    void theFp32AndExactValuesLieInsideTheIntervalAndUnderTheActivationBound() {
        Random r = new Random(17);
        float relErr = Screening.relErr(K);
        double worst = 0;
        for (int trial = 0; trial < 3000; trial++) {
            float[] a = new float[K], b = new float[K];
            int kind = trial % 5;
            double scale = switch (kind) {
                case 1 -> 1e15;    // large magnitudes
                case 2 -> 1e-18;   // tiny (products near the subnormals)
                default -> 1;
            };
            for (int k = 0; k < K; k++) {
                a[k] = (float) (r.nextGaussian() * scale);
                b[k] = (float) (r.nextGaussian() * 0.05);
            }
            if (kind == 3) {   // cancellation: pairs of terms that nearly cancel, the sum much smaller than sum |ab|
                for (int k = 0; k + 1 < K; k += 2) {
                    a[k + 1] = -a[k] * (1 + (float) r.nextGaussian() * 1e-4f);
                    b[k + 1] = b[k];
                }
            }
            float bias = kind == 4 ? (float) (r.nextGaussian() * 100) : (float) r.nextGaussian();
            float s32 = 0, s32f = 0;
            double exact = 0;
            for (int k = 0; k < K; k++) {
                s32 += a[k] * b[k];
                s32f = Math.fma(a[k], b[k], s32f);
                exact += (double) a[k] * b[k];
            }
            float radius = ScreenBound.radius(ScreenBound.norm(a, 0, K, 1), ScreenBound.norm(b, 0, K, 1), relErr);
            for (boolean adversarial : new boolean[]{false, true}) {
                float v = tensor(a, b, adversarial, r) + bias;
                float rad = ScreenBound.halfWidth(v, radius), lo = v - rad, hi = v + rad;   // as mlp_screen computes them
                for (float z : new float[]{s32 + bias, s32f + bias}) {
                    assertTrue(lo <= z && z <= hi, "trial " + trial + ": FP32 " + z + " outside the screen's [" + lo + ", " + hi + "]");
                    worst = Math.max(worst, Math.abs((double) z - v) / rad);
                    for (int act : new int[]{Activations.ACT_GELU, Activations.ACT_GELU_NEW, Activations.ACT_NONE}) {
                        float up = ScreenBound.activationUpper(act, lo, hi);
                        assertTrue(Activations.activation(act, z) <= up, "trial " + trial + ": act " + act + "(" + z + ") > " + up);
                        // a document's hull: this element's interval inside a wider one still bounds it
                        float hull = ScreenBound.activationUpper(act, lo - (float) Math.abs(r.nextGaussian()), hi);
                        assertTrue(Activations.activation(act, z) <= hull, "trial " + trial + ": hull");
                    }
                }
                assertTrue(lo <= exact + bias && exact + bias <= hi, "trial " + trial + ": exact " + (exact + bias) + " vs " + v);
            }
        }
        assertTrue(worst > 1e-4, "the test's errors should come near enough to the bound to mean something: " + worst);
    }

    @Test
    void nanInfiniteAndOverflowingInputsAreAlwaysCandidates() {
        float relErr = Screening.relErr(K);
        float inf = Float.POSITIVE_INFINITY;
        assertTrue(ScreenBound.halfWidth(Float.NaN, 1f) == inf);
        assertTrue(ScreenBound.halfWidth(inf, 1f) == inf);
        assertTrue(ScreenBound.radius(1e20f, 1e20f, relErr) == inf, "a partial sum could overflow");
        assertTrue(ScreenBound.halfWidth(1f, ScreenBound.radius(1e20f, 1e20f, relErr)) == inf);
        assertTrue(ScreenBound.activationUpper(Activations.ACT_GELU, -inf, inf) == inf, "GELU(-inf) is NaN: unknown");
        assertTrue(ScreenBound.activationUpper(Activations.ACT_GELU, 1f, Float.NaN) == inf);
        assertTrue(ScreenPredicate.needsExact(Float.POSITIVE_INFINITY, 5f, 3));
        assertTrue(ScreenPredicate.needsExact(-100f, 5f, -1), "a store that is not full takes everything");
        assertTrue(ScreenPredicate.needsExact(5f, 5f, 3), "a tie may still win on the document index");
        assertTrue(!ScreenPredicate.needsExact(Math.nextDown(5f), 5f, 3));
    }
}
