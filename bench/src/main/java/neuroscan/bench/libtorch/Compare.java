package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDManager;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.store.TopK;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * Side-by-side run: neuroscan's CpuEngine scan against two LibTorch (DJL, CPU) pipelines on the same
 * weights and documents. First checks the stores are equal (same documents per neuron and rank, values
 * within 1e-4): the seed pipeline against neuroscan with include-padding semantics, the best pipeline
 * against neuroscan's default. Then prints docs/s, tokens/s (real tokens, pads not counted) and ratios.
 * Exits 1 when a store differs.
 *
 * <pre>java ... neuroscan.bench.libtorch.Compare [--docs 200] [--top-k 20] [--model DIR] [--seed 1]</pre>
 * Without --model, a gelu-1l-shaped random model is written once to target/gelu1l-shaped with
 * TorchCheckpointWriter (test classes, which must be on the classpath then; see bench/README.md).
 */
public final class Compare {
    static final int BOS = 1, PAD = SeedPipeline.PAD;
    static final float TOLERANCE = 1e-4f;

    private Compare() {
    }

    public static void main(String[] args) throws Exception {
        int nDocs = 200, k = 20;
        long seed = 1;
        Path model = Path.of("target/gelu1l-shaped");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> nDocs = Integer.parseInt(args[++i]);
                case "--top-k" -> k = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--model" -> model = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (!Files.exists(model.resolve(ModelLoader.CONFIG))) writeGelu1lShaped(model);
        LoadedModel lm = ModelLoader.load(model);
        List<int[]> docs = c4LikeDocs(nDocs, lm.cfg().nCtx(), lm.cfg().dVocab(), seed);
        long tokens = docs.stream().mapToLong(d -> d.length).sum();
        System.out.printf("model %s, %d documents, %d tokens (mean %.0f, %d at n_ctx), top-k %d, %d cores%n", model, nDocs,
                tokens, tokens / (double) nDocs, docs.stream().filter(d -> d.length == lm.cfg().nCtx()).count(), k,
                Runtime.getRuntime().availableProcessors());
        List<int[]> padded = docs.stream().map(d -> {
            int[] p = Arrays.copyOf(d, lm.cfg().nCtx());
            Arrays.fill(p, d.length, p.length, PAD);
            return p;
        }).toList();

        try (CpuEngine engine = new CpuEngine(lm.weights()); NDManager m = LibTorch.manager();
             TorchForward fwd = new TorchForward(lm.weights(), m)) {
            System.out.println("neuroscan: " + engine.describe() + "; baseline: " + LibTorch.describe());
            SeedPipeline seedPipe = new SeedPipeline(fwd, m);
            BestPipeline best = new BestPipeline(fwd, m);
            int fk = k;
            // Warm up every path once on a few documents (JIT, libtorch's allocator and thread pool).
            List<int[]> few = docs.subList(0, Math.min(4, docs.size()));
            neuroscan(engine, few, fk);
            seedPipe.run(few, fk);
            best.run(few, fk);

            Timed<TopK> nsPad = Timed.of(() -> neuroscan(engine, padded, fk));
            Timed<TopK> seedStore = Timed.of(() -> seedPipe.run(docs, fk));
            Timed<TopK> ns = Timed.of(() -> neuroscan(engine, docs, fk));
            Timed<TopK> bestStore = Timed.of(() -> best.run(docs, fk));

            int bad = check("seed pipeline vs neuroscan --include-padding", seedStore.value, nsPad.value, false)
                    + check("best pipeline vs neuroscan", bestStore.value, ns.value, true);
            System.out.println();
            System.out.printf("%-38s %9s %10s %12s%n", "pipeline", "seconds", "docs/s", "tokens/s");
            row("neuroscan CpuEngine (padded to n_ctx)", nsPad.seconds, nDocs, tokens);
            row("LibTorch seed (padded, MaxStore)", seedStore.seconds, nDocs, tokens);
            row("neuroscan CpuEngine (default)", ns.seconds, nDocs, tokens);
            row("LibTorch best (unpadded, topk merge)", bestStore.seconds, nDocs, tokens);
            System.out.printf("neuroscan default vs LibTorch seed: %.2fx; vs LibTorch best: %.2fx%n",
                    seedStore.seconds / ns.seconds, bestStore.seconds / ns.seconds);
            System.out.printf("padded to n_ctx, neuroscan vs LibTorch seed (same work): %.2fx%n", seedStore.seconds / nsPad.seconds);
            if (bad > 0) {
                System.out.println("STORES DIFFER in " + bad + " neurons");
                System.exit(1);
            }
        }
    }

    /** neuroscan's scan path: CpuEngine.docMax per window, TopK.merge (what Scanner does per batch). */
    static TopK neuroscan(CpuEngine engine, List<int[]> docs, int k) {
        int dMlp = engine.dMlp(), window = 64;
        TopK store = new TopK(k, dMlp);
        float[] max = new float[window * dMlp];
        int[] argmax = new int[window * dMlp];
        for (int s = 0; s < docs.size(); s += window) {
            int e = Math.min(docs.size(), s + window);
            engine.docMax(docs.subList(s, e), max, argmax);
            int[] ids = new int[e - s];
            for (int i = 0; i < ids.length; i++) ids[i] = s + i;
            store.merge(ids.length, ids, max, argmax);
        }
        return store;
    }

    /**
     * Counts neurons whose stores differ: per neuron the same set of documents, each document's value
     * within 1e-4, and at every rank values within 1e-4 (so the order agrees up to near-ties). Two
     * float32 implementations sum in different orders (differences ~1e-5), so documents whose maxima
     * are that close may swap ranks; such swaps are counted and shown, not failed. A document that is
     * in one store only fails unless it is such a near-tie with the k-th entry (shown too).
     * Argmax positions are compared per document where both stores have them.
     */
    static int check(String what, TopK got, TopK want, boolean positions) {
        int bad = 0, swaps = 0, boundary = 0, posDiff = 0, shown = 0;
        float worst = 0;
        int k = want.k();
        for (int n = 0; n < want.dMlp(); n++) {
            Map<Integer, Integer> wantRank = new HashMap<>();
            for (int r = 0; r < k; r++) wantRank.put(want.doc(r, n), r);
            float kth = want.max(k - 1, n);
            boolean neuronBad = false;
            for (int r = 0; r < k; r++) {
                float rankDiff = Math.abs(got.max(r, n) - want.max(r, n));
                boolean rankOk = rankDiff <= TOLERANCE || got.max(r, n) == want.max(r, n);
                if (rankOk) worst = Math.max(worst, rankDiff);
                Integer w = wantRank.get(got.doc(r, n));
                boolean docOk;
                if (w == null) {                      // in got only: a near-tie at the k boundary at best
                    docOk = Math.abs(got.max(r, n) - kth) <= TOLERANCE;
                    if (docOk) boundary++;
                } else {
                    docOk = Math.abs(got.max(r, n) - want.max(w, n)) <= TOLERANCE || got.max(r, n) == want.max(w, n);
                    if (w != r) swaps++;
                    if (positions && docOk && got.pos(r, n) != want.pos(w, n)) posDiff++;
                }
                if ((!rankOk || !docOk || (w != null && w != r)) && shown++ < 6) {
                    System.out.printf("  %s: neuron %d rank %d: doc %d max %.7f, neuroscan has doc %d max %.7f%s%n", what, n, r,
                            got.doc(r, n), got.max(r, n), want.doc(r, n), want.max(r, n), rankOk && docOk ? " (near-tie)" : "");
                }
                neuronBad |= !rankOk || !docOk;
            }
            if (neuronBad) bad++;
        }
        System.out.printf("%s: %s (%d x %d slots; largest value difference %.2e; %d rank swaps between near-tied documents,"
                        + " %d near-ties at the k boundary%s)%n", what, bad == 0 ? "EQUAL" : bad + " NEURONS DIFFER", k, want.dMlp(),
                worst, swaps, boundary, positions ? "; " + posDiff + " argmax positions differ" : "");
        return bad;
    }

    private static void row(String name, double s, int docs, long tokens) {
        System.out.printf("%-38s %9.2f %10.1f %12.0f%n", name, s, docs / s, tokens / s);
    }

    /**
     * Random documents with C4-like lengths: BOS then uniform token ids, length log-normal (median
     * ~350) clipped to [2, n_ctx], so the mean is ~450 and a few percent are truncated at n_ctx.
     */
    static List<int[]> c4LikeDocs(int n, int nCtx, int dVocab, long seed) {
        var rng = new SplittableRandom(seed);
        List<int[]> docs = new ArrayList<>(n);
        for (int d = 0; d < n; d++) {
            double z = Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
            int len = (int) Math.max(2, Math.min(nCtx, Math.round(Math.exp(5.85 + 0.85 * z))));
            int[] t = new int[len];
            t[0] = BOS;
            for (int i = 1; i < len; i++) t[i] = 3 + rng.nextInt(dVocab - 3);
            docs.add(t);
        }
        return docs;
    }

    /** TorchCheckpointWriter lives in the test sources; it is called by name so the bench compiles without them. */
    private static void writeGelu1lShaped(Path dir) throws Exception {
        Class<?> writer;
        try {
            writer = Class.forName("neuroscan.model.TorchCheckpointWriter");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(dir + " has no model and target/test-classes is not on the classpath"
                    + " to write one (see bench/README.md)", e);
        }
        Files.createDirectories(dir);
        System.out.println("writing a gelu-1l-shaped random model to " + dir);
        writer.getMethod("writeGelu1lShaped", Path.class, long.class).invoke(null, dir, 1L);
    }

    private record Timed<T>(T value, double seconds) {
        static <T> Timed<T> of(Supplier<T> run) {
            long t0 = System.nanoTime();
            T v = run.get();
            return new Timed<>(v, (System.nanoTime() - t0) / 1e9);
        }
    }
}
