package neuroscan.engine.gpu;

import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.model.ModelConfig;
import neuroscan.model.Weights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import neuroscan.engine.HostTopKScan;
import neuroscan.engine.TopKScan;
import neuroscan.store.TopK;

/**
 * A whole GPU forward pass against {@link ReferenceEngine} (plain loops in double) on a small random
 * model: per-document max and argmax across many batches and in one, and hook_post. One set of tests, run
 * on each runtime by a subclass (OpenCL's {@code OpenClEngineTest}, CUDA's {@code CudaEngineTest}), which
 * adds the tests of what only its runtime does.
 */
public abstract class GpuEngineContract {
    // d_model 48 and d_mlp 100 divide no tile; 3 heads of 16; n_ctx 96 > attention blocks of 32
    public static final ModelConfig CFG = ModelConfig.gelu1lShaped(48, 3, 100, 96, 61);
    protected static Weights weights;
    protected static ReferenceEngine reference;
    protected static List<int[]> docs;
    protected static float[] refMax;
    protected static int[] refArg;

    /** The engine under test on device 0, for batches of {@code maxBatchTokens} (null: its default). Skips where missing. */
    protected abstract Engine open(Integer maxBatchTokens);

    /** The engine under test on other weights. */
    protected abstract GpuEngine open(Weights w, int maxBatchTokens);

    /**
     * A 2-layer model: every layer's maxima against the reference (through the W_out GEMM fed by the stored
     * hook_post), hookPost of every layer, and the per-layer device stores assembled into the flat store equal,
     * bit for bit, to TopK.merge of the same engine's maxima.
     */
    @Test
    void everyLayerOfATwoLayerModel() {
        ModelConfig c2 = new ModelConfig(2, 48, 3, 16, 100, 96, 61, "gelu", "LN", 1e-5, null);
        Weights w2 = RandomModel.create(c2, 11);
        int width = c2.neurons(), k = 5;
        try (ReferenceEngine ref = new ReferenceEngine(w2); GpuEngine e = open(w2, 2 * c2.nCtx())) {
            assertEquals(width, e.neurons());
            float[] want = new float[docs.size() * width], got = new float[want.length];
            ref.docMax(docs, want, new int[want.length]);
            e.docMax(docs, got, new int[got.length]);
            KernelsContract.assertClose(want, got, 1e-4, "docMax of both layers");
            for (int d : new int[]{5, 6, 11}) {
                KernelsContract.assertClose(ref.hookPost(docs.get(d)), e.hookPost(docs.get(d)), 1e-4, "both layers' hook_post, doc " + d);
            }
            int[] ids = new int[docs.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 7 + 3) % docs.size();
            TopK host, device, part, resumed;
            host = scanned(new HostTopKScan(e, new TopK(k, width)), docs, ids);
            device = scanned(e.topKScan(new TopK(k, width)), docs, ids);
            part = scanned(e.topKScan(new TopK(k, width)), docs.subList(0, 15), java.util.Arrays.copyOfRange(ids, 0, 15));
            try (TopKScan r = e.topKScan(part)) {   // resumed from a flat store, split per layer again
                r.add(docs.subList(15, docs.size()), java.util.Arrays.copyOfRange(ids, 15, docs.size()));
                resumed = r.store();
            }
            assertEquals(host, device, "per-layer device stores vs TopK.merge of the same maxima");
            // the resumed half ran in other batches: causal_attention's key tiles start at the document of each query
            // block's first query, so a document packed elsewhere may differ in the last bit, in any layer (DESIGN.md,
            // "Packing and the last bit"; the scanner's resume cuts the same batches, so its stores stay byte-identical)
            for (int g = 0; g < width; g++) {
                for (int r = 0; r < k; r++) {
                    assertEquals(host.max(r, g), resumed.max(r, g), 1e-6 * Math.max(1, Math.abs(host.max(r, g))), "neuron " + g + " rank " + r);
                    if (host.doc(r, g) != resumed.doc(r, g)) assertEquals(host.max(r, g), resumed.max(r, g), 1e-5, "a swap is a near-tie");
                }
            }
        }
    }

    /**
     * A scan of the 2-layer SoLU fixture (PyTorch-made, weights/make_fixtures.py) through the device merge, in
     * batches of two n_ctx documents: every layer's top-k (of hook_mid) has the CPU engine's membership, values within
     * 1e-4 (a different member only at a near-tie of the k-th value).
     */
    @Test
    void aSoluScanOfEveryLayerHasTheCpuEnginesTopK() {
        Weights w = neuroscan.model.ModelLoader.load(neuroscan.model.Fixtures.path("solu2l-tiny")).weights();
        ModelConfig c = w.cfg();
        List<int[]> ds = RandomModel.docs(new Random(5), 60, c.nCtx(), c.dVocab());
        int[] ids = new int[ds.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 13 + 7) % ds.size();
        int k = 6, width = c.neurons();
        TopK cpu, gpu;
        try (GpuEngine e = open(w, 2 * c.nCtx()); neuroscan.engine.cpu.CpuEngine ce = new neuroscan.engine.cpu.CpuEngine(w, 1)) {
            cpu = scanned(new HostTopKScan(ce, new TopK(k, width)), ds, ids);
            gpu = scanned(e.topKScan(new TopK(k, width)), ds, ids);
        }
        for (int g = 0; g < width; g++) {
            java.util.Set<Integer> a = new java.util.HashSet<>(), b = new java.util.HashSet<>();
            for (int r = 0; r < k; r++) {
                a.add(cpu.doc(r, g));
                b.add(gpu.doc(r, g));
                assertEquals(cpu.max(r, g), gpu.max(r, g), 1e-4, "neuron " + g + " rank " + r);
            }
            if (!a.equals(b)) assertEquals(cpu.max(k - 1, g), gpu.max(k - 1, g), 1e-5, "neuron " + g + ": members differ only at a near-tie");
        }
        assertEquals(0, gpu.nanSkipped());
    }

    /** The store after adding {@code ds} (ids {@code ids}) to the scan, which is then closed. */
    private static TopK scanned(TopKScan scan, List<int[]> ds, int[] ids) {
        try (scan) {
            scan.add(ds, ids);
            return scan.store();
        }
    }

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
        // batches of n_ctx tokens: dozens of batches, so both token slots are reused many times
        try (Engine e = open(CFG.nCtx())) {
            checkDocMax(e);
            checkDocMax(e);   // a second call reuses what the first set up
        }
    }

    @Test
    void docMaxMatchesTheReferenceInOneBatch() {
        try (Engine e = open(null)) {
            checkDocMax(e);
        }
    }

    @Test
    void hookPostMatchesTheReference() {
        try (Engine e = open(null)) {
            for (int d : new int[]{5, 6, 11}) {
                int[] t = docs.get(d);
                KernelsContract.assertClose(reference.hookPost(t), e.hookPost(t), 1e-4, "hook_post of doc " + d);
            }
        }
    }

    /** docMax of every document equals the reference's within 1e-4; a different argmax must be a near-tie. */
    public static float[] checkDocMax(Engine e) {
        int n = CFG.dMlp();
        float[] max = new float[docs.size() * n];
        int[] arg = new int[docs.size() * n];
        e.docMax(docs, max, arg);
        KernelsContract.assertClose(refMax, max, 1e-4, "docMax");
        for (int d = 0; d < docs.size(); d++) {
            float[] post = null;
            for (int j = 0; j < n; j++) {
                int i = d * n + j;
                if (arg[i] == refArg[i]) continue;
                if (post == null) post = reference.hookPost(docs.get(d));
                float there = post[arg[i] * n + j];
                if (Math.abs(there - refMax[i]) > 1e-4) {
                    fail("doc " + d + " neuron " + j + ": argmax " + arg[i] + " (" + there + "), expected " + refArg[i]);
                }
            }
        }
        return max;
    }

    @Test
    void theDeviceMergeEqualsTopKMergeBitForBitAndResumesFromAStore() {
        int n = CFG.dMlp(), k = 7;
        // document ids out of order within a call, as the scanner's length-sorted windows give them
        int[] scrambled = new int[docs.size()];
        for (int i = 0; i < scrambled.length; i++) scrambled[i] = (i * 17 + 5) % docs.size();
        try (GpuEngine e = (GpuEngine) open(2 * CFG.nCtx())) {
            TopK host, device, resumed;
            try (TopKScan h = new HostTopKScan(e, new TopK(k, n))) {
                h.add(docs, scrambled);
                host = h.store();
            }
            try (TopKScan d = e.topKScan(new TopK(k, n))) {
                d.add(docs.subList(0, 13), java.util.Arrays.copyOfRange(scrambled, 0, 13));
                d.add(docs.subList(13, docs.size()), java.util.Arrays.copyOfRange(scrambled, 13, docs.size()));
                device = d.store();
                assertEquals(device, d.store(), "reading the store back twice gives the same store");
            }
            // resume: the first part's store, uploaded, then the rest
            TopK part;
            try (TopKScan d = e.topKScan(new TopK(k, n))) {
                d.add(docs.subList(0, 20), java.util.Arrays.copyOfRange(scrambled, 0, 20));
                part = d.store();
            }
            try (TopKScan d = e.topKScan(part)) {
                d.add(docs.subList(20, docs.size()), java.util.Arrays.copyOfRange(scrambled, 20, docs.size()));
                resumed = d.store();
            }
            assertEquals(host, device, "device merge vs TopK.merge of the same maxima");
            assertEquals(host, resumed, "resumed from a store");
            assertEquals(0, device.nanSkipped());
        }
    }

    /**
     * The statistics kept on the device (stats_merge after each batch, read back at the end) equal
     * NeuronStats.add on the host over the same engine's maxima and positive counts, across calls and
     * resumed from read-back statistics; and the positive counts are the reference's within rounding at 0.
     */
    @Test
    void theDeviceStatsEqualTheHostStatsOnTheSameMaximaAndResume() {
        try (GpuEngine e = (GpuEngine) open(2 * CFG.nCtx())) {
            checkDeviceStats(e, reference, 13, 20);
        }
    }

    /**
     * The same for 2-layer models: the per-layer device blocks assembled into one flat NeuronStats; for SoLU,
     * solu_ln_max's count of hook_mid > 0 (the reference's hookPost is hook_mid).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"gelu", "solu_ln"})
    void theDeviceStatsOfATwoLayerModelEqualTheHostStats(String actFn) {
        ModelConfig c2 = new ModelConfig(2, 48, 3, 16, 100, 96, 61, actFn, "LN", 1e-5, null);
        Weights w2 = RandomModel.create(c2, 12);
        try (ReferenceEngine ref = new ReferenceEngine(w2); GpuEngine e = open(w2, 2 * c2.nCtx())) {
            checkDeviceStats(e, ref, 13, 15);
        }
    }

    /**
     * Host vs device stats of the same two calls (cut at {@code cut}: a GPU's last bits may depend on a batch's
     * packing, so both see the same maxima); a device scan resumed at {@code resumeAt} from read-back stats vs
     * the host with the same two calls; tokens, every document in one bin, and
     * each neuron's positives within the reference's count of activations > 1e-4 and > -1e-4.
     */
    private static void checkDeviceStats(GpuEngine e, Engine ref, int cut, int resumeAt) {
        int width = e.neurons(), k = 3;
        int[] ids = new int[docs.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 17 + 5) % docs.size();
        neuroscan.store.NeuronStats host = hostStats(e, width, k, ids, cut), device, resumed;
        try (TopKScan d = e.topKScan(new TopK(k, width), new neuroscan.store.NeuronStats(width))) {
            d.add(docs.subList(0, cut), java.util.Arrays.copyOfRange(ids, 0, cut));
            d.add(docs.subList(cut, docs.size()), java.util.Arrays.copyOfRange(ids, cut, docs.size()));
            device = d.stats();
            assertEquals(device, d.stats(), "reading the stats back twice gives the same stats");
        }
        assertEquals(host, device, "device stats vs NeuronStats.add of the same maxima");
        try (TopKScan d = e.topKScan(new TopK(k, width), new neuroscan.store.NeuronStats(width))) {
            d.add(docs.subList(0, resumeAt), java.util.Arrays.copyOfRange(ids, 0, resumeAt));
            TopK part = d.store();
            neuroscan.store.NeuronStats partStats = d.stats();
            try (TopKScan r = e.topKScan(part, partStats)) {
                r.add(docs.subList(resumeAt, docs.size()), java.util.Arrays.copyOfRange(ids, resumeAt, docs.size()));
                resumed = r.stats();
            }
        }
        assertEquals(hostStats(e, width, k, ids, resumeAt), resumed, "resumed from read-back stats");
        long tokens = 0, docsInBins = 0;
        for (int[] t : docs) tokens += t.length;
        assertEquals(tokens, device.tokens());
        long[] above = new long[width], near = new long[width];
        for (int[] t : docs) {
            float[] post = ref.hookPost(t);
            for (int p = 0; p < t.length; p++)
                for (int g = 0; g < width; g++) {
                    if (post[p * width + g] > 1e-4f) above[g]++;
                    if (post[p * width + g] > -1e-4f) near[g]++;
                }
        }
        for (int g = 0; g < width; g++) {
            assertTrue(device.positive(g) >= above[g] && device.positive(g) <= near[g],
                    "neuron " + g + ": " + device.positive(g) + " positive, the reference " + above[g] + ".." + near[g]);
            for (long h : device.histogram(g)) docsInBins += h;
        }
        assertEquals((long) width * docs.size(), docsInBins, "every document in one bin per neuron");
    }

    /** NeuronStats.add on the host over the engine's maxima: documents [0, cut) in one call, then the rest. */
    private static neuroscan.store.NeuronStats hostStats(GpuEngine e, int width, int k, int[] ids, int cut) {
        try (TopKScan h = new HostTopKScan(e, new TopK(k, width), new neuroscan.store.NeuronStats(width))) {
            h.add(docs.subList(0, cut), java.util.Arrays.copyOfRange(ids, 0, cut));
            if (cut < docs.size()) h.add(docs.subList(cut, docs.size()), java.util.Arrays.copyOfRange(ids, cut, docs.size()));
            return h.stats();
        }
    }

    @Test
    void profileTimesEveryTaskOfABatchGraph() {
        try (GpuEngine e = (GpuEngine) open(null)) {
            var times = e.profile(docs.subList(0, 8));
            assertEquals(List.of("embed", "ln1", "qkv", "attention", "out", "ln2", "mlp_in_gelu_max", "topk_merge", "stats_merge"),
                    times.stream().map(KernelTime::kernel).toList());
            for (var t : times) assertTrue(t.millis() > 0, t.toString());
            assertTrue(times.get(2).gflop() > 0 && times.get(6).gflop() > 0, "GEMMs count their FLOPs");
        }
    }
}
