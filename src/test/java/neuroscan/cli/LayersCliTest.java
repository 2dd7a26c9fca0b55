package neuroscan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.data.DocumentSources;
import neuroscan.data.Tokenizer;
import neuroscan.engine.ReferenceForward;
import neuroscan.format.Safetensors;
import neuroscan.model.ModelConfig;
import neuroscan.model.ModelLoader;
import neuroscan.model.TorchCheckpointWriter;
import neuroscan.store.Hook;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Models of several layers end to end: a 2-layer GELU and a 2-layer SoLU model (random weights in
 * TransformerLens's format), every layer scanned in one pass, the store keyed per layer, and show, trace, site
 * and the flagship's checks per layer. The store is held to brute force over {@link ReferenceForward}.
 */
class LayersCliTest {
    @TempDir
    static Path tmp;
    static final int DOCS = 40, K = 4;
    static final ModelConfig GELU2 = new ModelConfig(2, 32, 4, 8, 48, 40, 300, "gelu", "LN", 1e-5, null);
    static final ModelConfig SOLU2 = new ModelConfig(2, 32, 4, 8, 40, 40, 300, "solu_ln", "LN", 1e-5, null);

    static Path model(String name) throws Exception {
        Path dir = tmp.resolve(name);
        if (Files.isDirectory(dir)) return dir;
        TorchCheckpointWriter.writeRandom(dir, name.startsWith("solu") ? SOLU2 : GELU2, 77, (n, v) -> { });
        for (String f : new String[]{"tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"}) {
            Files.copy(CliFixtures.TOKENIZER.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    static Path run(String name, String backend) throws Exception {
        Path out = tmp.resolve(name + "-" + backend);
        if (Manifest.exists(out)) return out;
        var r = CliFixtures.run("scan", "--model", model(name).toString(), "--dataset", CliFixtures.PARQUET.toString(),
                "--max-docs", "" + DOCS, "--top-k", "" + K, "--out", out.toString(), "--quiet", "--backend", backend);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @BeforeAll
    static void models() throws Exception {
        model("gelu2");
        model("solu2");
    }

    /** Brute force: the reference forward of every document, every layer's max per neuron, a full sort per neuron. */
    @ParameterizedTest
    @ValueSource(strings = {"gelu2", "solu2"})
    void everyLayerIsScannedInOnePassAndEqualsBruteForce(String name) throws Exception {
        Path run = run(name, "cpu");
        var loaded = ModelLoader.load(model(name));
        ModelConfig c = loaded.cfg();
        var ref = new ReferenceForward(loaded.weights());
        int width = c.neurons();
        List<float[]> dmax = new ArrayList<>();
        try (Tokenizer tok = Tokenizer.load(model(name)); var docs = DocumentSources.open(CliFixtures.PARQUET, "text")) {
            for (int d = 0; d < DOCS; d++) {
                int[] ids = tok.toTokens(docs.next().text(), c.nCtx());
                ReferenceForward.Mlp[] mlps = ref.layers(ids, c.nLayers() - 1);
                float[] m = new float[width];
                java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
                for (int l = 0; l < c.nLayers(); l++) {
                    float[] h = mlps[l].scanned();
                    for (int p = 0; p < ids.length; p++)
                        for (int n = 0; n < c.dMlp(); n++) m[l * c.dMlp() + n] = Math.max(m[l * c.dMlp() + n], h[p * c.dMlp() + n]);
                }
                dmax.add(m);
            }
        }
        StoreFile file = StoreFile.read(run.resolve(StoreFile.NAME));
        assertEquals(Hook.of(c), file.hook());
        TopK store = file.topK();
        for (int g = 0; g < width; g++) {
            final int gg = g;
            List<Integer> order = new ArrayList<>();
            for (int d = 0; d < DOCS; d++) order.add(d);
            order.sort((a, b) -> Float.compare(dmax.get(b)[gg], dmax.get(a)[gg]) != 0
                    ? Float.compare(dmax.get(b)[gg], dmax.get(a)[gg]) : Integer.compare(a, b));
            for (int r = 0; r < K; r++) {
                int d = store.doc(r, g);
                assertEquals(dmax.get(order.get(r))[g], store.max(r, g), 1e-4, file.hook().label(g) + " rank " + r);
                if (d != order.get(r)) assertEquals(dmax.get(d)[g], dmax.get(order.get(r))[g], 1e-4);
            }
        }
        // the statistics of every layer: positives and histogram against the CPU engine's activations of the scanned
        // hook (what its scan folded, bit for bit) over every document, and the reference's positives within rounding at 0
        var stats = file.stats();
        long[] positive = new long[width], above = new long[width], near = new long[width];
        long[][] hist = new long[width][neuroscan.store.NeuronStats.BINS];
        long tokens = 0;
        try (Tokenizer tok = Tokenizer.load(model(name)); var docs = DocumentSources.open(CliFixtures.PARQUET, "text");
             var cpu = new neuroscan.engine.cpu.CpuEngine(loaded.weights(), 1)) {
            for (int d = 0; d < DOCS; d++) {
                int[] ids = tok.toTokens(docs.next().text(), c.nCtx());
                tokens += ids.length;
                float[] h = cpu.hookPost(ids), r = ref.activations(ids);
                for (int g = 0; g < width; g++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int p = 0; p < ids.length; p++) {
                        float v = h[p * width + g];
                        if (v > 0) positive[g]++;
                        if (r[p * width + g] > 1e-4f) above[g]++;
                        if (r[p * width + g] > -1e-4f) near[g]++;
                        best = Math.max(best, v);
                    }
                    hist[g][neuroscan.store.NeuronStats.bin(best)]++;
                }
            }
        }
        assertEquals(tokens, stats.tokens());
        for (int g = 0; g < width; g++) {
            assertEquals(positive[g], stats.positive(g), "positives of " + file.hook().label(g));
            assertTrue(stats.positive(g) >= above[g] && stats.positive(g) <= near[g], "the reference's positives of " + file.hook().label(g));
            assertArrayEquals(hist[g], stats.histogram(g), "histogram of " + file.hook().label(g));
        }
        Manifest m = Manifest.read(run);
        assertEquals(c.hook(), m.hook());
        assertEquals(2, m.nLayers());
        assertEquals(c.dMlp(), m.dMlp());
    }

    /** The file holds each layer's [k, d_mlp] block under TransformerLens's hook name, as Python reads it. */
    @Test
    void theStoreIsKeyedPerLayer() throws Exception {
        Path run = run("solu2", "cpu");
        var c = Safetensors.read(run.resolve(StoreFile.NAME));
        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        assertEquals("hook_mid", c.metadata().get("hook"));
        assertEquals("2", c.metadata().get("n_layers"));
        for (int l = 0; l < 2; l++) {
            for (String part : new String[]{"max", "doc", "pos"}) {
                var e = c.tensors().get("blocks." + l + ".mlp.hook_mid." + part);
                assertArrayEquals(new long[]{K, SOLU2.dMlp()}, e.shape(), part);
            }
            String key = "blocks." + l + ".mlp.hook_mid.";
            assertArrayEquals(new long[]{SOLU2.dMlp()}, c.tensors().get(key + "positive").shape(), "statistics per layer too");
            assertArrayEquals(new long[]{neuroscan.store.NeuronStats.BINS, SOLU2.dMlp()}, c.tensors().get(key + "hist").shape());
            assertArrayEquals(new long[]{neuroscan.store.NeuronStats.BINS, neuroscan.store.NeuronStats.SAMPLES, SOLU2.dMlp()},
                    c.tensors().get(key + "sample_doc").shape());
            int[] doc = c.tensors().get("blocks." + l + ".mlp.hook_mid.doc").toIntArray();
            for (int r = 0; r < K; r++)
                for (int n = 0; n < SOLU2.dMlp(); n++) assertEquals(store.doc(r, l * SOLU2.dMlp() + n), doc[r * SOLU2.dMlp() + n]);
        }
        assertFalse(c.tensors().containsKey("blocks.0.mlp.hook_post.max"));
    }

    /** show --layer: the page's activations are the neuron's in that layer, peaking where the store says. */
    @Test
    void showTraceAndSiteTakeALayer() throws Exception {
        Path run = run("gelu2", "cpu"), m = model("gelu2");
        int n = 7;
        var show = CliFixtures.run("show", "--run", run.toString(), "--layer", "1", "--neuron", "" + n, "--format", "json");
        assertEquals(0, show.code(), show.err());
        JsonNode j = new ObjectMapper().readTree(show.out());
        assertEquals(1, j.get("layer").asInt());
        assertEquals(n, j.get("neuron").asInt());
        assertEquals(2, j.get("n_layers").asInt());
        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        JsonNode top = j.get("examples").get(0);
        int g = GELU2.dMlp() + n;
        assertEquals(store.doc(0, g), top.get("doc").asInt());
        assertEquals(store.max(0, g), top.get("activations").get(top.get("pos").asInt()).floatValue(), 1e-4);

        var bad = CliFixtures.run("show", "--run", run.toString(), "--layer", "2", "--neuron", "0");
        assertEquals(1, bad.code());
        assertEquals("neuroscan: --layer 2 is outside 0..1", bad.err().strip());

        var trace = CliFixtures.run("trace", "--model", m.toString(), "--layer", "1", "--neuron", "" + n, "--text", "Hello there",
                "--format", "json", "--backend", "cpu");
        assertEquals(0, trace.code(), trace.err());
        JsonNode t = new ObjectMapper().readTree(trace.out());
        int[] ids = new int[t.get("token_ids").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = t.get("token_ids").get(i).asInt();
        float[] want = new ReferenceForward(ModelLoader.load(m).weights()).hookPost(ids, 1);
        for (int p = 0; p < ids.length; p++) assertEquals(want[p * GELU2.dMlp() + n], t.get("activations").get(p).floatValue(), 1e-4);
        var text = CliFixtures.run("trace", "--model", m.toString(), "--layer", "1", "--neuron", "" + n, "--text", "Hi", "--backend", "cpu");
        assertTrue(text.out().startsWith("L1N" + n + " on "), text.out());

        Path site = tmp.resolve("site");
        var s = CliFixtures.run("site", "--run", run.toString(), "--out", site.toString(), "--backend", "cpu");
        assertEquals(0, s.code(), s.err());
        String index = Files.readString(site.resolve("index.html"));
        assertTrue(index.contains("href=\"0/index.html\"") && index.contains("href=\"1/index.html\""), index);
        for (int l = 0; l < 2; l++) {
            assertTrue(Files.isRegularFile(site.resolve(l + "/index.html")));
            for (int k = 0; k < GELU2.dMlp(); k++) assertTrue(Files.isRegularFile(site.resolve(l + "/" + k + ".html")), l + "/" + k);
        }
        String page = Files.readString(site.resolve("1/" + n + ".html"));
        assertTrue(page.contains("L1N" + n), "the page names its layer");
        assertTrue(page.contains("href=\"../0/" + n + ".html\""), "a link to the same neuron in layer 0");
        assertTrue(Files.readString(site.resolve("0/index.html")).contains("href=\"../1/index.html\""), "layer indexes link each other");
    }

    /**
     * Two shards of a 2-layer model, scanned apart and merged, give the whole scan's store byte for byte: every
     * layer's top k and statistics (positive counts, histograms, samples) under its own keys.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gelu2", "solu2"})
    void shardsOfEveryLayerMergeToTheWholeScan(String name) throws Exception {
        Path whole = run(name, "cpu");
        List<String> shards = new ArrayList<>();
        for (String range : new String[]{"0:15", "15:" + DOCS}) {
            Path out = tmp.resolve(name + "-shard-" + range.replace(':', '-'));
            var r = CliFixtures.run("scan", "--model", model(name).toString(), "--dataset", CliFixtures.PARQUET.toString(),
                    "--doc-range", range, "--top-k", "" + K, "--out", out.toString(), "--quiet", "--backend", "cpu");
            assertEquals(0, r.code(), r.err());
            shards.add(out.toString());
        }
        Path merged = tmp.resolve(name + "-merged");
        var m = CliFixtures.run("merge", shards.get(1), shards.get(0), "--out", merged.toString());
        assertEquals(0, m.code(), m.err());
        StoreFile s = StoreFile.read(merged.resolve(StoreFile.NAME));
        assertEquals(2, s.hook().nLayers());
        assertTrue(s.stats() != null, "the merged store keeps the statistics");
        assertArrayEquals(Files.readAllBytes(whole.resolve(StoreFile.NAME)), Files.readAllBytes(merged.resolve(StoreFile.NAME)));
    }

    /** The reference and the CPU engine scan a SoLU model to the same store (maxima within 1e-4). */
    @Test
    void referenceAndCpuScansAgree() throws Exception {
        TopK cpu = StoreFile.read(run("solu2", "cpu").resolve(StoreFile.NAME)).topK();
        TopK ref = StoreFile.read(run("solu2", "reference").resolve(StoreFile.NAME)).topK();
        for (int g = 0; g < cpu.neurons(); g++)
            for (int r = 0; r < K; r++) assertEquals(ref.max(r, g), cpu.max(r, g), 1e-4, "neuron " + g + " rank " + r);
    }

    /** scan --backend opencl (PoCL in CI) of both 2-layer models: every layer's top-k has the CPU scan's membership. */
    @ParameterizedTest
    @ValueSource(strings = {"gelu2", "solu2"})
    void openClScansEveryLayerToTheCpuScansTopK(String name) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(neuroscan.engine.opencl.CL.unavailable().isEmpty(),
                () -> "OpenCL scan test skipped: " + neuroscan.engine.opencl.CL.unavailable().orElse(""));
        TopK cpu = StoreFile.read(run(name, "cpu").resolve(StoreFile.NAME)).topK();
        Path out = run(name, "opencl");
        assertEquals("device", Manifest.read(out).topkMerge());
        TopK gpu = StoreFile.read(out.resolve(StoreFile.NAME)).topK();
        for (int g = 0; g < cpu.neurons(); g++) {
            java.util.Set<Integer> a = new java.util.HashSet<>(), b = new java.util.HashSet<>();
            for (int r = 0; r < K; r++) {
                a.add(cpu.doc(r, g));
                b.add(gpu.doc(r, g));
                assertEquals(cpu.max(r, g), gpu.max(r, g), 1e-4, name + ": neuron " + g + " rank " + r);
            }
            if (!a.equals(b)) assertEquals(cpu.max(K - 1, g), gpu.max(K - 1, g), 1e-4, name + ": neuron " + g + ": a near-tie at rank k-1");
        }
    }

    @Test
    void anAttentionOnlyModelIsRefusedInOneLine() throws Exception {
        Path dir = tmp.resolve("attn-only");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"n_layers\": 2, \"d_model\": 32, \"n_heads\": 4, \"n_ctx\": 40,"
                + " \"d_vocab\": 300, \"act_fn\": \"solu_ln\", \"attn_only\": true, \"normalization_type\": \"LN\"}");
        Files.copy(model("gelu2").resolve("model_final.pth"), dir.resolve("model_final.pth"));
        var r = CliFixtures.run("trace", "--model", dir.toString(), "--neuron", "0", "--text", "x",
                "--tokenizer", CliFixtures.TOKENIZER.toString());
        assertEquals(1, r.code());
        assertEquals("neuroscan: config.json: attention-only model (attn_only): it has no MLP neurons to scan", r.err().strip());
    }
}
