package neuroscan.engine.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.assertClose;
import static neuroscan.engine.cpu.TestData.random;

class LayerNormTest {
    @ParameterizedTest
    @CsvSource(nullValues = "none", value = {"LN,1", "LN,7", "LN,33", "LN,512", "LNPre,19", "LNPre,512", "none,19"})
    void matchesAPlainLoopInDouble(String norm, int dm) {
        var r = new SplittableRandom(dm);
        int rows = 5, ld = dm + 3;
        boolean affine = "LN".equals(norm);
        float[] w = affine ? random(r, dm, 2) : null, b = affine ? random(r, dm, 1) : null;
        float[] x = random(r, rows * ld, 3), y = new float[rows * ld];
        for (int i = 0; i < dm; i++) x[i] += 100;  // a large mean: the centred two-pass variance must cope
        new LayerNorm(norm, w, b, 1e-5, dm).apply(x, ld, rows, y, ld, new float[VectorMath.VL]);
        for (int i = 0; i < rows; i++) {
            double mean = 0, var = 0;
            for (int d = 0; d < dm; d++) mean += x[i * ld + d];
            mean /= dm;
            for (int d = 0; d < dm; d++) var += (x[i * ld + d] - mean) * (x[i * ld + d] - mean);
            double inv = 1 / Math.sqrt(var / dm + 1e-5);
            for (int d = 0; d < dm; d++) {
                double want = norm == null ? x[i * ld + d] : (x[i * ld + d] - mean) * inv;
                if (affine) want = want * w[d] + b[d];
                assertClose(y[i * ld + d], want, 1e-5, 1e-5, "row " + i + " col " + d);
            }
        }
    }
}
