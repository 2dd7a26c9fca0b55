package neuroscan.report;

import neuroscan.NeuroscanException;
import neuroscan.data.Tokenizer;
import neuroscan.engine.Engine;
import neuroscan.format.Sha256;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.hub.Known;
import neuroscan.store.Hook;
import neuroscan.store.Manifest;
import neuroscan.store.NeuronStats;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;
import neuroscan.view.LogitEffect;
import neuroscan.view.NeuroscopePage;
import neuroscan.view.NeuronReport;
import neuroscan.view.Site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Turns a finished run into {@link NeuronReport}s: the store says which documents and where they peak,
 * the token cache gives the documents back, and a forward pass over just those documents, on the
 * {@link ReportEngines} given (the backend the user chose), gives the per-token activations the pages
 * colour. Data flows store -> engine -> view; nothing is re-tokenized.
 */
public final class RunReports implements AutoCloseable {
    private final Manifest manifest;
    private final TopK topK;
    private final NeuronStats stats;   // null: a run scanned before the statistics
    private final TokenCache tokens;
    private final LoadedModel model;
    private final Tokenizer tokenizer;
    private final ReportEngines engines;
    /** The store's layers; reports name neurons by layer and index in it, the store by flat index. */
    private final Hook hook;
    private final int neurons;

    private RunReports(Manifest manifest, TopK topK, NeuronStats stats, Hook hook, TokenCache tokens, LoadedModel model,
                       Tokenizer tokenizer, ReportEngines engines) {
        this.manifest = manifest;
        this.topK = topK;
        this.stats = stats;
        this.tokens = tokens;
        this.model = model;
        this.tokenizer = tokenizer;
        this.engines = engines;
        this.hook = hook;
        this.neurons = topK.neurons();
    }

    /** The manifest of a finished run; a missing directory or an unfinished scan is refused, saying what to do. */
    public static Manifest finished(Path run) {
        if (!Files.isDirectory(run)) throw new NeuroscanException(run + ": no such run directory");
        Manifest m = Manifest.read(run);
        if (!m.complete()) throw new NeuroscanException(run + ": the scan is not finished; run `neuroscan scan --resume --out " + run + "`");
        return m;
    }

    /**
     * Opens a run's store and token cache with the model it was scanned with (a different checkpoint than
     * the manifest's is refused), then the engines. Takes ownership of the tokenizer and the engines:
     * {@link #close} closes them.
     *
     * @param modelSpec how the user named the model, for the error message
     * @param engines   called once the run and the model agree
     */
    public static RunReports open(Path run, Manifest m, LoadedModel model, String modelSpec, Tokenizer tokenizer,
                                  Supplier<ReportEngines> engines) {
        StoreFile file = StoreFile.read(run.resolve(StoreFile.NAME));
        TopK store = file.topK();
        TokenCache cache = TokenCache.open(run.resolve(TokenCache.NAME));
        if (!file.docs().equals(m.docs())) {
            throw new NeuroscanException(run.resolve(StoreFile.NAME) + ": holds documents " + file.docs() + ", " + Manifest.NAME
                    + " says " + m.docs() + " (a store from another run or shard?)");
        }
        if (!cache.docs().equals(m.docs())) {
            throw new NeuroscanException(run.resolve(TokenCache.NAME) + ": holds documents " + cache.docs() + ", " + Manifest.NAME
                    + " says " + m.docs() + " (a token cache from another run or shard?)");
        }
        Hook hook = file.hook();
        for (int n = 0; n < store.neurons(); n++) {
            for (TopK.Example e : store.examples(n)) {
                int len = m.includePadding() ? Math.max(m.nCtx(), cache.length(e.doc())) : cache.length(e.doc());
                if (e.pos() >= len) {
                    throw new NeuroscanException(run.resolve(StoreFile.NAME) + ": corrupt store: rank " + e.rank() + " of neuron "
                            + (hook.nLayers() == 1 ? "" + n : hook.label(n))
                            + " puts the max of document " + e.doc() + " at position " + e.pos() + ", past its " + len + " tokens");
                }
            }
        }
        String sha = m.model().sha256();
        if (sha != null && !sha.equals(Sha256.file(ModelLoader.findCheckpoint(model.dir())))) {
            throw new NeuroscanException(modelSpec + " is not the model " + run + " was scanned with (sha256 differs); pass --model with that model");
        }
        Hook want = Hook.of(model.cfg());
        if (!want.equals(hook)) {
            throw new NeuroscanException(run + ": store has " + describe(hook) + " but the model has " + describe(want));
        }
        NeuronStats st = file.stats();
        if (st != null) {
            for (int n = 0; n < st.neurons(); n++)
                for (int b = 0; b < NeuronStats.BINS; b++)
                    for (NeuronStats.Sample s : st.samples(b, n)) {
                        int len = m.includePadding() ? Math.max(m.nCtx(), cache.length(s.doc())) : cache.length(s.doc());
                        if (s.pos() >= len) {
                            throw new NeuroscanException(run.resolve(StoreFile.NAME) + ": corrupt stats: a sample of neuron "
                                    + (hook.nLayers() == 1 ? "" + n : hook.label(n)) + " puts the max of document " + s.doc()
                                    + " at position " + s.pos() + ", past its " + len + " tokens");
                        }
                    }
        }
        return new RunReports(m, store, st, hook, cache, model, tokenizer, engines.get());
    }

    private static String describe(Hook h) {
        return h.nLayers() == 1 && h.name().equals(Hook.POST) ? "d_mlp " + h.dMlp()
                : h.nLayers() + (h.nLayers() == 1 ? " layer" : " layers") + " of d_mlp " + h.dMlp() + " (" + h.name() + ")";
    }

    public Manifest manifest() {
        return manifest;
    }

    /** Neurons per layer. */
    public int dMlp() {
        return hook.dMlp();
    }

    public Hook hook() {
        return hook;
    }

    /** What the site's index says about the whole run. */
    public Site.Meta siteMeta() {
        return new Site.Meta(manifest.model().id(), manifest.dataset().id(), 0, hook.nLayers());
    }

    /** How many forward passes may run at once (the engines' workers): more callers of {@link #text} would fail. */
    public int workers() {
        return engines.workers();
    }

    /** The model's context: the most tokens a text is traced over. */
    public int nCtx() {
        return model.cfg().nCtx();
    }

    /** The store's largest max activation of flat neuron {@code neuron} (NaN when it has no finite example). */
    public float topMax(int neuron) {
        checkNeuron(neuron);
        for (TopK.Example e : topK.examples(neuron)) if (e.pos() >= 0 && !Float.isNaN(e.max())) return e.max();
        return Float.NaN;
    }

    /** A text through the model on one of the engines (at most {@link #workers} callers at once). */
    public TextActivations text(String text) {
        Engine e = engines.acquire();
        try {
            return TextActivations.of(tokenizer, model.cfg().nCtx(), e, text);
        } finally {
            engines.release(e);
        }
    }

    /**
     * Layer {@code layer}'s rows of the site's index without a forward pass: the store gives each neuron's top
     * example, its max token and its density, one pass over W_U the logit effects. The same rows as
     * {@link Site}'s from {@link #all}'s reports.
     */
    public Site.Row[] indexRows(int layer) {
        var w = model.weights();
        var logits = w.W_U() == null ? null : LogitEffect.computeAll(w, layer, tokenizer::display, 1, 0);
        int dMlp = hook.dMlp();
        Site.Row[] rows = new Site.Row[dMlp];
        Map<Integer, String[]> display = new HashMap<>();
        for (int n = 0; n < dMlp; n++) {
            int g = hook.flat(layer, n);
            TopK.Example top = null;
            int shown = 0;
            for (TopK.Example e : topK.examples(g)) {
                if (e.pos() < 0 || Float.isNaN(e.max())) continue;   // as build() leaves them out
                if (top == null) top = e;
                shown++;
            }
            String maxToken = null;
            if (top != null) {
                String[] d = display.computeIfAbsent(top.doc(), doc -> tokenizer.displayTokens(scannedTokens(doc)));
                maxToken = d.length == 0 ? null : d[top.pos()];
            }
            var l = logits == null ? null : logits.get(n).top();
            rows[n] = new Site.Row(n, top == null ? Float.NaN : top.max(), maxToken, l == null || l.isEmpty() ? null : l.getFirst().token(),
                    shown, stats == null ? null : stats.density(g));
        }
        return rows;
    }

    /** What the activations are recomputed on, e.g. "reference, 4 workers". */
    public String engines() {
        return engines.describe();
    }

    /** neuroscope.io's page of flat neuron g, for the models it has pages for (the aliases neuroscan knows). */
    public String neuroscopeUrl(int neuron) {
        String id = manifest.model().id();
        return id != null && Known.model(id).isPresent() && Known.model(id).get().alias().equals(id)
                ? NeuroscopePage.url(id, hook.layer(neuron), hook.inLayer(neuron)) : null;
    }

    /** The flat index of {@code --layer layer --neuron neuron}; out of range is one line naming the ranges. */
    public int flat(int layer, int neuron) {
        return flat(hook, layer, neuron);
    }

    /** As {@link #flat(int, int)}, for a hook (trace has a model but no run). */
    public static int flat(Hook hook, int layer, int neuron) {
        if (layer < 0 || layer >= hook.nLayers()) {
            throw new NeuroscanException("--layer " + layer + " is outside 0.." + (hook.nLayers() - 1)
                    + (hook.nLayers() == 1 ? " (the model has one layer)" : ""));
        }
        if (neuron < 0 || neuron >= hook.dMlp()) throw new NeuroscanException("--neuron " + neuron + " is outside 0.." + (hook.dMlp() - 1));
        return hook.flat(layer, neuron);
    }

    public void checkNeuron(int neuron) {
        if (neuron < 0 || neuron >= neurons) throw new NeuroscanException("--neuron " + neuron + " is outside 0.." + (neurons - 1));
    }

    /** One neuron's report (flat index, {@link #flat}), with a forward pass over its top documents. */
    public NeuronReport report(int neuron) {
        checkNeuron(neuron);
        Map<Integer, float[]> acts = new HashMap<>();
        Engine e = engines.acquire();
        try {
            for (int d : docsOf(neuron)) acts.computeIfAbsent(d, x -> column(e.hookPost(scannedTokens(x)), neuron));
        } finally {
            engines.release(e);
        }
        var w = model.weights();
        var logits = w.W_U() == null ? null : LogitEffect.compute(w, hook.layer(neuron), hook.inLayer(neuron), tokenizer::display, 10, 5);
        return build(neuron, (n, doc) -> acts.get(doc), logits);
    }

    /**
     * Every neuron's report for a site, in flat order (layer by layer): each document in any top-k list runs
     * through the model once, the engines' workers taking documents from a shared counter, keeping only the
     * columns some neuron needs.
     */
    public List<NeuronReport> all() {
        Map<Integer, List<Integer>> neuronsOfDoc = new HashMap<>();
        for (int n = 0; n < neurons; n++) {
            for (int doc : docsOf(n)) neuronsOfDoc.computeIfAbsent(doc, d -> new ArrayList<>()).add(n);
        }
        Map<Long, float[]> acts = new ConcurrentHashMap<>();
        List<Integer> docs = new ArrayList<>(neuronsOfDoc.keySet());
        AtomicInteger next = new AtomicInteger();
        int workers = Math.max(1, Math.min(engines.workers(), docs.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                running.add(pool.submit(() -> {
                    Engine e = engines.acquire();
                    try {
                        for (int i; (i = next.getAndIncrement()) < docs.size(); ) {
                            int d = docs.get(i);
                            float[] post = e.hookPost(scannedTokens(d));
                            for (int n : neuronsOfDoc.get(d)) acts.put(key(n, d), column(post, n));
                        }
                    } finally {
                        engines.release(e);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) join(f);
        } finally {
            pool.shutdownNow();
        }
        // W_U is read once for all neurons, not once per neuron.
        var weights = model.weights();
        List<NeuronReport.Logits> logits = new ArrayList<>();
        if (weights.W_U() != null) {
            for (int l = 0; l < hook.nLayers(); l++) logits.addAll(LogitEffect.computeAll(weights, l, tokenizer::display, 10, 5));
        }
        return IntStream.range(0, neurons).mapToObj(n -> build(n, (nn, d) -> acts.get(key(nn, d)),
                logits.isEmpty() ? null : logits.get(n))).toList();
    }

    /** A worker's result; its exception as it was thrown (a NeuroscanException stays one line). */
    private static void join(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NeuroscanException("interrupted while recomputing activations", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The document as it was scanned: its tokens, padded with PAD to n_ctx for --include-padding runs. */
    private int[] scannedTokens(int doc) {
        int[] t = tokens.doc(doc);
        if (!manifest.includePadding() || t.length >= manifest.nCtx()) return t;
        int[] padded = Arrays.copyOf(t, manifest.nCtx());
        Arrays.fill(padded, t.length, padded.length, manifest.padToken());
        return padded;
    }

    private static long key(int neuron, int doc) {
        return ((long) neuron << 32) | (doc & 0xffffffffL);
    }

    private interface Activations {
        float[] of(int neuron, int doc);
    }

    /** The documents a neuron's report shows: its top k, then its quantile examples (each once). */
    private List<Integer> docsOf(int neuron) {
        java.util.LinkedHashSet<Integer> docs = new java.util.LinkedHashSet<>();
        for (TopK.Example e : topK.examples(neuron)) docs.add(e.doc());
        for (Quantiles.Interval q : quantiles(neuron)) for (NeuronStats.Sample s : q.samples()) docs.add(s.doc());
        return new ArrayList<>(docs);
    }

    private List<Quantiles.Interval> quantiles(int neuron) {
        return stats == null ? List.of() : Quantiles.of(stats, topK, neuron, stats.samples());
    }

    /** Density, histogram and the quantile examples of flat neuron {@code neuron} (nothing without statistics). */
    private NeuronReport withStats(NeuronReport r, int neuron, Activations acts) {
        if (stats == null) return r;
        List<NeuronReport.Quantile> qs = new ArrayList<>();
        for (Quantiles.Interval q : quantiles(neuron)) {
            List<NeuronReport.Example> ex = new ArrayList<>();
            for (NeuronStats.Sample s : q.samples()) ex.add(example(ex.size(), s.doc(), s.max(), s.pos(), acts.of(neuron, s.doc())));
            qs.add(new NeuronReport.Quantile(new float[]{q.lo(), q.hi()}, ex));
        }
        return r.withStats(stats.density(neuron), new NeuronReport.Histogram(NeuronStats.EDGES.clone(), stats.histogram(neuron)), qs);
    }

    private NeuronReport.Example example(int rank, int doc, float max, int pos, float[] a) {
        String[] display = tokenizer.displayTokens(scannedTokens(doc));
        float min = Float.POSITIVE_INFINITY;
        for (float v : a) min = Math.min(min, v);
        return new NeuronReport.Example(rank, doc, max, min, pos, List.of(display), a);
    }

    private NeuronReport build(int neuron, Activations acts, NeuronReport.Logits logits) {
        List<NeuronReport.Example> examples = new ArrayList<>();
        long bad = 0;
        for (TopK.Example e : topK.examples(neuron)) {
            if (e.pos() < 0 || Float.isNaN(e.max())) {   // a store from before NaN maxima were refused: no finite activation
                bad++;
                continue;
            }
            examples.add(example(e.rank(), e.doc(), e.max(), e.pos(), acts.of(neuron, e.doc())));
        }
        NeuronReport r = new NeuronReport(manifest.model().id(), manifest.dataset().id(), hook.layer(neuron), hook.inLayer(neuron), logits,
                examples, hook.dMlp(), neuroscopeUrl(neuron), manifest.nanCount(neuron) + bad)
                .withLayers(hook.nLayers() == 1 ? null : hook.nLayers());
        return withStats(r, neuron, acts);
    }

    private float[] column(float[] post, int neuron) {
        float[] c = new float[post.length / neurons];
        for (int p = 0; p < c.length; p++) c[p] = post[p * neurons + neuron];
        return c;
    }

    @Override
    public void close() {
        engines.close();
        tokenizer.close();
    }
}
