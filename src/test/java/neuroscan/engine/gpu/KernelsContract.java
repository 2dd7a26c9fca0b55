package neuroscan.engine.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each kernel of kernels/ against two references on random inputs: the CPU engine's op of the same name
 * (its Java twin, e.g. {@link neuroscan.engine.cpu.KernelTwins#gemmBias}, the code {@code CpuEngine} runs) and
 * the independent scalar loops in double of {@link Twins}; with sizes that do not divide the tiles (GEMM
 * 64 x 64 x 16, attention blocks of 32, LayerNorm work-groups of 64) and documents that straddle tile and
 * block boundaries. One set of tests, run on each runtime by a subclass: OpenCL's {@code KernelsTest}
 * (PoCL in CI) and CUDA's {@code CudaKernelsTest}.
 */
public abstract class KernelsContract {
    /** The runtime under test; skips the test (an assumption) where it is missing. */
    protected abstract KernelDevice device();

    private final Random rnd = new Random(42);

    @Test
    void embedAddsTokenAndPositionRowsPerDocument() {
        KernelDevice dev = device();
        int vocab = 37, dModel = 45, nCtx = 70;
        int[] offsets = offsets(1, 17, 70, 3);
        int T = offsets[offsets.length - 1];
        int[] tokens = new int[T];
        for (int t = 0; t < T; t++) tokens[t] = rnd.nextInt(vocab);
        float[] W_E = gaussian(vocab * dModel, 1), W_pos = gaussian(nCtx * dModel, 1);
        try (var tok = dev.ints(tokens); var off = dev.ints(offsets); var we = dev.floats(W_E);
             var wp = dev.floats(W_pos); var x = dev.filled((long) T * dModel, Float.NaN)) {
            dev.launch(16, Calls.embed(tok, off, offsets.length - 1, T, dModel, we, wp, x));
            // one float addition either way: bit-identical
            float[] got = dev.read(x, T * dModel);
            assertArrayEquals(Twins.embed(tokens, offsets, W_E, W_pos, dModel), got);
            assertArrayEquals(neuroscan.engine.cpu.KernelTwins.embed(tokens, offsets, W_E, W_pos, dModel), got, "Embed twin");
        }
    }

    @ParameterizedTest(name = "rows {0}, d_model {1}, affine {2}")
    @CsvSource({"1, 1, true", "13, 45, true", "7, 130, false", "5, 512, true"})
    void layerNormMatchesTwin(int rows, int dModel, boolean affine) {
        KernelDevice dev = device();
        float[] x = gaussian(rows * dModel, 3);
        for (int i = 0; i < x.length; i++) x[i] += 100;   // a large mean: the two-pass variance must cope
        float[] w = affine ? gaussian(dModel, 1) : null, b = affine ? gaussian(dModel, 1) : null;
        try (var xb = dev.floats(x); var wb = affine ? dev.floats(w) : null; var bb = affine ? dev.floats(b) : null;
             var y = dev.filled((long) rows * dModel, Float.NaN)) {
            dev.launch(16, Calls.layerNorm(xb, wb, bb, y, rows, dModel, 1e-5f));
            float[] got = dev.read(y, rows * dModel);
            assertClose(Twins.layerNorm(x, w, b, rows, dModel, 1e-5), got, 2e-4, "layer_norm");
            assertClose(neuroscan.engine.cpu.KernelTwins.layerNorm(x, rows, dModel, w, b, 1e-5), got, 2e-4, "LayerNorm twin");
        }
    }

    @ParameterizedTest(name = "M {0}, N {1}, K {2}, act {3}, residual {4}")
    @CsvSource({"1, 1, 1, 0, false", "67, 45, 83, 0, false", "130, 129, 17, 1, false", "64, 64, 16, 2, false",
            "70, 96, 48, 0, true", "3, 200, 5, 1, true"})
    void gemmBiasMatchesTwin(int M, int N, int K, int act, boolean residual) {
        KernelDevice dev = device();
        float[] A = gaussian(M * K, 1), B = gaussian(K * N, 1), bias = gaussian(N, 1);
        float[] R = residual ? gaussian(M * N, 1) : null;
        float[] expected = Twins.gemmBias(A, B, bias, R, M, N, K, act);
        try (var a = dev.floats(A); var b = dev.floats(B); var bi = dev.floats(bias);
             var c = residual ? dev.floats(R) : dev.filled((long) M * N, Float.NaN)) {
            dev.launch(16, Calls.gemmBias(a, b, bi, residual ? c : null, c, M, N, K, act));   // residual: in place
            float[] got = dev.read(c, M * N);
            double tol = 1e-5 * Math.sqrt(K) * 10;
            assertClose(expected, got, tol, "gemm_bias");
            assertClose(cpuGemmBias(A, B, bias, R, M, N, K, act), got, tol, "GemmBias twin");
        }
    }

    @ParameterizedTest(name = "heads {0}, d_head {1}, docs {2}")
    @CsvSource({"3, 16, '1 31 32 33 70 5'", "2, 8, '100'", "1, 64, '40 1 1 25'"})
    void causalAttentionMatchesTwin(int nHeads, int dHead, String lengths) {
        KernelDevice dev = device();
        int[] offsets = offsets(lengths.split(" "));
        int T = offsets[offsets.length - 1], hd = nHeads * dHead;
        float[] qkv = gaussian(T * 3 * hd, 1.5);   // peaked enough that a wrong mask or max shows
        try (var q = dev.floats(qkv); var off = dev.ints(offsets); var z = dev.filled((long) T * hd, Float.NaN)) {
            dev.launch(dHead, Calls.causalAttention(q, off, offsets.length - 1, T, nHeads, z));
            float[] got = dev.read(z, T * hd);
            assertClose(Twins.causalAttention(qkv, offsets, nHeads, dHead), got, 2e-5, "causal_attention");
            assertClose(neuroscan.engine.cpu.KernelTwins.causalAttention(qkv, offsets, nHeads, dHead), got, 2e-5, "CausalAttention twin");
        }
    }

    @ParameterizedTest(name = "N {0}, K {1}, act {2}, docs {3}")
    @CsvSource({"130, 45, 1, '1 63 64 65 150 7'", "64, 16, 2, '64'", "5, 3, 1, '2 1 129'"})
    void mlpInGeluMaxMatchesTwin(int N, int K, int act, String lengths) {
        KernelDevice dev = device();
        int[] offsets = offsets(lengths.split(" "));
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        float[] A = gaussian(T * K, 1), W = gaussian(K * N, 1), b = gaussian(N, 1);
        float[] max = new float[nDocs * N];
        int[] arg = new int[nDocs * N];
        Twins.mlpInGeluMax(A, W, b, offsets, N, K, act, max, arg);
        float[] post = Twins.gemmBias(A, W, b, null, T, N, K, act);
        Result r = runMlpMax(dev, A, W, b, offsets, N, K, act);
        assertClose(max, r.max, 1e-4, "mlp_in_gelu_max max");
        assertArgmaxNearTie(arg, post, offsets, N, r.arg, "scalar twin");
        // the CPU op: its own activations (the unfused path it is bitwise equal to) judge near-ties
        var cpu = neuroscan.engine.cpu.KernelTwins.mlpInGeluMax(A, K, W, N, b, offsets, actFn(act));
        float[] cpuPost = neuroscan.engine.cpu.KernelTwins.mlpPost(A, T, K, W, N, b, actFn(act));
        assertClose(cpu.max(), r.max, 1e-4, "MlpInGeluMax twin max");
        assertArgmaxNearTie(cpu.argmax(), cpuPost, offsets, N, r.arg, "MlpInGeluMax twin");
        assertPositivesNearZero(post, offsets, N, r.positive, "scalar twin");
        assertPositivesNearZero(cpuPost, offsets, N, r.positive, "MlpInGeluMax twin");
        assertPositivesNearZero(cpuPost, offsets, N, cpu.positive(), "MlpInGeluMax twin's own count");
    }

    /**
     * Each (document, neuron) count of activations > 0 lies between the reference's count of those > 1e-5
     * and of those > -1e-5: only activations that rounding can move across 0 may be counted either way.
     */
    private static void assertPositivesNearZero(float[] post, int[] offsets, int N, int[] got, String what) {
        long total = 0;
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int n = 0; n < N; n++) {
                int lo = 0, hi = 0;
                for (int t = offsets[d]; t < offsets[d + 1]; t++) {
                    if (post[t * N + n] > 1e-5f) lo++;
                    if (post[t * N + n] > -1e-5f) hi++;
                }
                int c = got[d * N + n];
                total += c;
                if (c < lo || c > hi) fail(what + ": doc " + d + " neuron " + n + ": " + c + " positive, expected " + lo + ".." + hi);
            }
        assertTrue(total > 0, what + ": some activation is positive");
    }

    /**
     * The kernel's argmax equals the expected one, or both positions' activations (as the reference
     * computes them) are within 1e-5: a near-tie, where rounding may pick either.
     */
    private static void assertArgmaxNearTie(int[] expected, float[] post, int[] offsets, int N, int[] got, String what) {
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int n = 0; n < N; n++) {
                int i = d * N + n;
                if (got[i] == expected[i]) continue;
                float atGot = post[(offsets[d] + got[i]) * N + n], atExpected = post[(offsets[d] + expected[i]) * N + n];
                if (Math.abs(atGot - atExpected) > 1e-5) {
                    fail(what + ": doc " + d + " neuron " + n + ": argmax " + got[i] + " (" + atGot + "), expected "
                            + expected[i] + " (" + atExpected + ")");
                }
            }
    }

    /** The CPU engine's gemm: KernelTwins.gemmBias without activation, KernelTwins.mlpPost (+ R) with one. */
    private static float[] cpuGemmBias(float[] A, float[] B, float[] bias, float[] R, int M, int N, int K, int act) {
        if (act == Calls.ACT_NONE) return neuroscan.engine.cpu.KernelTwins.gemmBias(A, M, K, B, N, bias, R);
        float[] c = neuroscan.engine.cpu.KernelTwins.mlpPost(A, M, K, B, N, bias, actFn(act));
        if (R != null) for (int i = 0; i < c.length; i++) c[i] += R[i];
        return c;
    }

    private static String actFn(int act) {
        return act == Calls.ACT_GELU_NEW ? "gelu_new" : "gelu";
    }

    @Test
    void mlpInGeluMaxReportsANanActivationAsANanMaxAtItsFirstPosition() {
        KernelDevice dev = device();
        int N = 70, K = 20;
        int[] offsets = {0, 150, 280};
        float[] A = gaussian(280 * K, 1), W = gaussian(K * N, 1), b = gaussian(N, 0.3);
        A[37 * K + 2] = Float.NaN;    // doc 0, position 37: every neuron NaN there (and at no other position)
        A[90 * K + 5] = Float.NaN;    // doc 0, position 90: a later NaN does not move the position
        b[3] = Float.NaN;             // neuron 3: NaN everywhere
        Result r = runMlpMax(dev, A, W, b, offsets, N, K, Calls.ACT_GELU);
        var cpu = neuroscan.engine.cpu.KernelTwins.mlpInGeluMax(A, K, W, N, b, offsets, "gelu");
        for (int n = 0; n < N; n++) {
            assertTrue(Float.isNaN(r.max[n]), "doc 0 neuron " + n);
            assertEquals(n == 3 ? 0 : 37, r.arg[n], "doc 0 neuron " + n);
            assertTrue(Float.isNaN(cpu.max()[n]), "MlpInGeluMax twin, doc 0 neuron " + n);
            assertEquals(n == 3 ? 0 : 37, cpu.argmax()[n], "MlpInGeluMax twin, doc 0 neuron " + n);
            assertEquals(n == 3, Float.isNaN(r.max[N + n]), "doc 1 neuron " + n);
            assertEquals(n == 3, Float.isNaN(cpu.max()[N + n]), "MlpInGeluMax twin, doc 1 neuron " + n);
            if (n == 3) assertEquals(0, r.arg[N + n]);
            else {
                assertEquals(cpu.max()[N + n], r.max[N + n], 1e-4f, "doc 1 neuron " + n);
                assertTrue(r.arg[N + n] >= 0, "doc 1 neuron " + n);
            }
        }
    }

    @Test
    void mlpInGeluMaxBreaksExactTiesTowardTheFirstPosition() {
        KernelDevice dev = device();
        int N = 70, K = 20;
        // doc 0: 150 copies of one row (every position ties); doc 1: row r at positions 5, 40 and 100 of 130
        int[] offsets = {0, 150, 280};
        float[] row = gaussian(K, 1);
        float[] A = new float[280 * K];
        for (int t = 0; t < 280; t++) {
            boolean copy = t < 150 || t == 155 || t == 190 || t == 250;
            float[] src = copy ? row : gaussian(K, 0.01);   // tiny rows stay below the copies for positive neurons
            System.arraycopy(src, 0, A, t * K, K);
        }
        float[] W = gaussian(K * N, 1), b = new float[N];
        java.util.Arrays.fill(b, 0.5f);
        Result r = runMlpMax(dev, A, W, b, offsets, N, K, Calls.ACT_GELU);
        float[] post = Twins.gemmBias(A, W, b, null, 280, N, K, Calls.ACT_GELU);
        var cpu = neuroscan.engine.cpu.KernelTwins.mlpInGeluMax(A, K, W, N, b, offsets, "gelu");
        int checked = 0;
        for (int n = 0; n < N; n++) {
            assertEquals(0, r.arg[n], "doc 0 neuron " + n);
            assertEquals(0, cpu.argmax()[n], "MlpInGeluMax twin, doc 0 neuron " + n);
            float copyValue = post[155 * N + n];
            boolean copiesWin = true;
            for (int t = 150; t < 280; t++) if (post[t * N + n] > copyValue + 1e-3f) copiesWin = false;
            if (copiesWin) {
                assertEquals(5, r.arg[N + n], "doc 1 neuron " + n);
                assertEquals(5, cpu.argmax()[N + n], "MlpInGeluMax twin, doc 1 neuron " + n);
                checked++;
            }
        }
        if (checked < 10) fail("too few neurons where the copied row wins: " + checked);
    }

    @Test
    void topkMergeKeepsTheBestKAcrossBatchesWithTiesToTheLowerDocumentAndCountsNaN() {
        KernelDevice dev = device();
        int dMlp = 70, k = 5;
        int[] batchSizes = {3, 4, 8, 1};
        List<List<Twins.Entry>> offered = new ArrayList<>();
        for (int n = 0; n < dMlp; n++) offered.add(new ArrayList<>());
        int[] nanExpected = new int[dMlp];
        int noPositions = 0;
        try (var topMax = dev.filled((long) k * dMlp, Float.NEGATIVE_INFINITY); var topDoc = dev.filledInts((long) k * dMlp, -1);
             var topPos = dev.filledInts((long) k * dMlp, -1); var nan = dev.filledInts(dMlp, 0)) {
            int first = 0;
            var twin = new neuroscan.store.TopK(k, dMlp);
            for (int nDocs : batchSizes) {
                float[] max = new float[nDocs * dMlp];
                int[] arg = new int[nDocs * dMlp];
                // the batch's rows in a scrambled order of document ids, as the scanner sorts a window by length
                int[] ids = new int[nDocs];
                for (int d = 0; d < nDocs; d++) ids[d] = first + (d * 5 + 3) % nDocs;
                for (int d = 0; d < nDocs; d++)
                    for (int n = 0; n < dMlp; n++) {
                        int i = d * dMlp + n;
                        // few distinct values, so ties across documents and batches are common
                        max[i] = rnd.nextInt(15) == 0 ? Float.NaN : rnd.nextInt(6) * 0.5f - 1;
                        arg[i] = rnd.nextInt(10) == 0 ? -1 : rnd.nextInt(1000);   // -1: no positions
                        if (arg[i] >= 0 && Float.isNaN(max[i])) nanExpected[n]++;
                        if (arg[i] >= 0 && !Float.isNaN(max[i])) offered.get(n).add(new Twins.Entry(max[i], ids[d], arg[i]));
                    }
                // the Java twin, store.TopK.merge: a document without positions offers NaN, which never enters
                float[] twinMax = max.clone();
                for (int i = 0; i < twinMax.length; i++) {
                    if (arg[i] < 0) {
                        twinMax[i] = Float.NaN;
                        noPositions++;
                    }
                }
                twin.merge(nDocs, ids, twinMax, arg);
                try (var mb = dev.floats(max); var ab = dev.ints(arg); var ib = dev.ints(ids)) {
                    dev.launch(16, Calls.topkMerge(mb, ab, ib, nDocs, dMlp, k, topMax, topDoc, topPos, nan));
                }
                first += nDocs;
            }
            float[] eMax = new float[k * dMlp];
            int[] eDoc = new int[k * dMlp], ePos = new int[k * dMlp];
            Twins.topK(offered, k, eMax, eDoc, ePos);
            float[] gotMax = dev.read(topMax, k * dMlp);
            int[] gotDoc = dev.readInts(topDoc, k * dMlp), gotPos = dev.readInts(topPos, k * dMlp);
            assertArrayEquals(eMax, gotMax);
            assertArrayEquals(eDoc, gotDoc);
            assertArrayEquals(ePos, gotPos);
            for (int r = 0; r < k; r++)
                for (int n = 0; n < dMlp; n++) {
                    assertEquals(twin.max(r, n), gotMax[r * dMlp + n], "TopK twin max, rank " + r + " neuron " + n);
                    assertEquals(twin.doc(r, n), gotDoc[r * dMlp + n], "TopK twin doc, rank " + r + " neuron " + n);
                    assertEquals(twin.pos(r, n), gotPos[r * dMlp + n], "TopK twin pos, rank " + r + " neuron " + n);
                }
            int[] gotNan = dev.readInts(nan, dMlp);
            assertArrayEquals(nanExpected, gotNan, "NaN maxima counted per neuron");
            // the twin counts its NaN stand-ins for documents without positions too; the kernel skips those uncounted
            assertEquals(twin.nanSkipped(), java.util.Arrays.stream(gotNan).sum() + noPositions, "TopK twin's NaN count");
        }
    }

    @Test
    void topkMergeLeavesEmptySlotsWhenThereAreFewerThanKDocuments() {
        KernelDevice dev = device();
        int dMlp = 3, k = 4;
        float[] max = {1, 2, 3, 1, 5, 0};
        int[] arg = {7, 8, 9, 4, 5, 6};
        try (var topMax = dev.filled((long) k * dMlp, Float.NEGATIVE_INFINITY); var topDoc = dev.filledInts((long) k * dMlp, -1);
             var topPos = dev.filledInts((long) k * dMlp, -1); var mb = dev.floats(max); var ab = dev.ints(arg);
             var ib = dev.ints(new int[]{10, 11}); var nan = dev.filledInts(dMlp, 0)) {
            dev.launch(16, Calls.topkMerge(mb, ab, ib, 2, dMlp, k, topMax, topDoc, topPos, nan));
            float ninf = Float.NEGATIVE_INFINITY;
            assertArrayEquals(new float[]{1, 5, 3, 1, 2, 0, ninf, ninf, ninf, ninf, ninf, ninf}, dev.read(topMax, 12));
            assertArrayEquals(new int[]{10, 11, 10, 11, 10, 11, -1, -1, -1, -1, -1, -1}, dev.readInts(topDoc, 12));
            assertArrayEquals(new int[]{7, 5, 9, 4, 8, 6, -1, -1, -1, -1, -1, -1}, dev.readInts(topPos, 12));
            assertArrayEquals(new int[]{0, 0, 0}, dev.readInts(nan, 3));
        }
    }

    @Test
    void statsMergeMatchesNeuronStatsAndBruteForceAcrossBatches() {
        KernelDevice dev = device();
        int N = 70, m = neuroscan.store.NeuronStats.SAMPLES, bins = neuroscan.store.NeuronStats.BINS;
        float[] edges = neuroscan.store.NeuronStats.EDGES;
        int[] batchSizes = {3, 9, 1, 12, 7};
        int samples = bins * m * N, lo0 = neuroscan.kernels.StatsMerge.STATS_LO_LIMIT - 40;
        var twin = new neuroscan.store.NeuronStats(N, m);
        List<List<int[]>> offered = new ArrayList<>();   // per (bin, neuron): {doc, pos, float bits of max}
        for (int i = 0; i < bins * N; i++) offered.add(new ArrayList<>());
        long[] positive = new long[N];
        long[] hist = new long[bins * N];
        int[] salt = new int[N];
        for (int n = 0; n < N; n++) salt[n] = neuroscan.store.NeuronStats.salt(n);
        int[] lo = new int[N];
        java.util.Arrays.fill(lo, lo0);   // near the carry, so posHi must count
        try (var sb = dev.ints(salt); var eb = dev.floats(edges); var pl = dev.ints(lo); var ph = dev.filledInts(N, 0);
             var hb = dev.filledInts((long) bins * N, 0); var sk = dev.filledInts(samples, 0); var sd = dev.filledInts(samples, -1);
             var sm = dev.filled(samples, Float.NEGATIVE_INFINITY); var sp = dev.filledInts(samples, -1)) {
            int first = 100;
            for (int nDocs : batchSizes) {
                float[] max = new float[nDocs * N];
                int[] arg = new int[nDocs * N], pos = new int[nDocs * N], ids = new int[nDocs], keys = new int[nDocs];
                for (int d = 0; d < nDocs; d++) {
                    ids[d] = first + (d * 5 + 3) % nDocs;   // scrambled, as a window sorted by length
                    keys[d] = neuroscan.store.NeuronStats.docKey(ids[d]);
                }
                for (int d = 0; d < nDocs; d++)
                    for (int n = 0; n < N; n++) {
                        int i = d * N + n;
                        int kind = rnd.nextInt(20);
                        max[i] = kind == 0 ? Float.NaN : kind == 1 ? edges[rnd.nextInt(edges.length)]   // exactly on an edge
                                : kind == 2 ? -rnd.nextFloat() * 0.17f : kind == 3 ? 150f : (float) Math.exp(rnd.nextGaussian() * 2 - 1);
                        arg[i] = rnd.nextInt(12) == 0 ? -1 : rnd.nextInt(1000);
                        pos[i] = rnd.nextInt(1025);
                        if (arg[i] < 0) continue;
                        positive[n] += pos[i];
                        if (Float.isNaN(max[i])) continue;
                        int b = 0;
                        for (float e : edges) if (e < max[i]) b++;   // numpy digitize(right=True)
                        hist[b * N + n]++;
                        offered.get(b * N + n).add(new int[]{ids[d], arg[i], Float.floatToRawIntBits(max[i])});
                    }
                twin.add(nDocs, ids, max, arg, pos, 0);
                try (var mb = dev.floats(max); var ab = dev.ints(arg); var pb = dev.ints(pos); var ib = dev.ints(ids); var kb = dev.ints(keys)) {
                    dev.launch(16, Calls.statsMerge(mb, ab, pb, ib, kb, sb, nDocs, N, eb, edges.length, m, pl, ph, hb, sk, sd, sm, sp));
                }
                first += nDocs;
            }
            int[] gotLo = dev.readInts(pl, N), gotHi = dev.readInts(ph, N), gotHist = dev.readInts(hb, bins * N);
            int[] gotDoc = dev.readInts(sd, samples), gotPos = dev.readInts(sp, samples), gotKey = dev.readInts(sk, samples);
            float[] gotMax = dev.read(sm, samples);
            int carried = 0;
            for (int n = 0; n < N; n++) {
                long got = gotLo[n] + (long) gotHi[n] * neuroscan.kernels.StatsMerge.STATS_LO_LIMIT - lo0;
                assertEquals(positive[n], got, "positives of neuron " + n);
                assertEquals(positive[n], twin.positive(n), "NeuronStats positives of neuron " + n);
                assertTrue(gotLo[n] >= 0 && gotLo[n] < neuroscan.kernels.StatsMerge.STATS_LO_LIMIT, "lo stays below the limit");
                carried += gotHi[n];
                long[] th = twin.histogram(n);
                for (int b = 0; b < bins; b++) {
                    assertEquals(hist[b * N + n], gotHist[b * N + n], "bin " + b + " of neuron " + n);
                    assertEquals(hist[b * N + n], th[b], "NeuronStats bin " + b + " of neuron " + n);
                    // brute force: every document offered to the bin, by (key, doc), the first m
                    final int nn = n;
                    List<int[]> all = new ArrayList<>(offered.get(b * N + n));
                    all.sort(java.util.Comparator.comparingInt((int[] e) -> neuroscan.store.NeuronStats.key(e[0], nn)).thenComparingInt(e -> e[0]));
                    var ts = twin.samples(b, n);
                    assertEquals(Math.min(m, all.size()), ts.size(), "NeuronStats samples of bin " + b + " neuron " + n);
                    for (int s = 0; s < m; s++) {
                        int i = (b * m + s) * N + n;
                        int[] e = s < all.size() ? all.get(s) : new int[]{-1, -1, Float.floatToRawIntBits(Float.NEGATIVE_INFINITY)};
                        String at = "sample " + s + " of bin " + b + " neuron " + n;
                        assertEquals(e[0], gotDoc[i], at + " doc");
                        assertEquals(e[1], gotPos[i], at + " pos");
                        assertEquals(Float.intBitsToFloat(e[2]), gotMax[i], at + " max");
                        if (e[0] >= 0) {
                            assertEquals(neuroscan.store.NeuronStats.key(e[0], n), gotKey[i], at + " key");
                            assertEquals(new neuroscan.store.NeuronStats.Sample(e[0], Float.intBitsToFloat(e[2]), e[1]), ts.get(s), "NeuronStats " + at);
                        }
                    }
                }
            }
            assertTrue(carried > 0, "some neuron's count carried into posHi");
        }
    }

    /**
     * The screen (issue 14) against mlp_in_gelu_max on the same device: a pair the screen skips has an
     * FP32 max strictly below the store's k-th value (and was not needed: -inf / -1 for the merge), every
     * other pair gets mlp_in_gelu_max's max bits and first position from the recompute, and the counts
     * add up. The store's k-th entries are set from the FP32 maxima themselves: exact ties, a hair above
     * and below, far above, and empty slots. On CUDA sm_80+ this is the tensor cores' own rounding.
     */
    @ParameterizedTest(name = "N {0}, K {1}, act {2}, docs {3}")
    @CsvSource({"130, 45, 1, '1 63 64 65 150 7'", "64, 512, 2, '64 3'", "200, 96, 1, '0 20 1 40'"})
    void screenSkipsOnlyPairsBelowTheKthValueAndRecomputesTheRestExactly(int N, int K, int act, String lengths) {
        KernelDevice dev = device();
        int[] offsets = offsets(lengths.split(" "));
        int nDocs = offsets.length - 1, T = offsets[nDocs], k = 3;
        float[] A = gaussian(T * K, 1), W = gaussian(K * N, 1 / Math.sqrt(K)), b = gaussian(N, 0.5);
        Result fp32 = runMlpMax(dev, A, W, b, offsets, N, K, act);
        float[] topMax = new float[k * N];
        int[] topDoc = new int[k * N];
        java.util.Arrays.fill(topMax, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(topDoc, -1);
        for (int n = 0; n < N; n++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int d = 0; d < nDocs; d++) if (fp32.arg[d * N + n] >= 0) m = Math.max(m, fp32.max[d * N + n]);
            if (n % 5 == 4 || m == Float.NEGATIVE_INFINITY) continue;   // not full: everything is a candidate
            float kth = switch (n % 5) {
                case 0 -> m;                          // the best document ties the k-th value
                case 1 -> Math.nextDown(m);           // a hair below the best
                case 2 -> Math.nextUp(m);             // a hair above: nothing can enter, yet all are within the bound
                default -> m + 10;                    // far above: everything skips
            };
            topMax[(k - 1) * N + n] = kth;
            topDoc[(k - 1) * N + n] = 5;
        }
        float[] cand;
        float relErr = Screening.relErr(K);
        try (var a = dev.floats(A); var w = dev.floats(W); var bb = dev.floats(b); var off = dev.ints(offsets);
             var rowN = dev.filled(T == 0 ? 1 : T, Float.NaN); var colN = dev.filled(N, Float.NaN);
             var tm = dev.floats(topMax); var td = dev.ints(topDoc);
             var mx = dev.filled((long) nDocs * N, Float.NaN); var ag = dev.filledInts((long) nDocs * N, -7);
             var cd = dev.filledInts((long) nDocs * N, -7); var cc = dev.filledInts(nDocs, 0)) {
            if (T > 0) dev.launch(16, Calls.normBound(a, T, K, K, 1, rowN));
            dev.launch(16, Calls.normBound(w, N, K, 1, N, colN));
            dev.launch(16, Calls.mlpScreen(a, w, bb, off, rowN, colN, tm, td, nDocs, N, K, k, act, relErr, mx, ag, cd));
            dev.launch(16, Calls.mlpRecompute(a, w, bb, off, cd, nDocs, N, K, act, mx, ag, cc));
            float[] max = dev.read(mx, nDocs * N);
            int[] arg = dev.readInts(ag, nDocs * N), flags = dev.readInts(cd, nDocs * N), counts = dev.readInts(cc, nDocs);
            int skipped = 0;
            for (int d = 0; d < nDocs; d++) {
                int c = 0;
                for (int n = 0; n < N; n++) {
                    int i = d * N + n, slot = (k - 1) * N + n;
                    assertTrue(flags[i] == 0 || flags[i] == 1, "flag " + flags[i]);
                    if (flags[i] == 1) {
                        c++;
                        assertEquals(Float.floatToRawIntBits(fp32.max[i]), Float.floatToRawIntBits(max[i]), "recomputed max, doc " + d + " neuron " + n);
                        assertEquals(fp32.arg[i], arg[i], "recomputed position, doc " + d + " neuron " + n);
                    } else {
                        skipped++;
                        assertTrue(topDoc[slot] >= 0 && (fp32.arg[i] < 0 || fp32.max[i] < topMax[slot]),
                                "doc " + d + " neuron " + n + " skipped, yet its max " + fp32.max[i] + " reaches the k-th " + topMax[slot]);
                        assertEquals(Float.NEGATIVE_INFINITY, max[i]);
                        assertEquals(-1, arg[i]);
                    }
                }
                assertEquals(c, counts[d], "candidates of doc " + d);
            }
            assertTrue(skipped > 0, "the far-above neurons must be skipped");
        }
    }

    // ---------------------------------------------------------------- helpers

    private record Result(float[] max, int[] arg, int[] positive) {
    }

    private static Result runMlpMax(KernelDevice dev, float[] A, float[] W, float[] b, int[] offsets, int N, int K, int act) {
        int nDocs = offsets.length - 1;
        try (var a = dev.floats(A); var w = dev.floats(W); var bb = dev.floats(b); var off = dev.ints(offsets);
             var mx = dev.filled((long) nDocs * N, Float.NaN); var ag = dev.filledInts((long) nDocs * N, -7);
             var ps = dev.filledInts((long) nDocs * N, -7)) {
            dev.launch(16, Calls.mlpInGeluMax(a, w, bb, off, nDocs, N, K, act, mx, ag, ps));
            return new Result(dev.read(mx, nDocs * N), dev.readInts(ag, nDocs * N), dev.readInts(ps, nDocs * N));
        }
    }

    /**
     * A layer that feeds the next block: the same kernel also stores hook_post [T, N] (for W_out), equal to the
     * scalar twin's GEMM + activation, and its maxima are those of the run that stores nothing.
     */
    @ParameterizedTest(name = "N {0}, K {1}, act {2}, docs {3}")
    @CsvSource({"130, 45, 1, '1 63 64 65 150 7'", "5, 3, 2, '2 1 129'"})
    void mlpInGeluMaxStoresHookPostForTheNextLayer(int N, int K, int act, String lengths) {
        KernelDevice dev = device();
        int[] offsets = offsets(lengths.split(" "));
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        float[] A = gaussian(T * K, 1), W = gaussian(K * N, 1), b = gaussian(N, 1);
        Result alone = runMlpMax(dev, A, W, b, offsets, N, K, act);
        try (var a = dev.floats(A); var w = dev.floats(W); var bb = dev.floats(b); var off = dev.ints(offsets);
             var mx = dev.filled((long) nDocs * N, Float.NaN); var ag = dev.filledInts((long) nDocs * N, -7);
             var ps = dev.filledInts((long) nDocs * N, -7); var post = dev.filled((long) T * N, Float.NaN)) {
            dev.launch(16, Calls.mlpInGeluMax(a, w, bb, off, nDocs, N, K, act, mx, ag, ps, post));
            assertClose(Twins.gemmBias(A, W, b, null, T, N, K, act), dev.read(post, T * N), 1e-4, "stored hook_post");
            assertArrayEquals(alone.max, dev.read(mx, nDocs * N), "the max does not change when hook_post is stored");
            assertArrayEquals(alone.arg, dev.readInts(ag, nDocs * N));
            assertArrayEquals(alone.positive, dev.readInts(ps, nDocs * N), "nor the count of positive activations");
        }
    }

    /**
     * solu_ln_max on pre [T, N], in place, against the scalar twin in double (Twins.soluMid, columnMax, layerNorm) and
     * the CPU engine's SoLU path (KernelTwins.solu): hook_mid's per-document max and first argmax, and h left as
     * pre, hook_mid or hook_post (LN with w, b, or LNPre) by mode; N below, between and beyond the work-group of 256
     * neurons (one to three columns a work-item), documents of 1 to 40 rows.
     */
    @ParameterizedTest(name = "N {0}, docs {1}, mode {2}, affine {3}")
    @CsvSource({"40, '1 16 7', 2, true", "300, '1 2 40 7', 2, false", "300, '3 29', 1, true",
            "257, '5 2', 0, true", "5, '2 1 30', 2, true", "600, '9', 2, true"})
    void soluLnMaxMatchesTwins(int N, String lengths, int mode, boolean affine) {
        KernelDevice dev = device();
        int[] offsets = offsets(lengths.split(" "));
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        float[] pre = gaussian(T * N, 3), w = affine ? gaussian(N, 1) : null, b = affine ? gaussian(N, 1) : null;
        float eps = 1e-5f;
        Solu r = runSolu(dev, pre, offsets, N, w, b, eps, mode);
        float[] mid = Twins.soluMid(pre, T, N), max = new float[nDocs * N];
        int[] arg = new int[nDocs * N];
        Twins.columnMax(mid, offsets, N, max, arg);
        assertClose(max, r.max, 1e-4, "solu_ln_max max");
        assertArgmaxNearTie(arg, mid, offsets, N, r.arg, "scalar twin");
        var cpu = neuroscan.engine.cpu.KernelTwins.solu(pre, N, offsets, w, b, eps);
        assertClose(cpu.max().max(), r.max, 1e-4, "CPU SoLU twin max");
        assertArgmaxNearTie(cpu.max().argmax(), cpu.mid(), offsets, N, r.arg, "CPU SoLU twin");
        assertPositivesNearZero(mid, offsets, N, r.positive, "solu_ln_max positives vs the scalar twin");
        assertPositivesNearZero(cpu.mid(), offsets, N, r.positive, "solu_ln_max positives vs the CPU twin");
        assertPositivesNearZero(cpu.mid(), offsets, N, cpu.max().positive(), "the CPU SoLU twin's own count");
        if (mode == Calls.SOLU_KEEP_PRE) {
            assertArrayEquals(pre, r.h, "h is left as pre");
        } else if (mode == Calls.SOLU_STORE_MID) {
            assertClose(mid, r.h, 1e-4, "stored hook_mid");
            assertClose(cpu.mid(), r.h, 1e-4, "stored hook_mid vs the CPU twin");
        } else {
            assertClose(Twins.layerNorm(mid, w, b, T, N, eps), r.h, 1e-4, "stored hook_post");
            assertClose(cpu.post(), r.h, 1e-4, "stored hook_post vs the CPU twin");
        }
    }

    /**
     * A NaN pre makes its row's hook_mid NaN (the softmax sum is NaN, as in torch): the document's max is NaN at the
     * first NaN row for every neuron; rows that are copies of one tie, and the first position wins.
     */
    @Test
    void soluLnMaxReportsNanAtItsFirstRowAndBreaksTiesTowardTheFirstPosition() {
        KernelDevice dev = device();
        int N = 300;
        int[] offsets = offsets(30, 10, 20);
        float[] pre = gaussian(60 * N, 2), row = gaussian(N, 2);
        pre[12 * N + 7] = Float.NaN;    // doc 0, position 12
        pre[25 * N + 100] = Float.NaN;  // doc 0, position 25: a later NaN does not move the position
        for (int t = 30; t < 40; t++) System.arraycopy(row, 0, pre, t * N, N);   // doc 1: 10 equal rows
        Solu r = runSolu(dev, pre, offsets, N, null, null, 1e-5f, Calls.SOLU_STORE_POST);
        var cpu = neuroscan.engine.cpu.KernelTwins.solu(pre, N, offsets, null, null, 1e-5);
        float[] mid = Twins.soluMid(pre, 60, N);
        for (int n = 0; n < N; n++) {
            assertTrue(Float.isNaN(r.max[n]), "doc 0 neuron " + n);
            assertEquals(12, r.arg[n], "doc 0 neuron " + n);
            assertTrue(Float.isNaN(cpu.max().max()[n]), "CPU twin, doc 0 neuron " + n);
            assertEquals(12, cpu.max().argmax()[n], "CPU twin, doc 0 neuron " + n);
            assertEquals(mid[30 * N + n], r.max[N + n], 1e-4 * Math.max(1, Math.abs(mid[30 * N + n])), "doc 1 neuron " + n);
            assertEquals(0, r.arg[N + n], "doc 1 neuron " + n + ": ties go to the first position");
            assertEquals(0, cpu.max().argmax()[N + n], "CPU twin, doc 1 neuron " + n);
            assertTrue(!Float.isNaN(r.max[2 * N + n]) && r.arg[2 * N + n] >= 0, "doc 2 neuron " + n);
        }
    }

    private record Solu(float[] max, int[] arg, int[] positive, float[] h) {
    }

    private static Solu runSolu(KernelDevice dev, float[] pre, int[] offsets, int N, float[] w, float[] b, float eps, int mode) {
        int nDocs = offsets.length - 1, T = offsets[nDocs];
        try (var h = dev.floats(pre); var off = dev.ints(offsets); var mx = dev.filled((long) nDocs * N, Float.NaN);
             var ag = dev.filledInts((long) nDocs * N, -7); var ps = dev.filledInts((long) nDocs * N, -7);
             var wb = w == null ? null : dev.floats(w); var bb = b == null ? null : dev.floats(b)) {
            dev.launch(16, Calls.soluLnMax(h, off, nDocs, N, mx, ag, ps, wb, bb, eps, mode));
            return new Solu(dev.read(mx, nDocs * N), dev.readInts(ag, nDocs * N), dev.readInts(ps, nDocs * N), dev.read(h, T * N));
        }
    }

    public static int[] offsets(String... lengths) {
        int[] l = new int[lengths.length];
        for (int i = 0; i < l.length; i++) l[i] = Integer.parseInt(lengths[i].trim());
        return offsets(l);
    }

    public static int[] offsets(int... lengths) {
        int[] o = new int[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) o[i + 1] = o[i] + lengths[i];
        return o;
    }

    private float[] gaussian(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    public static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= tol * Math.max(1, Math.abs(expected[i])))) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance " + tol + ")");
            }
        }
    }
}
