package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import neuroscan.engine.ReferenceEngine;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The whole OpenCL forward pass against {@link ReferenceEngine} (plain loops in double) on a small random model. */
class OpenClEngineTest {
    // d_model 48 and d_mlp 100 divide no tile; 3 heads of 16; n_ctx 96 > attention blocks of 32
    static final ModelConfig CFG = ModelConfig.gelu1lShaped(48, 3, 100, 96, 61);
    static Weights weights;
    static ReferenceEngine reference;
    static List<int[]> docs;
    static float[] refMax;
    static int[] refArg;

    @BeforeAll
    static void setUp() {
        weights = RandomModel.create(CFG, 7);
        reference = new ReferenceEngine(weights);
        docs = new ArrayList<>(RandomModel.docs(new Random(3), 40, CFG.nCtx(), CFG.dVocab()));
        docs.set(5, new int[CFG.nCtx()]);   // a full n_ctx document and a one-token one
        docs.set(6, new int[]{4});
        refMax = new float[docs.size() * CFG.dMlp()];
        refArg = new int[docs.size() * CFG.dMlp()];
        reference.docMax(docs, refMax, refArg);
    }

    @AfterAll
    static void tearDown() {
        reference.close();
    }

    @Test
    void docMaxMatchesTheReferenceAcrossManyBatches() {
        Device.get();
        // batches of 96 tokens (n_ctx): dozens of batches, so both token slots are reused many times
        try (OpenClEngine e = OpenClEngine.open(weights, 0, CFG.nCtx())) {
            assertEquals(CFG.nCtx(), e.maxBatchTokens());
            checkDocMax(e);
        }
    }

    @Test
    void docMaxMatchesTheReferenceInOneBatch() {
        Device.get();
        try (OpenClEngine e = OpenClEngine.open(weights, 0)) {
            assertTrue(e.describe().startsWith("opencl: "), e.describe());
            checkDocMax(e);
        }
    }

    private void checkDocMax(OpenClEngine e) {
        int n = CFG.dMlp();
        float[] max = new float[docs.size() * n];
        int[] arg = new int[docs.size() * n];
        e.docMax(docs, max, arg);
        KernelsTest.assertClose(refMax, max, 1e-4, "docMax");
        for (int d = 0; d < docs.size(); d++) {
            float[] post = null;
            for (int j = 0; j < n; j++) {
                int i = d * n + j;
                if (arg[i] == refArg[i]) continue;
                if (post == null) post = reference.hookPost(docs.get(d));
                float there = post[arg[i] * n + j];   // a different argmax must be a near-tie
                if (Math.abs(there - refMax[i]) > 1e-4) {
                    fail("doc " + d + " neuron " + j + ": argmax " + arg[i] + " (" + there + "), expected " + refArg[i]);
                }
            }
        }
    }

    @Test
    void hookPostMatchesTheReference() {
        Device.get();
        try (OpenClEngine e = OpenClEngine.open(weights, 0)) {
            for (int d : new int[]{5, 6, 11}) {
                int[] t = docs.get(d);
                KernelsTest.assertClose(reference.hookPost(t), e.hookPost(t), 1e-4, "hook_post of doc " + d);
            }
        }
    }

    @Test
    void topKOnTheDeviceMatchesBruteForceOverTheReference() {
        Device.get();
        int n = CFG.dMlp(), k = 6;
        List<List<Twins.Entry>> offered = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            List<Twins.Entry> l = new ArrayList<>();
            for (int d = 0; d < docs.size(); d++) l.add(new Twins.Entry(refMax[d * n + j], 100 + d, refArg[d * n + j]));
            offered.add(l);
        }
        float[] eMax = new float[k * n];
        int[] eDoc = new int[k * n], ePos = new int[k * n];
        Twins.topK(offered, k, eMax, eDoc, ePos);

        float[] max = new float[k * n];
        int[] doc = new int[k * n], pos = new int[k * n];
        try (OpenClEngine e = OpenClEngine.open(weights, 0, 2 * CFG.nCtx()); var top = e.topK(k)) {
            top.add(docs.subList(0, 17), 100);         // two calls, each several batches
            top.add(docs.subList(17, docs.size()), 117);
            top.read(max, doc, pos);
        }
        KernelsTest.assertClose(eMax, max, 1e-4, "top-k max");
        for (int i = 0; i < k * n; i++) {
            if (doc[i] == eDoc[i]) {
                assertEquals(ePos[i], pos[i], "pos " + i);
            } else if (Math.abs(eMax[i] - refMax[(doc[i] - 100) * n + i % n]) > 1e-4) {
                fail("slot " + i + ": doc " + doc[i] + ", expected " + eDoc[i]);   // only near-ties may swap
            }
        }
    }

    @Test
    void aBatchThatDoesNotFitIsHalvedBeforeGivingUp() {
        Device.get();
        long oneCtx = batchBytes(CFG.nCtx());
        // room for a batch of 2 n_ctx but not 4 or 8: 8 -> 4 -> 2
        try (OpenClEngine e = OpenClEngine.open(weights, 0, 8 * CFG.nCtx(), batchBytes(2 * CFG.nCtx()) + 4)) {
            assertEquals(2 * CFG.nCtx(), e.maxBatchTokens());
            checkDocMax(e);
        }
        var tooSmall = assertThrows(NeuroscanException.class, () -> OpenClEngine.open(weights, 0, 4 * CFG.nCtx(), oneCtx - 4));
        String m = tooSmall.getMessage();
        assertTrue(m.matches("OpenCL device .*: out of memory even for one n_ctx document; tried batches of "
                + "384 \\(needs .* [KMG]iB, .* [KMG]iB are available after the weights\\), 192 \\(.*\\), 96 \\(.*\\) tokens"), m);
    }

    private static long batchBytes(int tokens) {
        return neuroscan.engine.gpu.GpuModel.batchBytes(CFG, tokens);
    }

    @Test
    void badInputIsRejectedBeforeAnythingRuns() {
        Device.get();
        try (OpenClEngine e = OpenClEngine.open(weights, 0)) {
            float[] max = new float[CFG.dMlp()];
            int[] arg = new int[CFG.dMlp()];
            var tooLong = assertThrows(IllegalArgumentException.class,
                    () -> e.docMax(List.of(new int[CFG.nCtx() + 1]), max, arg));
            assertEquals("document 0 has 97 tokens; 1..96 expected", tooLong.getMessage());
            var badToken = assertThrows(IllegalArgumentException.class, () -> e.docMax(List.of(new int[]{1, 61}), max, arg));
            assertEquals("token id 61 outside vocabulary of 61", badToken.getMessage());
            assertThrows(IllegalArgumentException.class, () -> e.docMax(List.of(new int[0]), max, arg));
            // and the engine still works afterwards
            e.docMax(docs.subList(6, 7), max, arg);
            KernelsTest.assertClose(java.util.Arrays.copyOfRange(refMax, 6 * CFG.dMlp(), 7 * CFG.dMlp()), max, 1e-4, "doc 6");
            assertArrayEquals(new int[CFG.dMlp()], arg);   // one token: position 0 everywhere
        }
    }
}
