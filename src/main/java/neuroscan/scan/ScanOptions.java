package neuroscan.scan;

import neuroscan.NeuroscanException;
import neuroscan.store.DocRange;
import neuroscan.store.Hook;

import java.nio.file.Path;

/**
 * Everything {@code neuroscan scan} can be asked for. Build with {@link #defaults} and the withers.
 *
 * @param outDir          the run directory
 * @param topK            documents kept per neuron ({@code --top-k}, default 20)
 * @param range           global documents to scan ({@code --doc-range A:B}, cut by {@code --max-docs})
 * @param includePadding  pad every document with {@code padToken} to n_ctx and take the max over the
 *                        pad positions too, as the seed notebook did ({@code --include-padding})
 * @param padToken        PAD id (the tokenizer's; 2 for gelu-1l); only used with includePadding
 * @param nCtx            the model's context: documents are truncated to it (and padded to it)
 * @param threads         tokenizer threads working ahead of the engine ({@code --threads})
 * @param resume          continue an unfinished run in outDir ({@code --resume}); a finished matching run
 *                        is returned as it is
 * @param checkpointEvery documents between checkpoints ({@code --checkpoint-every}); rounded up to windows
 * @param windowDocs      documents sorted by length together; windows start at global multiples of this,
 *                        so batches are the same in a resumed run and in shards cut at such multiples
 * @param batchTokens     token budget of one engine call (documents x longest length in the batch)
 * @param maxBatchDocs    most documents in one engine call
 * @param quiet           no {@link ScanListener#note} lines ({@code --quiet})
 * @param hook            the model's scanned hook and layers ({@code Hook.of(config)}); null: one layer's hook_post
 *                        at the engine's width
 * @param stats           keep the statistics (density, histogram, quantile samples; default); {@code --no-stats}
 *                        keeps the top k only, e.g. so a GPU may screen the MLP with tensor cores. A resumed scan
 *                        continues as its checkpoint began.
 */
public record ScanOptions(Path outDir, int topK, DocRange range, boolean includePadding, int padToken, int nCtx,
                          int threads, boolean resume, int checkpointEvery, int windowDocs, int batchTokens,
                          int maxBatchDocs, boolean quiet, Hook hook, boolean stats) {

    public static final int DEFAULT_TOP_K = 20;
    public static final int DEFAULT_CHECKPOINT_EVERY = 2048;

    public ScanOptions {
        if (outDir == null) throw new NeuroscanException("--out: a run directory is required");
        if (topK < 1) throw new NeuroscanException("--top-k must be at least 1, got " + topK);
        if (nCtx < 1) throw new IllegalArgumentException("n_ctx must be positive");
        if (threads < 1) throw new NeuroscanException("--threads must be at least 1, got " + threads);
        if (checkpointEvery < 1) throw new NeuroscanException("--checkpoint-every must be at least 1, got " + checkpointEvery);
        if (includePadding && padToken < 0) throw new NeuroscanException("--include-padding: the tokenizer has no PAD token");
        if (windowDocs < 1 || batchTokens < 1 || maxBatchDocs < 1) throw new IllegalArgumentException("window and batch sizes must be positive");
    }

    /** Top-k 20, all documents, no padding, a tokenizer thread per core, checkpoints every 2048 documents. */
    public static ScanOptions defaults(Path outDir, int nCtx) {
        return new ScanOptions(outDir, DEFAULT_TOP_K, DocRange.ALL, false, -1, nCtx,
                Runtime.getRuntime().availableProcessors(), false, DEFAULT_CHECKPOINT_EVERY, 1024, 16384, 64, false, null, true);
    }

    public ScanOptions withTopK(int k) {
        return new ScanOptions(outDir, k, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    /** {@code --doc-range} and {@code --max-docs} together: e.g. {@code DocRange.parse("100:").limit(50)}. */
    public ScanOptions withRange(DocRange r) {
        return new ScanOptions(outDir, topK, r, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withPadding(boolean include, int pad) {
        return new ScanOptions(outDir, topK, range, include, pad, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withThreads(int n) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, n, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withResume(boolean r) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, r, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withCheckpointEvery(int docs) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, docs, windowDocs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withWindowDocs(int docs) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, docs, batchTokens, maxBatchDocs, quiet, hook, stats);
    }

    public ScanOptions withBatch(int tokens, int docs) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, tokens, docs, quiet, hook, stats);
    }

    public ScanOptions withHook(Hook h) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, h, stats);
    }

    public ScanOptions withQuiet(boolean q) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, q, hook, stats);
    }

    public ScanOptions withStats(boolean keep) {
        return new ScanOptions(outDir, topK, range, includePadding, padToken, nCtx, threads, resume, checkpointEvery, windowDocs, batchTokens, maxBatchDocs, quiet, hook, keep);
    }
}
