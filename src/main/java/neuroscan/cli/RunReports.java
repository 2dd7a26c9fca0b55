package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.format.Sha256;
import neuroscan.model.ModelLoader;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;
import neuroscan.view.LogitEffect;
import neuroscan.view.NeuroscopePage;
import neuroscan.view.NeuronReport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * Turns a finished run into {@link NeuronReport}s: the store says which documents and where they peak,
 * the token cache gives the documents back, and a forward pass over just those documents gives the
 * per-token activations the pages colour. Data flows store -> engine -> view; nothing is re-tokenized.
 */
final class RunReports implements AutoCloseable {
    final Path run;
    final Manifest manifest;
    final TopK topK;
    final TokenCache tokens;
    final ModelOptions.Resolved inputs;
    private final Engine engine;
    private final int dMlp;

    private RunReports(Path run, Manifest manifest, TopK topK, TokenCache tokens, ModelOptions.Resolved inputs, Engine engine) {
        this.run = run;
        this.manifest = manifest;
        this.topK = topK;
        this.tokens = tokens;
        this.inputs = inputs;
        this.engine = engine;
        this.dMlp = topK.dMlp();
    }

    /**
     * Opens a run and the model it scanned (the manifest's, unless {@code --model} / {@code --tokenizer}
     * say otherwise; a different checkpoint than the scanned one is refused).
     */
    static RunReports open(Path run, ModelOptions modelOptions, EngineOptions engineOptions) {
        if (!Files.isDirectory(run)) throw new NeuroscanException(run + ": no such run directory");
        Manifest m = Manifest.read(run);
        if (!m.complete()) throw new NeuroscanException(run + ": the scan is not finished; run `neuroscan scan --resume --out " + run + "`");
        if (modelOptions.model == null || modelOptions.model.equals(ModelOptions.DEFAULT_MODEL)) modelOptions.model = m.model().id();
        if (modelOptions.tokenizer == null) modelOptions.tokenizer = m.tokenizer().id();
        return open(run, m, modelOptions.resolve(ModelOptions.known()), engineOptions);
    }

    /** Opens a run with the model and tokenizer already resolved (the flagship just scanned with them). */
    static RunReports open(Path run, Manifest m, ModelOptions.Resolved inputs, EngineOptions engineOptions) {
        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        TokenCache cache = TokenCache.open(run.resolve(TokenCache.NAME));
        String sha = m.model().sha256();
        if (sha != null && !sha.equals(Sha256.file(ModelLoader.findCheckpoint(inputs.model().dir())))) {
            throw new NeuroscanException(inputs.modelSource().spec() + " is not the model " + run + " was scanned with (sha256 differs); pass --model with that model");
        }
        if (inputs.model().cfg().dMlp() != store.dMlp()) {
            throw new NeuroscanException(run + ": store has d_mlp " + store.dMlp() + " but the model has " + inputs.model().cfg().dMlp());
        }
        return new RunReports(run, m, store, cache, inputs, engineOptions.open(inputs.model().weights(), false));
    }

    int dMlp() {
        return dMlp;
    }

    String neuroscopeUrl(int neuron) {
        return "gelu-1l".equals(manifest.model().id()) ? NeuroscopePage.url("gelu-1l", 0, neuron) : null;
    }

    /** The document as it was scanned: its tokens, padded with PAD to n_ctx for --include-padding runs. */
    int[] scannedTokens(int doc) {
        int[] t = tokens.doc(doc);
        if (!manifest.includePadding() || t.length >= manifest.nCtx()) return t;
        int[] padded = Arrays.copyOf(t, manifest.nCtx());
        Arrays.fill(padded, t.length, padded.length, manifest.padToken());
        return padded;
    }

    /** One neuron's report, with a forward pass over its top documents. */
    NeuronReport report(int neuron) {
        checkNeuron(neuron);
        Map<Integer, float[]> acts = new HashMap<>();
        for (TopK.Example e : topK.examples(neuron)) {
            acts.computeIfAbsent(e.doc(), d -> column(engine.hookPost(scannedTokens(d)), neuron));
        }
        var w = inputs.model().weights();
        var logits = w.W_U() == null ? null : LogitEffect.compute(w, neuron, inputs.tokenizer()::display, 10, 5);
        return build(neuron, (n, doc) -> acts.get(doc), logits);
    }

    /**
     * Every neuron's report for a site: each document in any top-k list runs through the model once,
     * in parallel on single-threaded engines, keeping only the columns some neuron needs.
     */
    List<NeuronReport> all(int threads) {
        Map<Integer, List<Integer>> neuronsOfDoc = new HashMap<>();
        for (int n = 0; n < dMlp; n++) {
            for (TopK.Example e : topK.examples(n)) neuronsOfDoc.computeIfAbsent(e.doc(), d -> new ArrayList<>()).add(n);
        }
        Map<Long, float[]> acts = new ConcurrentHashMap<>();
        List<Integer> docs = new ArrayList<>(neuronsOfDoc.keySet());
        var weights = inputs.model().weights();
        ThreadLocal<Engine> local = ThreadLocal.withInitial(() -> new CpuEngine(weights, 1));
        List<Engine> opened = java.util.Collections.synchronizedList(new ArrayList<>());
        var pool = new java.util.concurrent.ForkJoinPool(Math.max(1, threads));
        try {
            pool.submit(() -> docs.parallelStream().forEach(d -> {
                Engine e = local.get();
                if (!opened.contains(e)) opened.add(e);
                float[] post = e.hookPost(scannedTokens(d));
                for (int n : neuronsOfDoc.get(d)) acts.put(key(n, d), column(post, n));
            })).join();
        } finally {
            pool.shutdown();
            opened.forEach(Engine::close);
        }
        // W_U is read once for all neurons, not once per neuron.
        var logits = weights.W_U() == null ? null : LogitEffect.computeAll(weights, 0, inputs.tokenizer()::display, 10, 5);
        return IntStream.range(0, dMlp).mapToObj(n -> build(n, (nn, d) -> acts.get(key(nn, d)),
                logits == null ? null : logits.get(n))).toList();
    }

    private static long key(int neuron, int doc) {
        return ((long) neuron << 32) | (doc & 0xffffffffL);
    }

    private interface Activations {
        float[] of(int neuron, int doc);
    }

    private NeuronReport build(int neuron, Activations acts, NeuronReport.Logits logits) {
        var tok = inputs.tokenizer();
        List<NeuronReport.Example> examples = new ArrayList<>();
        for (TopK.Example e : topK.examples(neuron)) {
            float[] a = acts.of(neuron, e.doc());
            String[] display = tok.displayTokens(scannedTokens(e.doc()));
            float min = Float.POSITIVE_INFINITY;
            for (float v : a) min = Math.min(min, v);
            examples.add(new NeuronReport.Example(e.rank(), e.doc(), e.max(), min, e.pos(), List.of(display), a));
        }
        return new NeuronReport(manifest.model().id(), manifest.dataset().id(), 0, neuron, logits, examples, dMlp,
                neuroscopeUrl(neuron));
    }

    private float[] column(float[] post, int neuron) {
        float[] c = new float[post.length / dMlp];
        for (int p = 0; p < c.length; p++) c[p] = post[p * dMlp + neuron];
        return c;
    }

    void checkNeuron(int neuron) {
        if (neuron < 0 || neuron >= dMlp) throw new NeuroscanException("--neuron " + neuron + " is outside 0.." + (dMlp - 1));
    }

    @Override
    public void close() {
        engine.close();
        inputs.tokenizer().close();
    }
}
