package neuroscan.scan;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.format.AtomicFiles;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
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
 * length -> batches -> {@link Engine#docMax} -> {@link TopK#merge}. Writes a run directory:
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
    private final ScanOptions o;
    private final ScanListener listener;

    public Scanner(Engine engine, ScanOptions options, ScanListener listener) {
        this.engine = engine;
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
        int dMlp = engine.dMlp();
        DocRange range = o.range();
        Manifest.Request request = new Manifest.Request(sources, o.topK(), o.includePadding(), range);
        createDir(out);
        Checkpoint ckpt = new Checkpoint(out);

        Manifest prior = Manifest.exists(out) ? Manifest.read(out) : null;
        if (prior != null && prior.complete()) {
            String why = prior.mismatch(request);
            if (o.resume() && why == null) {
                ckpt.clear();   // a kill may have landed between the final manifest and this cleanup
                note(out + ": already holds this finished scan");
                return prior;
            }
            throw new NeuroscanException(out + ": already holds a finished run" + (why == null ? "" : " of a different scan (" + why + ")")
                    + "; choose another --out");
        }
        if (prior != null) {
            if (!o.resume()) {
                throw new NeuroscanException(out + ": holds an unfinished scan; pass --resume to continue it, or choose another --out");
            }
            String why = prior.resumeMismatch(request);
            if (why == null && prior.nCtx() != o.nCtx()) why = "n_ctx is " + prior.nCtx() + ", requested " + o.nCtx();
            if (why == null && prior.dMlp() != dMlp) why = "d_mlp is " + prior.dMlp() + ", the engine has " + dMlp;
            if (why != null) throw new NeuroscanException(out + ": cannot resume: it holds a different scan (" + why + ")");
        }
        Checkpoint.removeStaleTemps(out);
        Checkpoint.removeStaleTemps(ckpt.dir());
        Checkpoint.State state = prior == null ? null : ckpt.load(range.start(), o.topK(), dMlp, o.includePadding());
        if (state == null) ckpt.clear();

        TopK topK = state == null ? new TopK(o.topK(), dMlp) : state.store().topK();
        int from = state == null ? range.start() : state.next();
        long docsDone = from - range.start(), tokensDone = state == null ? 0 : state.nTokens();
        Manifest.Timings before = state == null ? Manifest.Timings.ZERO : state.timings();
        String created = prior != null ? prior.created() : now();
        String backend = prior == null || prior.backend().equals(engine.describe()) ? engine.describe()
                : prior.backend() + ", then " + engine.describe();
        manifest(sources, false, from, false, docsDone, tokensDone, topK.nanSkipped(), backend, before, created, null).write(out);
        if (state != null) note("resuming " + out + " at document " + from + " (" + docsDone + " documents done)");
        listener.started(docsDone, tokensDone, docsTotal);

        Session s = new Session();
        List<int[]> pending = new ArrayList<>();
        int pendingStart = from, next = from, lastCheckpoint = from;
        Windows.End end;
        int maxDocs = o.maxBatchDocs();
        float[] bmax = new float[maxDocs * dMlp];
        int[] bargmax = new int[maxDocs * dMlp];
        try (Windows windows = open.apply(from)) {
            while (true) {
                long w0 = System.nanoTime();
                Windows.Item item = windows.take();
                if (item instanceof Windows.Failure f) throw rethrow(f.error());
                if (item instanceof Windows.End e) {
                    end = e;
                    break;
                }
                Windows.Window w = (Windows.Window) item;
                int[][] tokens = Windows.tokens(w);
                s.wait += System.nanoTime() - w0;

                for (int[] b : batches(tokens)) {
                    List<int[]> docs = new ArrayList<>(b.length);
                    int[] ids = new int[b.length];
                    long batchTokens = 0;
                    for (int j = 0; j < b.length; j++) {
                        int[] t = tokens[b[j]];
                        docs.add(o.includePadding() ? padded(t) : t);
                        ids[j] = w.ids()[b[j]];
                        batchTokens += t.length;
                    }
                    long c0 = System.nanoTime();
                    engine.docMax(docs, bmax, bargmax);
                    long c1 = System.nanoTime();
                    topK.merge(b.length, ids, bmax, bargmax);
                    s.compute += c1 - c0;
                    s.topk += System.nanoTime() - c1;
                    docsDone += b.length;
                    tokensDone += batchTokens;
                    listener.progress(docsDone, tokensDone);
                }
                pending.addAll(Arrays.asList(tokens));
                next = w.next();
                if (next - lastCheckpoint >= o.checkpointEvery()) {
                    long k0 = System.nanoTime();
                    ckpt.save(pendingStart, pending, new StoreFile(topK, new DocRange(range.start(), next), o.includePadding()),
                            tokensDone, before.plus(s.timings(windows, t0, k0)));
                    s.checkpoint += System.nanoTime() - k0;
                    pending.clear();
                    pendingStart = lastCheckpoint = next;
                    listener.checkpointed(docsDone, next);
                }
            }
            s.tokenize = windows.tokenizeNanos();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NeuroscanException("scan of " + out + " interrupted; run it again with --resume to continue");
        }
        if (next != end.docEnd()) {
            throw new IllegalStateException("scan ended at document " + next + " but the stream ended at " + end.docEnd());
        }
        int docEnd = end.docEnd();

        // Finish: last chunk, then tokens, store and a complete manifest, then drop the checkpoint.
        ckpt.save(pendingStart, pending, null, tokensDone, null);
        List<TokenCache> chunks = ckpt.chunks(range.start(), docEnd);
        Path tokensFile = out.resolve(TokenCache.NAME);
        if (chunks.isEmpty()) TokenCache.write(tokensFile, range.start(), List.of());
        else TokenCache.concat(tokensFile, chunks);
        new StoreFile(topK, new DocRange(range.start(), docEnd), o.includePadding()).write(out.resolve(StoreFile.NAME));
        Manifest.Timings timings = before.plus(s.timings(null, t0, System.nanoTime()));
        Manifest done = manifest(sources, true, docEnd, end.datasetExhausted(), docsDone, tokensDone, topK.nanSkipped(), backend,
                timings, created, now());
        done.write(out);
        ckpt.clear();
        if (topK.nanSkipped() > 0) note("warning: " + topK.nanSkipped() + " NaN activations were left out of the store (engine problem?)");
        note(String.format("scanned %d documents (%d tokens) into %s in %.1f s", docsDone, tokensDone, out, timings.totalS()));
        return done;
    }

    /** Per-session clocks, in nanoseconds. */
    private static final class Session {
        long wait, compute, topk, checkpoint, tokenize;

        Manifest.Timings timings(Windows w, long t0, long now) {
            long tok = w == null ? tokenize : w.tokenizeNanos();
            return new Manifest.Timings(sec(tok), sec(wait), sec(compute), sec(topk), sec(checkpoint), sec(now - t0), 1);
        }

        private static double sec(long nanos) {
            return Math.round(nanos / 1e6) / 1e3;
        }
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

    private Manifest manifest(Manifest.Sources src, boolean complete, int docEnd, boolean exhausted, long nDocs, long nTokens,
                              long nanSkipped, String backend, Manifest.Timings timings, String created, String finished) {
        return new Manifest(Manifest.FORMAT, Manifest.version(), complete, src.model(), src.tokenizer(), src.dataset(),
                StoreFile.HOOK, engine.dMlp(), o.nCtx(), o.topK(), o.includePadding(), o.includePadding() ? o.padToken() : null,
                o.range().toString(), o.range().start(), docEnd, exhausted, nDocs, nTokens, nanSkipped, backend, timings,
                created, finished);
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
