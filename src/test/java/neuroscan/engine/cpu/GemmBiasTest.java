package neuroscan.engine.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.assertClose;
import static neuroscan.engine.cpu.TestData.random;

class GemmBiasTest {

    /**
     * Row counts around the 6-row tile and past the 192-row block, k not a multiple of anything, n
     * around the 64-wide panels.
     */
    @ParameterizedTest
    @CsvSource({"1,1,1,false", "5,7,13,false", "6,64,64,true", "7,33,65,false", "13,19,130,true",
            "25,100,200,false", "48,512,192,true", "200,37,70,true", "401,20,64,false"})
    void matchesAPlainLoop(int rows, int k, int n, boolean accumulate) {
        var r = new SplittableRandom(rows * 31L + k * 7L + n);
        float[] w = random(r, k * n, 1), bias = random(r, n, 1);
        GemmBias gemm = new GemmBias(new Panels(k, n, (i, j) -> w[i * n + j], bias));
        int lda = k + 3, ldo = gemm.w.nPad + 5;
        float[] a = random(r, rows * lda, 1), out = random(r, rows * ldo + 1, 1), before = out.clone();
        gemm.apply(a, lda, rows, out, ldo, accumulate, TestData.workspace(k, 1, k, n, 8, 1));
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias[j] + (accumulate ? before[i * ldo + j] : 0);
                for (int t = 0; t < k; t++) s += (double) a[i * lda + t] * w[t * n + j];
                assertClose(out[i * ldo + j], s, 1e-5, 1e-5, "out[" + i + "][" + j + "]");
            }
            for (int j = ldo - 5; j < ldo; j++) {
                if (out[i * ldo + j] != before[i * ldo + j]) throw new AssertionError("wrote past the panels in row " + i);
            }
        }
    }
}
