package neuroscan.engine.cpu;

import neuroscan.engine.ReferenceForward;
import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;
import neuroscan.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.close;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The whole engine against {@link ReferenceForward} (plain loops in double) on random models. */
class CpuEngineTest {
    private static final double ATOL = 1e-4, RTOL = 1e-4;

    private static ModelConfig config(int layers, int dm, int heads, int dh, int mlp, int ctx, int vocab,
                                      String act, String norm) {
        return new ModelConfig(layers, dm, heads, dh, mlp, ctx, vocab, act, norm, ModelConfig.DEFAULT_EPS, null);
    }

    /** Documents of random lengths, always including length 1 and n_ctx. */
    private static List<int[]> docs(SplittableRandom r, ModelConfig c, int n) {
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            int len = d == 0 ? 1 : d == 1 ? c.nCtx() : 1 + r.nextInt(c.nCtx());
            docs.add(r.ints(len, 0, c.dVocab()).toArray());
        }
        return docs;
    }

    /**
     * docMax against the reference's hook_post: max within tolerance; argmax equal, except where the
     * reference's own values at the two positions are within tolerance of each other (a near-tie that
     * float32 may order either way). Returns the number of such near-ties.
     */
    private static int assertMatchesReference(Weights w, CpuEngine engine, List<int[]> docs) {
        int n = w.cfg().neurons(), nearTies = 0;
        float[] max = new float[docs.size() * n];
        int[] arg = new int[docs.size() * n];
        engine.docMax(docs, max, arg);
        var ref = new ReferenceForward(w);
        for (int d = 0; d < docs.size(); d++) {
            float[] post = ref.activations(docs.get(d));
            for (int j = 0; j < n; j++) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1;
                for (int p = 0; p < docs.get(d).length; p++) {
                    if (post[p * n + j] > best) {
                        best = post[p * n + j];
                        at = p;
                    }
                }
                int i = d * n + j;
                if (!close(max[i], best, ATOL, RTOL)) fail("doc " + d + " neuron " + j + ": max " + max[i] + ", reference " + best);
                if (arg[i] != at) {
                    if (arg[i] < 0 || arg[i] >= docs.get(d).length || !close(post[arg[i] * n + j], best, ATOL, RTOL)) {
                        fail("doc " + d + " neuron " + j + ": argmax " + arg[i] + ", reference " + at);
                    }
                    nearTies++;
                }
            }
        }
        return nearTies;
    }

    private static void assertHookPostMatches(Weights w, CpuEngine engine, int[] tokens) {
        float[] got = engine.hookPost(tokens), want = new ReferenceForward(w).activations(tokens);
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            if (!close(got[i], want[i], ATOL, RTOL)) fail("hook_post[" + i + "]: " + got[i] + ", reference " + want[i]);
        }
    }

    @ParameterizedTest
    @CsvSource(nullValues = "none", value = {
            // d_model not a multiple of 16, n_heads 3, d_head 5 (H d_head != d_model), odd d_mlp
            "19,3,5,37,23,gelu,LN", "19,3,5,37,23,gelu_new,LN", "19,3,5,37,23,gelu,LNPre",
            "19,3,5,37,23,gelu_new,none", "19,3,5,37,23,gelu,none", "19,3,5,37,23,gelu_new,LNPre",
            // n_ctx past one 64-key panel, d_head past one vector, d_mlp past two panels
            "40,2,20,130,70,gelu,LN", "40,2,20,130,70,gelu_new,LNPre"})
    void smallOddModelsMatchTheReference(int dm, int heads, int dh, int mlp, int ctx, String act, String norm) {
        ModelConfig c = config(1, dm, heads, dh, mlp, ctx, 41, act, norm);
        Weights w = RandomWeights.create(c, dm * 1000L + mlp + act.length());
        var r = new SplittableRandom(ctx);
        List<int[]> docs = docs(r, c, 25);
        try (var engine = new CpuEngine(w, 2)) {
            int nearTies = assertMatchesReference(w, engine, docs);
            assertTrue(nearTies < docs.size() * mlp / 100 + 2, nearTies + " near-ties");
            assertHookPostMatches(w, engine, docs.get(1));
            assertHookPostMatches(w, engine, docs.get(0));
        }
    }

    @Test
    void gelu1lShapeMatchesTheReference() {
        ModelConfig c = config(1, 512, 8, 64, 2048, 1024, 1000, "gelu", "LN");
        Weights w = RandomWeights.create(c, 424);
        var r = new SplittableRandom(11);
        List<int[]> docs = List.of(r.ints(1024, 0, 1000).toArray(), new int[]{1}, r.ints(333, 0, 1000).toArray(),
                r.ints(77, 0, 1000).toArray());
        try (var engine = new CpuEngine(w, 2)) {
            int nearTies = assertMatchesReference(w, engine, docs);
            assertTrue(nearTies < 40, nearTies + " near-ties out of " + 4 * 2048);
            assertHookPostMatches(w, engine, docs.get(3));
        }
    }

    /** 150 documents of 1-3 tokens: bins fill up by document count (64), not by tokens. */
    @Test
    void manyShortDocumentsMatchTheReference() {
        ModelConfig c = config(1, 16, 2, 8, 40, 200, 30, "gelu", "LN");
        Weights w = RandomWeights.create(c, 5);
        var r = new SplittableRandom(8);
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < 150; d++) docs.add(r.ints(1 + r.nextInt(3), 0, c.dVocab()).toArray());
        try (var engine = new CpuEngine(w, 2)) {
            assertMatchesReference(w, engine, docs);
        }
    }

    @Test
    void laterLayersDoNotChangeLayerZero() {
        ModelConfig c = config(2, 24, 4, 6, 50, 30, 20, "gelu", "LN");
        Weights w = RandomWeights.create(c, 2);
        try (var engine = new CpuEngine(w, 1)) {
            assertMatchesReference(w, engine, docs(new SplittableRandom(3), c, 6));
        }
    }

    /** A document's result is the same bits however it is batched and however many threads run. */
    @Test
    void resultsDoNotDependOnBatchingOrThreads() {
        ModelConfig c = config(1, 33, 3, 11, 70, 40, 30, "gelu", "LN");
        Weights w = RandomWeights.create(c, 9);
        List<int[]> docs = docs(new SplittableRandom(4), c, 90);   // > MAX_DOCS_PER_BIN short docs share bins
        int n = c.dMlp();
        float[] max1 = new float[docs.size() * n], max3 = max1.clone();
        int[] arg1 = new int[docs.size() * n], arg3 = arg1.clone();
        try (var one = new CpuEngine(w, 1); var three = new CpuEngine(w, 3)) {
            one.docMax(docs, max1, arg1);
            three.docMax(docs, max3, arg3);
            assertArrayEquals(max1, max3);
            assertArrayEquals(arg1, arg3);
            for (int d : new int[]{0, 1, 57}) {
                float[] alone = new float[n];
                int[] aloneArg = new int[n];
                three.docMax(List.of(docs.get(d)), alone, aloneArg);
                assertArrayEquals(Arrays.copyOfRange(max1, d * n, d * n + n), alone, "doc " + d + " alone");
                assertArrayEquals(Arrays.copyOfRange(arg1, d * n, d * n + n), aloneArg);
                // hookPost (unfused) agrees bit for bit with the fused max.
                float[] post = three.hookPost(docs.get(d));
                for (int j = 0; j < n; j++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int p = 0; p < docs.get(d).length; p++) {
                        if (post[p * n + j] > best) {
                            best = post[p * n + j];
                            at = p;
                        }
                    }
                    assertEquals(best, alone[j], 0f);
                    assertEquals(at, aloneArg[j]);
                }
            }
        }
    }

    @Test
    void refusesBadDocuments() {
        ModelConfig c = config(1, 8, 2, 4, 16, 5, 10, "gelu", "LN");
        try (var engine = new CpuEngine(RandomWeights.create(c, 1), 1)) {
            float[] max = new float[2 * 16];
            int[] arg = new int[2 * 16];
            var e = assertThrows(IllegalArgumentException.class,
                    () -> engine.docMax(List.of(new int[]{1, 2}, new int[]{3, 10}), max, arg));
            assertEquals("document 1: token id 10 outside vocabulary of 10", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> engine.docMax(List.of(new int[0]), max, arg));
            assertThrows(IllegalArgumentException.class, () -> engine.docMax(List.of(new int[6]), max, arg));
            assertThrows(IllegalArgumentException.class, () -> engine.docMax(List.of(new int[1], new int[1], new int[1]), max, arg));
            assertThrows(IllegalArgumentException.class, () -> engine.hookPost(new int[]{-1}));
            assertTrue(engine.describe().matches("cpu \\(1 thread, \\d+-bit vectors\\)"), engine.describe());
        }
    }
}
