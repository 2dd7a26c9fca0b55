package neuroscan.engine.gpu;

import neuroscan.engine.ScreenCounts;
import neuroscan.engine.TopKScan;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import neuroscan.store.TopK;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The screened scan (TF32 tensor-core screen with its bound, exact FP32 recompute of the candidates), on
 * OpenCL (PoCL in CI: ctx.mmaTf32 runs as its model) and on CUDA (sm_80+: the tensor cores themselves): the
 * store must be the FP32 path's exactly (documents, positions, the bits of every max, NaN counts), on random
 * models of small and of gelu-1l's shape and on adversarial ones whose documents' maxima all sit at or
 * just under the k-th value.
 */
public abstract class ScreenedScanContract {
    /** The engine on this runtime's first device, batches of {@code batchTokens}; skips the test without one. */
    protected abstract GpuEngine open(Weights w, int batchTokens);

    private record Run(TopK store, ScreenCounts counts) {
    }

    private Run scan(Weights w, List<int[]> docs, int k, Screening.Mode mode, int batchTokens) {
        try (GpuEngine e = open(w, batchTokens).screening(mode);
             TopKScan top = e.topKScan(new TopK(k, w.cfg().nLayers() * w.cfg().dMlp()))) {
            int[] ids = new int[docs.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = 1000 + i;
            int half = docs.size() / 2;   // two calls, several batches each: the threshold rises between them
            top.add(docs.subList(0, half), java.util.Arrays.copyOfRange(ids, 0, half));
            top.add(docs.subList(half, docs.size()), java.util.Arrays.copyOfRange(ids, half, ids.length));
            return new Run(top.store(), top.screenCounts());
        }
    }

    private static void assertSameStore(TopK want, TopK got) {
        assertArrayEquals(want.copyOfDoc(), got.copyOfDoc(), "documents");
        assertArrayEquals(want.copyOfPos(), got.copyOfPos(), "positions");
        float[] a = want.copyOfMax(), b = got.copyOfMax();
        for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), "max bits, slot " + i);
        for (int n = 0; n < want.neurons(); n++) assertEquals(want.nanCount(n), got.nanCount(n), "NaN count of neuron " + n);
    }

    /** Screens, and returns the counters after checking the store is the FP32 path's. */
    private ScreenCounts screenedEqualsFp32(Weights w, List<int[]> docs, int k, int batchTokens) {
        Run exact = scan(w, docs, k, Screening.Mode.OFF, batchTokens), screened = scan(w, docs, k, Screening.Mode.ON, batchTokens);
        assertNull(exact.counts(), "--exact-fp32 does not screen");
        assertSameStore(exact.store(), screened.store());
        assertEquals((long) docs.size() * w.cfg().dMlp(), screened.counts().screened(), "the last layer's pairs");
        return screened.counts();
    }

    @Test
    public void smallRandomModelsStoreTheSameAsFp32AndSkipMostPairs() {
        ModelConfig cfg = ModelConfig.gelu1lShaped(48, 3, 100, 96, 61);   // d_mlp 100: a partial 64-neuron block
        for (long seed : new long[]{3, 4}) {
            Weights w = RandomModel.create(cfg, seed);
            List<int[]> docs = RandomModel.docs(new Random(seed), 150, 96, 61);
            ScreenCounts c = screenedEqualsFp32(w, docs, 4, 2 * 96);
            assertTrue(c.fractionSkipped() > 0.3, "the screen should rule most pairs out: " + c);
            assertTrue(c.recomputed() >= 4L * 100, "the first documents of every neuron are recomputed: " + c);
        }
    }

    @Test
    public void twoLayersScreenTheLastAndStoreTheSameAsFp32() {
        // layer 0's activations feed W_out, so only the last layer is screened; both layers' columns must match
        ModelConfig cfg = new ModelConfig(2, 48, 3, 16, 100, 96, 61, "gelu", "LN", ModelConfig.DEFAULT_EPS, null);
        Weights w = RandomModel.create(cfg, 6);
        List<int[]> docs = RandomModel.docs(new Random(8), 120, 96, 61);
        ScreenCounts c = screenedEqualsFp32(w, docs, 4, 2 * 96);
        assertTrue(c.fractionSkipped() > 0.3, c.toString());
    }

    @Test
    public void gelu1lShapedRandomWeightsStoreTheSameAsFp32() {
        ModelConfig cfg = ModelConfig.gelu1lShaped(512, 8, 2048, 64, 300);
        Weights w = RandomModel.create(cfg, 11);
        List<int[]> docs = RandomModel.docs(new Random(5), 48, 24, 300);
        ScreenCounts c = screenedEqualsFp32(w, docs, 3, 4 * 64);
        assertTrue(c.fractionSkipped() > 0.2, c.toString());
    }

    @Test
    public void documentsAtAndJustUnderTheKthValueAreRecomputedNotLost() {
        ModelConfig cfg = ModelConfig.gelu1lShaped(48, 3, 100, 96, 61);
        // Tiny W_in: every pre-activation is b_in plus a few 1e-6, far inside the bound, so every document's
        // max sits within the bound of every neuron's k-th value; exact copies of documents tie exactly.
        Weights w = RandomModel.create(cfg, 9);
        MemorySegment wIn = w.blocks().getFirst().W_in().data();
        for (long i = 0; i < wIn.byteSize() / 4; i++) wIn.setAtIndex(JAVA_FLOAT, i, wIn.getAtIndex(JAVA_FLOAT, i) * 1e-5f);
        Random r = new Random(2);
        List<int[]> docs = new ArrayList<>(RandomModel.docs(r, 40, 30, 61));
        for (int i = 0; i < 40; i++) docs.add(docs.get(r.nextInt(40)).clone());   // duplicates: exact ties, broken by index
        for (int i = 0; i < 20; i++) {   // near-duplicates: one token changed, maxima a hair apart
            int[] d = docs.get(r.nextInt(40)).clone();
            d[d.length - 1] = r.nextInt(61);
            docs.add(d);
        }
        java.util.Collections.shuffle(docs, r);
        ScreenCounts c = screenedEqualsFp32(w, docs, 5, 2 * 96);
        assertTrue(c.fractionSkipped() < 0.05, "maxima within the bound of the k-th value must all be recomputed: " + c);
    }
}
