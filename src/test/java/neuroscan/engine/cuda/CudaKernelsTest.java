package neuroscan.engine.cuda;

import neuroscan.engine.gpu.Calls;
import neuroscan.engine.opencl.Twins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Each kernel of kernels/ on CUDA (PTX from the jar, or NVRTC with NEUROSCAN_CUDA_PTX=nvrtc) against its
 * Java twin in the CPU engine and the scalar loops of {@link Twins}, on the odd sizes of the OpenCL kernel
 * tests (tiles that do not divide, documents straddling blocks). Skips without a CUDA GPU.
 */
class CudaKernelsTest {
    private final Random rnd = new Random(42);

    @Test
    void embedAddsTokenAndPositionRowsPerDocument() {
        Gpu gpu = Gpu.get();
        int vocab = 37, dModel = 45, nCtx = 70;
        int[] offsets = offsets("1 17 52 3");
        int T = offsets[offsets.length - 1];
        int[] tokens = new int[T];
        for (int t = 0; t < T; t++) tokens[t] = rnd.nextInt(vocab);
        float[] W_E = gaussian(vocab * dModel, 1), W_pos = gaussian(nCtx * dModel, 1);
        try (var tok = gpu.ints(tokens); var off = gpu.ints(offsets); var we = gpu.floats(W_E); var wp = gpu.floats(W_pos);
             var x = gpu.filled((long) T * dModel, Float.NaN)) {
            gpu.launch(16, Calls.embed(tok, off, offsets.length - 1, T, dModel, we, wp, x));
            float[] got = gpu.read(x, T * dModel);
            assertArrayEquals(Twins.embed(tokens, offsets, W_E, W_pos, dModel), got);
            assertArrayEquals(neuroscan.engine.cpu.Embed.twin(tokens, offsets, W_E, W_pos, dModel), got, "Embed twin");
        }
    }

    @ParameterizedTest(name = "rows {0}, d_model {1}, affine {2}")
    @CsvSource({"1, 1, true", "13, 45, true", "7, 130, false", "5, 512, true"})
    void layerNormMatchesTwin(int rows, int dModel, boolean affine) {
        Gpu gpu = Gpu.get();
        float[] x = gaussian(rows * dModel, 3);
        for (int i = 0; i < x.length; i++) x[i] += 100;
        float[] w = affine ? gaussian(dModel, 1) : null, b = affine ? gaussian(dModel, 1) : null;
        try (var xb = gpu.floats(x); var wb = affine ? gpu.floats(w) : null; var bb = affine ? gpu.floats(b) : null;
             var y = gpu.filled((long) rows * dModel, Float.NaN)) {
            gpu.launch(16, Calls.layerNorm(xb, wb, bb, y, rows, dModel, 1e-5f));
            float[] got = gpu.read(y, rows * dModel);
            assertClose(Twins.layerNorm(x, w, b, rows, dModel, 1e-5), got, 2e-4, "layer_norm");
            assertClose(neuroscan.engine.cpu.LayerNorm.twin(x, rows, dModel, w, b, 1e-5), got, 2e-4, "LayerNorm twin");
        }
    }

    @ParameterizedTest(name = "M {0}, N {1}, K {2}, act {3}, residual {4}")
    @CsvSource({"1, 1, 1, 0, false", "67, 45, 83, 0, false", "130, 129, 17, 1, false", "64, 64, 16, 2, false",
            "70, 96, 48, 0, true", "1000, 2048, 512, 1, false"})
    void gemmBiasMatchesTwin(int M, int N, int K, int act, boolean residual) {
        Gpu gpu = Gpu.get();
        float[] A = gaussian(M * K, 1), B = gaussian(K * N, 1), bias = gaussian(N, 1);
        float[] R = residual ? gaussian(M * N, 1) : null;
        try (var a = gpu.floats(A); var b = gpu.floats(B); var bi = gpu.floats(bias);
             var c = residual ? gpu.floats(R) : gpu.filled((long) M * N, Float.NaN)) {
            gpu.launch(16, Calls.gemmBias(a, b, bi, residual ? c : null, c, M, N, K, act));
            float[] got = gpu.read(c, M * N);
            assertClose(Twins.gemmBias(A, B, bias, R, M, N, K, act), got, 1e-4 * Math.sqrt(K), "gemm_bias");
            if (act == Calls.ACT_NONE) {
                assertClose(neuroscan.engine.cpu.GemmBias.twin(A, M, K, B, N, bias, R), got, 1e-4 * Math.sqrt(K), "GemmBias twin");
            }
        }
    }

    @ParameterizedTest(name = "heads {0}, d_head {1}, docs {2}")
    @CsvSource({"3, 16, '1 31 32 33 70 5'", "2, 8, '100'", "8, 64, '40 1 1 25 1024'"})
    void causalAttentionMatchesTwin(int nHeads, int dHead, String lengths) {
        Gpu gpu = Gpu.get();
        int[] offsets = offsets(lengths);
        int T = offsets[offsets.length - 1], hd = nHeads * dHead;
        float[] qkv = gaussian(T * 3 * hd, 1.5);
        try (var q = gpu.floats(qkv); var off = gpu.ints(offsets); var z = gpu.filled((long) T * hd, Float.NaN)) {
            gpu.launch(dHead, Calls.causalAttention(q, off, offsets.length - 1, T, nHeads, z));
            float[] got = gpu.read(z, T * hd);
            assertClose(Twins.causalAttention(qkv, offsets, nHeads, dHead), got, 2e-5, "causal_attention");
            assertClose(neuroscan.engine.cpu.CausalAttention.twin(qkv, offsets, nHeads, dHead), got, 2e-5, "CausalAttention twin");
        }
    }

    @ParameterizedTest(name = "N {0}, K {1}, act {2}, docs {3}")
    @CsvSource({"130, 45, 1, '1 63 64 65 150 7'", "64, 16, 2, '64'", "2048, 512, 1, '1024 3 500'"})
    void mlpInGeluMaxMatchesTwin(int N, int K, int act, String lengths) {
        Gpu gpu = Gpu.get();
        int[] offsets = offsets(lengths);
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        float[] A = gaussian(T * K, 1), W = gaussian(K * N, 1), b = gaussian(N, 1);
        float[] max = new float[nDocs * N];
        int[] arg = new int[nDocs * N];
        Twins.mlpInGeluMax(A, W, b, offsets, N, K, act, max, arg);
        float[] post = Twins.gemmBias(A, W, b, null, T, N, K, act);
        try (var ab = gpu.floats(A); var wb = gpu.floats(W); var bb = gpu.floats(b); var off = gpu.ints(offsets);
             var mb = gpu.filled((long) nDocs * N, Float.NaN); var gb = gpu.filledInts((long) nDocs * N, -7)) {
            gpu.launch(16, Calls.mlpInGeluMax(ab, wb, bb, off, nDocs, N, K, act, mb, gb));
            float[] gotMax = gpu.read(mb, nDocs * N);
            int[] gotArg = gpu.readInts(gb, nDocs * N);
            assertClose(max, gotMax, 1e-4, "mlp_in_gelu_max max");
            String fn = act == Calls.ACT_GELU_NEW ? "gelu_new" : "gelu";
            var cpu = neuroscan.engine.cpu.MlpInGeluMax.twin(A, K, W, N, b, offsets, fn);
            assertClose(cpu.max(), gotMax, 1e-4, "MlpInGeluMax twin max");
            for (int d = 0; d < nDocs; d++)
                for (int n = 0; n < N; n++) {
                    int i = d * N + n;
                    if (gotArg[i] == arg[i]) continue;
                    float atGot = post[(offsets[d] + gotArg[i]) * N + n], atWant = post[(offsets[d] + arg[i]) * N + n];
                    if (Math.abs(atGot - atWant) > 1e-5) fail("doc " + d + " neuron " + n + ": argmax " + gotArg[i] + ", expected " + arg[i]);
                }
        }
    }

    @Test
    void topkMergeKeepsTheBestKAcrossBatchesWithTiesToTheLowerDocument() {
        Gpu gpu = Gpu.get();
        int dMlp = 70, k = 5;
        List<List<Twins.Entry>> offered = new ArrayList<>();
        for (int n = 0; n < dMlp; n++) offered.add(new ArrayList<>());
        var twin = new neuroscan.store.TopK(k, dMlp);
        try (var topMax = gpu.filled((long) k * dMlp, Float.NEGATIVE_INFINITY); var topDoc = gpu.filledInts((long) k * dMlp, -1);
             var topPos = gpu.filledInts((long) k * dMlp, -1)) {
            int first = 0;
            for (int nDocs : new int[]{3, 4, 8, 1}) {
                float[] max = new float[nDocs * dMlp];
                int[] arg = new int[nDocs * dMlp];
                for (int d = 0; d < nDocs; d++)
                    for (int n = 0; n < dMlp; n++) {
                        max[d * dMlp + n] = rnd.nextInt(6) * 0.5f - 1;
                        arg[d * dMlp + n] = rnd.nextInt(10) == 0 ? -1 : rnd.nextInt(1000);
                        if (arg[d * dMlp + n] >= 0) offered.get(n).add(new Twins.Entry(max[d * dMlp + n], first + d, arg[d * dMlp + n]));
                    }
                float[] twinMax = max.clone();
                for (int i = 0; i < twinMax.length; i++) if (arg[i] < 0) twinMax[i] = Float.NaN;
                int[] ids = new int[nDocs];
                for (int d = 0; d < nDocs; d++) ids[d] = first + d;
                twin.merge(nDocs, ids, twinMax, arg);
                try (var mb = gpu.floats(max); var ab = gpu.ints(arg)) {
                    gpu.launch(16, Calls.topkMerge(mb, ab, nDocs, first, dMlp, k, topMax, topDoc, topPos));
                }
                first += nDocs;
            }
            float[] eMax = new float[k * dMlp];
            int[] eDoc = new int[k * dMlp], ePos = new int[k * dMlp];
            Twins.topK(offered, k, eMax, eDoc, ePos);
            float[] gotMax = gpu.read(topMax, k * dMlp);
            int[] gotDoc = gpu.readInts(topDoc, k * dMlp), gotPos = gpu.readInts(topPos, k * dMlp);
            assertArrayEquals(eMax, gotMax);
            assertArrayEquals(eDoc, gotDoc);
            assertArrayEquals(ePos, gotPos);
            for (int r = 0; r < k; r++)
                for (int n = 0; n < dMlp; n++) {
                    assertEquals(twin.max(r, n), gotMax[r * dMlp + n], "TopK twin max");
                    assertEquals(twin.doc(r, n), gotDoc[r * dMlp + n], "TopK twin doc");
                }
        }
    }

    static int[] offsets(String lengths) {
        int[] len = Arrays.stream(lengths.split(" ")).mapToInt(Integer::parseInt).toArray();
        int[] off = new int[len.length + 1];
        for (int i = 0; i < len.length; i++) off[i + 1] = off[i] + len[i];
        return off;
    }

    private float[] gaussian(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])))) {
                fail(what + ": element " + i + ": expected " + want[i] + ", got " + got[i]);
            }
        }
    }
}
