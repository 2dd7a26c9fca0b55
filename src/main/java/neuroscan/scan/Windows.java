package neuroscan.scan;

import neuroscan.data.Document;
import neuroscan.NeuroscanException;
import neuroscan.store.DocRange;
import neuroscan.store.TokenCache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The producer side of a scan: a thread reads documents in order and cuts them into windows (all
 * documents whose index / windowDocs is equal, within the range), handing each document's text to a
 * pool of tokenizer threads. Windows go into a queue of two, whose tokens are futures, so tokenizing
 * runs ahead of the engine while memory stays bounded by a few windows.
 */
final class Windows implements AutoCloseable {

    sealed interface Item permits Window, End, Failure {
    }

    /** Documents ids[i] (ascending), their tokens (BOS first, at most n_ctx), and the next index after them. */
    record Window(int[] ids, List<Future<int[]>> tokens, int next) implements Item {
    }

    /** No more windows. {@code docEnd}: one past the last document of the scan. */
    record End(boolean datasetExhausted, int docEnd) implements Item {
    }

    record Failure(Throwable error) implements Item {
    }

    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(2);
    private final AtomicLong tokenizeNanos = new AtomicLong();
    private final int windowDocs;
    private final ExecutorService pool;
    private Thread thread;
    // producer-thread state of the window being filled
    private final List<Integer> ids = new ArrayList<>();
    private final List<Future<int[]>> futures = new ArrayList<>();
    private int window = -1;

    private Windows(int windowDocs, ExecutorService pool) {
        this.windowDocs = windowDocs;
        this.pool = pool;
    }

    /** Documents from a stream, tokenized on {@code threads} threads; documents before {@code from} are skipped. */
    static Windows tokenizing(Iterator<Document> docs, Function<String, int[]> tokenizer, int nCtx, DocRange range,
                              int from, int windowDocs, int threads) {
        Windows w = new Windows(windowDocs, Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "neuroscan-tokenize");
            t.setDaemon(true);
            return t;
        }));
        w.start(() -> {
            int prev = -1;
            boolean reachedEnd = false;
            while (docs.hasNext()) {
                Document d = docs.next();
                int i = d.index();
                if (prev < 0 ? i > range.start() : i != prev + 1) {
                    throw new IllegalStateException("document stream must be consecutive from at most " + range.start()
                            + ": got index " + i + " after " + prev);
                }
                prev = i;
                if (i >= range.end()) {
                    reachedEnd = true;
                    break;
                }
                if (i < from) continue;
                String text = d.text();
                w.offer(i, w.pool.submit(() -> w.tokenize(tokenizer, text, i, nCtx)));
            }
            w.flush();
            return reachedEnd ? new End(false, range.end()) : new End(true, Math.max(from, prev + 1));
        });
        return w;
    }

    /**
     * Documents from an existing token cache. {@code cacheReachesDatasetEnd}: the cache's run saw the end
     * of the dataset, so a range past the cache ends where the cache does.
     */
    static Windows fromCache(TokenCache cache, boolean cacheReachesDatasetEnd, DocRange range, int from, int windowDocs) {
        Windows w = new Windows(windowDocs, null);
        w.start(() -> {
            int end = Math.min(range.end(), cache.docs().end());
            for (int i = Math.max(from, range.start()); i < end; i++) {
                w.offer(i, CompletableFuture.completedFuture(cache.doc(i)));
            }
            w.flush();
            boolean exhausted = cacheReachesDatasetEnd && range.end() >= cache.docs().end();
            return exhausted ? new End(true, Math.max(from, cache.docs().end())) : new End(false, range.end());
        });
        return w;
    }

    private interface Body {
        End run() throws InterruptedException;
    }

    private void start(Body body) {
        thread = new Thread(() -> {
            try {
                queue.put(body.run());
            } catch (InterruptedException e) {
                // closed by the consumer
            } catch (Throwable t) {
                try {
                    queue.put(new Failure(t));
                } catch (InterruptedException ignored) {
                    // closed by the consumer
                }
            }
        }, "neuroscan-documents");
        thread.setDaemon(true);
        thread.start();
    }

    private int[] tokenize(Function<String, int[]> tokenizer, String text, int index, int nCtx) {
        long t0 = System.nanoTime();
        int[] t = tokenizer.apply(text);
        tokenizeNanos.addAndGet(System.nanoTime() - t0);
        if (t == null || t.length == 0) {
            throw new NeuroscanException("document " + index + ": the tokenizer returned no tokens (expected BOS first)");
        }
        return t.length > nCtx ? Arrays.copyOf(t, nCtx) : t;
    }

    private void offer(int index, Future<int[]> tokens) throws InterruptedException {
        int w = index / windowDocs;
        if (w != window) flush();
        window = w;
        ids.add(index);
        futures.add(tokens);
    }

    private void flush() throws InterruptedException {
        if (ids.isEmpty()) return;
        int[] a = ids.stream().mapToInt(Integer::intValue).toArray();
        queue.put(new Window(a, List.copyOf(futures), a[a.length - 1] + 1));
        ids.clear();
        futures.clear();
    }

    /** The next window, the end, or the producer's failure. */
    Item take() throws InterruptedException {
        return queue.take();
    }

    /** The tokens of a window, waiting for the tokenizer threads where they are behind. */
    static int[][] tokens(Window w) throws InterruptedException {
        int[][] out = new int[w.ids().length][];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = w.tokens().get(i).get();
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) throw r;
                if (c instanceof Error err) throw err;
                throw new IllegalStateException(c);
            }
        }
        return out;
    }

    /** Nanoseconds spent inside the tokenizer, summed over threads. */
    long tokenizeNanos() {
        return tokenizeNanos.get();
    }

    @Override
    public void close() {
        thread.interrupt();
        if (pool != null) pool.shutdownNow();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
            if (pool != null) pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
