package neuroscan.engine.cpu;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.assertClose;
import static neuroscan.engine.cpu.TestData.random;

class CausalAttentionTest {

    /** Several documents in one buffer, at lengths around the 6-query blocks and 64-key panels. */
    @ParameterizedTest
    @CsvSource({"1,5,3", "3,5,3", "2,16,1", "8,64,4", "2,70,10", "1,8,40"})
    void matchesSoftmaxInDouble(int nHeads, int dHead, double qScale) {
        int[] lens = {1, 6, 7, 13, 64, 65, 70};
        int rows = 0;
        for (int l : lens) rows += l;
        int hd = nHeads * dHead, ctx = 70;
        Workspace ws = TestData.workspace(hd, nHeads, dHead, 8, ctx, 1);
        var r = new SplittableRandom(hd * 13L + dHead);
        int ldq = ws.ldq, ldz = ws.ldz;
        // The workspace's own qkv buffer is sized for n_ctx rows; this test packs more rows in its own.
        float[] qkv = random(r, rows * ldq, 1), z = new float[rows * ldz];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < hd; c++) qkv[i * ldq + c] *= (float) qScale;   // large scores: max-subtraction
        }
        var attn = new CausalAttention(nHeads, dHead);
        int s0 = 0;
        for (int len : lens) {
            attn.apply(qkv, ldq, s0, len, z, ldz, ws);
            check(qkv, ldq, s0, len, z, ldz, nHeads, dHead);
            s0 += len;
        }
    }

    private static void check(float[] qkv, int ldq, int s0, int len, float[] z, int ldz, int nHeads, int dh) {
        int hd = nHeads * dh;
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < len; i++) {
                double[] s = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j <= i; j++) {
                    for (int d = 0; d < dh; d++) {
                        s[j] += (double) qkv[(s0 + i) * ldq + h * dh + d] * qkv[(s0 + j) * ldq + hd + h * dh + d];
                    }
                    s[j] /= Math.sqrt(dh);
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j <= i; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int d = 0; d < dh; d++) {
                    double want = 0;
                    for (int j = 0; j <= i; j++) want += s[j] / sum * qkv[(s0 + j) * ldq + 2 * hd + h * dh + d];
                    assertClose(z[(s0 + i) * ldz + h * dh + d], want, 2e-5, 1e-5,
                            "len " + len + " head " + h + " query " + i + " dim " + d);
                }
            }
        }
    }
}
