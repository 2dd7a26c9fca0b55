package neuroscan.scan;

import neuroscan.data.Document;
import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.ScreenCounts;
import neuroscan.engine.TopKScan;
import neuroscan.store.Hook;
import neuroscan.format.AtomicFiles;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.store.NeuronStats;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * A scan: documents -> tokens (tokenizer threads working ahead, or a token cache) -> windows sorted by
 * length -> batches -> {@link Engine#topKScan}'s {@link TopKScan#add}, which runs the model and merges
 * the batch into the running top-k store where the engine keeps it (device memory for GPU engines, else
 * {@link TopK#merge} on the host; the manifest's {@code topk_merge} says which). The store comes back
 * ({@link TopKScan#store()}) only at checkpoints and at the end. Writes a run directory:
 * {@code manifest.json}, {@code store.safetensors}, {@code tokens.safetensors}, and while unfinished
 * {@code checkpoint/}.
 *
 * <p>Exact resume: the store after any set of documents depends only on that set ({@link TopK}), and a
 * checkpoint is taken only at window boundaries, so it always holds exactly documents [start, next). A
 * resumed scan skips those and merges the rest; with windows at global multiples of
 * {@code windowDocs}, even the batches are the ones an uninterrupted scan would have used. Hence a
 * resumed run's store is byte-identical to an uninterrupted one, wherever a kill landed.
 */
public final class Scanner {
    private final Engine engine;
    /** What the store's columns are: the model's hook over its layers. */
    private final Hook hook;
    private final ScanOptions o;
    private final ScanListener listener;

    public Scanner(Engine engine, ScanOptions options, ScanListener listener) {
        this.engine = engine;
        this.hook = options.hook() != null ? options.hook() : Hook.single(engine.neurons());
        if (hook.neurons() != engine.neurons()) {
            throw new IllegalArgumentException("the engine has " + engine.neurons() + " neurons, the scan's hook " + hook);
        }
        this.o = options;
        this.listener = listener == null ? ScanListener.NONE : listener;
    }

    /**
     * Scans documents from a stream, tokenizing them as they come.
     *
     * @param documents rows in order with consecutive indices, starting at or before the range start
     * @param tokenizer text -> token ids with BOS first, truncated to n_ctx; called from several threads
     *                  at once, so it must be thread-safe
     * @return the finished run's manifest
     */
    public Manifest scan(Manifest.Sources sources, Iterator<Document> documents, Function<String, int[]> tokenizer) {
        DocRange r = o.range();
        return run(sources, from -> Windows.tokenizing(documents, tokenizer, o.nCtx(), r, from, o.windowDocs(), o.threads()),
                r.size());
    }

    /**
     * Scans the documents of another finished run's token cache, without tokenizing (a re-scan with a
     * different k or padding, say). That run must have the same tokenizer, dataset and n_ctx and cover
     * the requested range.
     */
    public Manifest scan(Manifest.Sources sources, Path tokensOfRun) {
        Manifest other = Manifest.read(tokensOfRun);
        DocRange r = o.range();
        String why = !other.complete() ? "its scan is not finished"
                : !other.tokenizer().sameAs(sources.tokenizer()) ? "its tokenizer is " + other.tokenizer()
                : !other.dataset().sameAs(sources.dataset()) ? "its dataset is " + other.dataset()
                : other.nCtx() != o.nCtx() ? "its n_ctx is " + other.nCtx() + ", not " + o.nCtx()
                : r.start() < other.docStart() || (r.end() > other.docEnd() && !other.datasetExhausted())
                ? "it covers documents " + other.docs() + ", requested " + r : null;
        if (why != null) throw new NeuroscanException(tokensOfRun + ": cannot reuse its tokens: " + why);
        TokenCache cache = TokenCache.open(tokensOfRun.resolve(TokenCache.NAME));
        long total = Math.min(r.end(), (long) other.docEnd()) - r.start();
        return run(sources, from -> Windows.fromCache(cache, other.datasetExhausted(), r, from, o.windowDocs()), Math.max(0, total));
    }

    private Manifest run(Manifest.Sources sources, IntFunction<Windows> open, long docsTotal) {
        long t0 = System.nanoTime();
        Path out = o.outDir();
        createDir(out);
        try (RunLock lock = RunLock.acquire(out)) {   // one scan per directory, released on exit (and by the OS on kill -9)
            return runLocked(sources, open, docsTotal, t0, out);
        }
    }

    private Manifest runLocked(Manifest.Sources sources, IntFunction<Windows> open, long docsTotal, long t0, Path out) {
        if (o.checkpointEvery() < o.windowDocs()) {
            listener.note("note: --checkpoint-every " + o.checkpointEvery() + " is below the scan's " + o.windowDocs()
                    + "-document window; checkpoints are taken once per window (every " + o.windowDocs() + " documents)");
        }
        Checkpoint ckpt = new Checkpoint(out);
        Manifest prior = Manifest.exists(out) ? Manifest.read(out) : null;
        if (prior != null && reusable(prior, new Manifest.Request(sources, o.topK(), o.includePadding(), o.range()))) {
            ckpt.clear();   // a kill may have landed between the final manifest and this cleanup
            note(out + ": already holds this finished scan");
            return prior;
        }
        Checkpoint.removeStaleTemps(out);
        Checkpoint.removeStaleTemps(ckpt.dir());
        Checkpoint.State state = prior == null ? null : ckpt.load(o.range().start(), o.topK(), hook, o.includePadding());
        if (state == null) ckpt.clear();
        if (state == null) checkStoreFits(o.topK(), engine.neurons(), Runtime.getRuntime().maxMemory());
        TopK initial = state == null ? new TopK(o.topK(), engine.neurons()) : state.store().topK();
        // a resumed scan continues as its checkpoint began: with statistics or (--no-stats, or from before them) without
        NeuronStats initialStats = state != null ? state.store().stats() : o.stats() ? new NeuronStats(engine.neurons()) : null;
        // closed on every path; an error of the scan stays the error (a failing close is added as suppressed)
        try (TopKScan scan = engine.topKScan(initial, initialStats)) {
            Run run = new Run(sources, ckpt, prior, state, initial, scan, t0);
            run.manifest(false, run.from, false, null).write(out);   // also fails early on an unwritable directory
            if (state != null) note("resuming " + out + " at document " + run.from + " (" + run.docsDone + " documents done)");
            listener.started(run.docsDone, run.tokensDone, docsTotal);
            Windows.End end;
            try (Windows windows = open.apply(run.from)) {
                end = run.consume(windows);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NeuroscanException("scan of " + out + " interrupted; run it again with --resume to continue");
            }
            return run.finish(end);
        }
    }

    /**
     * Whether an existing run in the out directory is the requested scan, finished (then it is returned
     * as it is, given --resume); throws when the directory cannot take this scan; false to go on.
     */
    private boolean reusable(Manifest prior, Manifest.Request request) {
        Path out = o.outDir();
        if (prior.complete()) {
            String why = prior.mismatch(request);
            if (o.resume() && why == null) return true;
            throw new NeuroscanException(out + ": already holds a finished run" + (why == null ? "" : " of a different scan (" + why + ")")
                    + "; choose another --out");
        }
        if (!o.resume()) {
            throw new NeuroscanException(out + ": holds an unfinished scan; pass --resume to continue it, or choose another --out");
        }
        String why = prior.resumeMismatch(request);
        if (why == null && prior.nCtx() != o.nCtx()) why = "n_ctx is " + prior.nCtx() + ", requested " + o.nCtx();
        if (why == null && !prior.layers().equals(hook)) {
            why = prior.nLayers() + " layers of d_mlp " + prior.dMlp() + " " + prior.hook() + ", the model has " + hook.nLayers()
                    + " of " + hook.dMlp() + " " + hook.name();
        }
        if (why != null) throw new NeuroscanException(out + ": cannot resume: it holds a different scan (" + why + ")");
        return false;
    }

    /**
     * One scan call: the engine's {@link TopKScan}, counters and clocks, from a checkpoint or from nothing.
     * {@code store} is the store as last read back from the scan (at the start, the one it continues from).
     */
    private final class Run {
        final Manifest.Sources sources;
        final Checkpoint ckpt;
        final TopKScan scan;
        TopK store;
        final int start, from;
        final Manifest.Timings before;
        final Manifest.Screening screenBefore;   // the screen's counters of earlier sessions (null: none)
        final String created, backend, topkMerge;
        final long t0;
        long docsDone, tokensDone;
        long waitNs, computeNs, topkNs, checkpointNs, tokenizeNs;
        final List<int[]> pending = new ArrayList<>();   // tokens since the last checkpoint, for its chunk
        int pendingStart, next, lastCheckpoint;

        Run(Manifest.Sources sources, Checkpoint ckpt, Manifest prior, Checkpoint.State state, TopK initial, TopKScan scan, long t0) {
            this.sources = sources;
            this.ckpt = ckpt;
            this.scan = scan;
            this.store = initial;
            this.t0 = t0;
            start = o.range().start();
            from = state == null ? start : state.next();
            pendingStart = next = lastCheckpoint = from;
            docsDone = from - start;
            tokensDone = state == null ? 0 : state.nTokens();
            before = state == null ? Manifest.Timings.ZERO : state.timings();
            screenBefore = state == null ? null : state.screening();
            created = prior != null ? prior.created() : now();
            backend = then(prior == null ? null : prior.backend(), engine.describe());
            topkMerge = then(prior == null ? null : prior.topkMerge(), scan.mergeLocation());
        }

        /** Takes windows until the end: batches through the engine into the store, checkpoints between. */
        Windows.End consume(Windows windows) throws InterruptedException {
            while (true) {
                long w0 = System.nanoTime();
                Windows.Item item = windows.take();
                if (item instanceof Windows.Failure f) throw rethrow(f.error());
                if (item instanceof Windows.End e) {
                    tokenizeNs = windows.tokenizeNanos();
                    return e;
                }
                Windows.Window w = (Windows.Window) item;
                int[][] tokens = Windows.tokens(w);
                waitNs += System.nanoTime() - w0;
                for (int[] b : batches(tokens)) batch(w.ids(), tokens, b);
                pending.addAll(Arrays.asList(tokens));
                next = w.next();
                if (next - lastCheckpoint >= o.checkpointEvery()) {
                    long k0 = System.nanoTime();
                    store = scan.store();   // read back (from the device) only here and at the end
                    ckpt.save(pendingStart, pending, new StoreFile(store, new DocRange(start, next), o.includePadding(), hook, scan.stats()),
                            tokensDone, timings(windows.tokenizeNanos(), k0), screening());
                    checkpointNs += System.nanoTime() - k0;
                    pending.clear();
                    pendingStart = lastCheckpoint = next;
                    listener.checkpointed(docsDone, next);
                }
            }
        }

        /**
         * Documents tokens[b[j]] (global ids[b[j]]) through the engine and into the store. Compute time is
         * the time in {@link TopKScan#add} less its host merging, which is the top-k time (a device merge
         * is part of the engine's work, so counts as compute).
         */
        void batch(int[] ids, int[][] tokens, int[] b) {
            List<int[]> docs = new ArrayList<>(b.length);
            int[] docIds = new int[b.length];
            long n = 0;
            for (int j = 0; j < b.length; j++) {
                int[] t = tokens[b[j]];
                docs.add(o.includePadding() ? padded(t) : t);
                docIds[j] = ids[b[j]];
                n += t.length;
            }
            long m0 = scan.hostMergeNanos();
            long c0 = System.nanoTime();
            scan.add(docs, docIds);
            long spent = System.nanoTime() - c0;
            long merged = scan.hostMergeNanos() - m0;
            computeNs += spent - merged;
            topkNs += merged;
            docsDone += b.length;
            tokensDone += n;
            listener.progress(docsDone, tokensDone);
        }

        /** The last chunk, then tokens, store and the complete manifest, and only then drop the checkpoint. */
        Manifest finish(Windows.End end) {
            Path out = o.outDir();
            int docEnd = end.docEnd();
            if (next != docEnd) throw new IllegalStateException("scan stopped at document " + next + ", the stream at " + docEnd);
            ckpt.save(pendingStart, pending, null, tokensDone, null);
            List<TokenCache> chunks = ckpt.chunks(start, docEnd);
            Path tokensFile = out.resolve(TokenCache.NAME);
            if (chunks.isEmpty()) TokenCache.write(tokensFile, start, List.of());
            else TokenCache.concat(tokensFile, chunks);
            store = scan.store();
            new StoreFile(store, new DocRange(start, docEnd), o.includePadding(), hook, scan.stats()).write(out.resolve(StoreFile.NAME));
            Manifest done = manifest(true, docEnd, end.datasetExhausted(), now());
            done.write(out);
            ckpt.clear();
            if (store.nanSkipped() > 0) listener.note(nanWarning(store));
            if (docsDone == 0 && start == docEnd) {
                listener.note("warning: no documents were scanned: " + (end.datasetExhausted()
                        ? (docEnd == 0 ? "the dataset is empty" : "the dataset has " + docEnd + " documents") + ", the requested range is " + o.range()
                        : "the requested range " + o.range() + " is empty"));
            } else if (end.datasetExhausted() && o.range().end() != Integer.MAX_VALUE && docEnd < o.range().end()) {
                listener.note("warning: the dataset ended at document " + docEnd + ", before the requested range " + o.range() + " did");
            }   // a warning: even with --quiet
            note(String.format("scanned %d documents (%d tokens) into %s in %.1f s", docsDone, tokensDone, out, done.timings().totalS()));
            return done;
        }

        Manifest.Timings timings(long tokNs, long now) {
            return before.plus(new Manifest.Timings(sec(tokNs), sec(waitNs), sec(computeNs), sec(topkNs), sec(checkpointNs),
                    sec(now - t0), 1));
        }

        Manifest manifest(boolean complete, int docEnd, boolean exhausted, String finished) {
            return new Manifest(Manifest.FORMAT, Manifest.version(), complete, sources.model(), sources.tokenizer(), sources.dataset(),
                    hook.name(), hook.nLayers(), hook.dMlp(), o.nCtx(), o.topK(), o.includePadding(), o.includePadding() ? o.padToken() : null,
                    o.range().toString(), start, docEnd, exhausted, docsDone, tokensDone, store.nanSkipped(), store.nanNeurons(), backend,
                    topkMerge, timings(tokenizeNs, System.nanoTime()), created, finished, screening());
        }

        /** The screen's counters over every session so far (null when none screened). */
        Manifest.Screening screening() {
            ScreenCounts c = scan.screenCounts();
            return Manifest.Screening.plus(screenBefore, c == null ? null : Manifest.Screening.of(c.screened(), c.recomputed()));
        }
    }

    /**
     * Refuses a --top-k whose store cannot fit: k x d_mlp slots of 12 bytes (max, doc, pos), held about three
     * times at once (the scan's store, a copy taken at checkpoints, the file being written).
     */
    static void checkStoreFits(int k, int dMlp, long heapBytes) {
        long slots = (long) k * dMlp, need = slots * 12 * 3;
        if (slots > Integer.MAX_VALUE - 8 || need > heapBytes) {
            long maxK = Math.max(1, Math.min((Integer.MAX_VALUE - 8L) / dMlp, heapBytes / (36L * dMlp)));
            throw new NeuroscanException("--top-k " + k + " is too large: the store of " + dMlp + " neurons would need "
                    + gib(need) + " of memory, and Java may use " + gib(heapBytes) + "; use --top-k " + maxK
                    + " or less, or give Java more memory (NEUROSCAN_JAVA_OPTS=-Xmx...)");
        }
    }

    private static String gib(long bytes) {
        return String.format("%.1f GiB", bytes / (double) (1L << 30));
    }

    /** One stderr line: how many documents had a NaN max, in how many neurons, the worst few. */
    static String nanWarning(TopK store) {
        var per = store.nanNeurons();
        String worst = per.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(5)
                .map(e -> "neuron " + e.getKey() + ": " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        return "warning: " + store.nanSkipped() + " NaN document maxima left out of the store, in " + per.size()
                + (per.size() == 1 ? " neuron (" : " neurons (") + worst + (per.size() > 5 ? ", ..." : "")
                + "); see nan_neurons in " + Manifest.NAME;
    }

    /**
     * A manifest's backend or topk_merge for this session: {@code now} for a new run, else the prior's,
     * with {@code ", then " + now} appended when the engine changed ("host, then device").
     */
    private static String then(String prior, String now) {
        if (prior == null || prior.equals(now) || prior.endsWith(", then " + now)) return prior == null ? now : prior;
        return prior + ", then " + now;
    }

    private static double sec(long nanos) {
        return Math.round(nanos / 1e6) / 1e3;
    }

    /**
     * Cuts a window into engine batches: documents sorted by (length, index) so a batch holds similar
     * lengths, each batch at most maxBatchDocs documents and batchTokens tokens (documents x longest).
     * Returns positions within the window. Deterministic in the window's contents.
     */
    private List<int[]> batches(int[][] tokens) {
        int n = tokens.length;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = ((long) length(tokens[i]) << 32) | i;
        Arrays.sort(keys);
        List<int[]> out = new ArrayList<>();
        int i = 0;
        while (i < n) {
            int j = i;
            while (j < n && j - i < o.maxBatchDocs() && (j == i || (long) (j - i + 1) * (keys[j] >>> 32) <= o.batchTokens())) j++;
            int[] b = new int[j - i];
            for (int x = i; x < j; x++) b[x - i] = (int) keys[x];
            out.add(b);
            i = j;
        }
        return out;
    }

    private int length(int[] t) {
        return o.includePadding() ? o.nCtx() : t.length;
    }

    /** The document followed by PAD up to n_ctx, as the seed batched it. */
    private int[] padded(int[] t) {
        int[] p = Arrays.copyOf(t, o.nCtx());
        Arrays.fill(p, t.length, p.length, o.padToken());
        return p;
    }

    private static void createDir(Path out) {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new NeuroscanException(out + ": exists and is not a directory");
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new NeuroscanException(out + ": cannot create the run directory: " + AtomicFiles.describe(e));
        }
    }

    private void note(String message) {
        if (!o.quiet()) listener.note(message);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
