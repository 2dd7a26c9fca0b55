package neuroscan.engine.cpu;

import neuroscan.engine.Gelu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.assertClose;
import static neuroscan.engine.cpu.TestData.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MlpInGeluMaxTest {

    private record Bin(float[] a, int lda, int rows, int[] slot, int[] pos, int docs) {
    }

    /** Rows of several documents, lengths drawn at random, rows lda apart. */
    private static Bin bin(SplittableRandom r, int rows, int k) {
        int lda = k + 2;
        int[] slot = new int[rows], pos = new int[rows];
        int doc = 0, p = 0;
        for (int i = 0; i < rows; i++) {
            if (i > 0 && r.nextInt(4) == 0) {
                doc++;
                p = 0;
            }
            slot[i] = doc;
            pos[i] = p++;
        }
        return new Bin(random(r, rows * lda, 1.5), lda, rows, slot, pos, doc + 1);
    }

    @ParameterizedTest
    @CsvSource({"1,5,1,gelu", "5,19,63,gelu", "6,19,64,gelu_new", "7,33,65,gelu", "37,19,130,gelu_new",
            "100,64,256,gelu", "200,19,70,gelu", "401,16,64,gelu_new"})
    void foldsMaxAndFirstArgmaxPerDocument(int rows, int k, int n, String act) {
        var r = new SplittableRandom(rows * 7L + n);
        float[] w = random(r, k * n, 0.5), bias = random(r, n, 0.5);
        var mlp = new MlpInGeluMax(new Panels(k, n, (i, j) -> w[i * n + j], bias), act);
        Bin b = bin(r, rows, k);
        int ldm = mlp.w.nPad;
        float[] max = new float[b.docs * ldm];
        int[] arg = new int[b.docs * ldm];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(arg, -1);
        mlp.apply(b.a, b.lda, rows, b.slot, b.pos, max, arg, null, ldm, TestData.workspace(k, 1, k, n, 8, b.docs));

        double[][] post = new double[rows][n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias[j];
                for (int t = 0; t < k; t++) s += (double) b.a[i * b.lda + t] * w[t * n + j];
                post[i][j] = Gelu.apply(act, s);
            }
        }
        for (int d = 0; d < b.docs; d++) {
            for (int j = 0; j < n; j++) {
                double best = Double.NEGATIVE_INFINITY;
                int at = -1, first = -1;
                for (int i = 0; i < rows; i++) {
                    if (b.slot[i] != d) continue;
                    if (first < 0) first = i;
                    if (post[i][j] > best) {
                        best = post[i][j];
                        at = b.pos[i];
                    }
                }
                assertClose(max[d * ldm + j], best, 1e-5, 1e-5, "doc " + d + " neuron " + j);
                int got = arg[d * ldm + j];
                // A different argmax is only fine where the two positions' values are within tolerance.
                if (got != at) assertClose(post[first + got][j], best, 1e-5, 1e-5, "argmax doc " + d + " neuron " + j);
            }
        }
    }

    @Test
    void tiesKeepTheFirstPosition() {
        var r = new SplittableRandom(5);
        int k = 9, n = 70, rows = 14;
        float[] w = random(r, k * n, 0.5), bias = random(r, n, 0.5);
        var mlp = new MlpInGeluMax(new Panels(k, n, (i, j) -> w[i * n + j], bias), "gelu");
        float[] a = random(r, rows * k, 1.5);
        // One document; rows 3, 8 and 13 identical (in different tiles and the tail): exact ties.
        System.arraycopy(a, 3 * k, a, 8 * k, k);
        System.arraycopy(a, 3 * k, a, 13 * k, k);
        for (int j = 0; j < k; j++) a[3 * k + j] *= 4;   // make the tied row the largest most of the time
        System.arraycopy(a, 3 * k, a, 8 * k, k);
        System.arraycopy(a, 3 * k, a, 13 * k, k);
        int[] slot = new int[rows], pos = new int[rows];
        for (int i = 0; i < rows; i++) pos[i] = i;
        int ldm = mlp.w.nPad;
        float[] max = new float[ldm];
        int[] arg = new int[ldm];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        mlp.apply(a, k, rows, slot, pos, max, arg, null, ldm, TestData.workspace(k, 1, k, n, 8, 1));
        int tied = 0;
        float[] pre = new float[rows * ldm];
        Workspace ws = TestData.workspace(k, 1, k, n, 8, 1);
        new GemmBias(mlp.w).apply(a, k, rows, pre, ldm, false, ws);
        for (int i = 0; i < rows; i++) mlp.activate(pre, i * ldm, n, ws);
        for (int j = 0; j < n; j++) {
            float best = Float.NEGATIVE_INFINITY;
            int at = -1;
            for (int i = 0; i < rows; i++) {
                if (pre[i * ldm + j] > best) {
                    best = pre[i * ldm + j];
                    at = i;
                }
            }
            assertEquals(best, max[j], 0f, "fused max equals the unfused path bit for bit");
            assertEquals(at, arg[j], "neuron " + j);
            if (at == 3) tied++;
        }
        assertTrue(tied > n / 3, "the tied row wins for many neurons: " + tied);
        assertArrayEquals(Arrays.copyOfRange(pre, 3 * ldm, 4 * ldm), Arrays.copyOfRange(pre, 13 * ldm, 14 * ldm));
    }

    /** The fused count of positions with post > 0 equals a count over the unfused path's activations, exactly. */
    @ParameterizedTest
    @CsvSource({"9,5,3,gelu", "37,19,130,gelu_new", "200,19,70,gelu", "401,16,64,gelu_new"})
    void countsPositiveActivationsAsTheUnfusedPathHasThem(int rows, int k, int n, String act) {
        var r = new SplittableRandom(rows * 11L + n);
        float[] w = random(r, k * n, 0.5), bias = random(r, n, 0.5);
        var mlp = new MlpInGeluMax(new Panels(k, n, (i, j) -> w[i * n + j], bias), act);
        Bin b = bin(r, rows, k);
        int ldm = mlp.w.nPad;
        float[] max = new float[b.docs * ldm];
        int[] arg = new int[b.docs * ldm], positive = new int[b.docs * ldm];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(arg, -1);
        Workspace ws = TestData.workspace(k, 1, k, n, 8, b.docs);
        mlp.apply(b.a, b.lda, rows, b.slot, b.pos, max, arg, positive, ldm, ws);
        float[] post = new float[rows * ldm];
        new GemmBias(mlp.w).apply(b.a, b.lda, rows, post, ldm, false, ws);
        for (int i = 0; i < rows; i++) mlp.activate(post, i * ldm, n, ws);
        int[] want = new int[b.docs * ldm];
        long any = 0;
        for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) if (post[i * ldm + j] > 0) {
            want[b.slot[i] * ldm + j]++;
            any++;
        }
        for (int d = 0; d < b.docs; d++) for (int j = 0; j < n; j++) assertEquals(want[d * ldm + j], positive[d * ldm + j], "doc " + d + " neuron " + j);
        assertTrue(any > 0 && any < (long) rows * n, "some activations positive, some not: " + any);
    }

    /** The count tests the pre-activation against the least subnormal: exactly where this engine's GELU is > 0. */
    @ParameterizedTest
    @CsvSource({"gelu", "gelu_new"})
    void geluIsPositiveExactlyAboveTheLeastSubnormal(String act) {
        var mlp = new MlpInGeluMax(new Panels(1, 1, (i, j) -> 1f, new float[]{0f}), act);
        float[] xs = {0f, -0f, Float.MIN_VALUE, 2 * Float.MIN_VALUE, 3 * Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
                1e-30f, 1e-7f, 0.5f, 3f, 40f, Float.MAX_VALUE, -1e-30f, -3f, Float.NaN};
        float[] v = new float[64];
        for (int i = 0; i < xs.length; i++) v[i] = xs[i];
        mlp.activate(v, 0, xs.length, TestData.workspace(1, 1, 1, 64, 8, 1));
        for (int i = 0; i < xs.length; i++) assertEquals(xs[i] > Float.MIN_VALUE, v[i] > 0, act + "(" + xs[i] + ") = " + v[i]);
    }
}
