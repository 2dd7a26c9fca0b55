package neuroscan.bench.libtorch;

import neuroscan.bench.BenchModel;
import neuroscan.bench.Corpus;
import neuroscan.bench.EngineScan;
import neuroscan.bench.StoreCheck;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.store.TopK;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * Side-by-side run: neuroscan's CpuEngine scan against two LibTorch (DJL, CPU) pipelines on the same
 * weights and documents. First checks the stores are equal (same documents per neuron and rank, values
 * within 1e-4): the seed pipeline against neuroscan with include-padding semantics, the best pipeline
 * against neuroscan's default. Then prints docs/s, tokens/s (real tokens, pads not counted) and ratios.
 * Exits 1 when a store differs. The report ({@code bench/report}, neuroscan.bench.Report) runs the same
 * pipelines over a sweep of corpus sizes and writes bench/results/.
 *
 * <pre>java ... neuroscan.bench.libtorch.Compare [--docs 200] [--top-k 20] [--model DIR] [--seed 1]</pre>
 * Without --model, a gelu-1l-shaped random model is written once to target/gelu1l-shaped with
 * TorchCheckpointWriter (src/support, compiled into the bench build).
 */
public final class Compare {
    private Compare() {
    }

    public static void main(String[] args) throws Exception {
        int nDocs = 200, k = 20;
        long seed = 1;
        Path model = BenchModel.DEFAULT;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--docs" -> nDocs = Integer.parseInt(args[++i]);
                case "--top-k" -> k = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--model" -> model = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        BenchModel.ensure(model);
        LoadedModel lm = ModelLoader.load(model);
        int nCtx = lm.cfg().nCtx();
        List<int[]> docs = Corpus.c4Like(nDocs, nCtx, lm.cfg().dVocab(), seed);
        long tokens = Corpus.tokens(docs);
        System.out.printf("model %s, %d documents, %d tokens (mean %.0f, %d at n_ctx), top-k %d, %d cores%n", model, nDocs,
                tokens, tokens / (double) nDocs, docs.stream().filter(d -> d.length == nCtx).count(), k,
                Runtime.getRuntime().availableProcessors());
        List<int[]> padded = Corpus.padded(docs, nCtx);

        try (CpuEngine engine = new CpuEngine(lm.weights()); LibTorchScans torch = new LibTorchScans(lm.weights())) {
            System.out.println("neuroscan: " + engine.describe() + "; baseline: " + torch.describe());
            int fk = k;
            // Warm up every path once on a few documents (JIT, libtorch's allocator and thread pool).
            List<int[]> few = docs.subList(0, Math.min(4, docs.size()));
            EngineScan.scan(engine, few, fk);
            torch.seed(few, fk);
            torch.best(few, fk);

            Timed<TopK> nsPad = Timed.of(() -> EngineScan.scan(engine, padded, fk));
            Timed<TopK> seedStore = Timed.of(() -> torch.seed(docs, fk));
            Timed<TopK> ns = Timed.of(() -> EngineScan.scan(engine, docs, fk));
            Timed<TopK> bestStore = Timed.of(() -> torch.best(docs, fk));

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

    private static int check(String what, TopK got, TopK want, boolean positions) {
        StoreCheck.Verdict v = StoreCheck.check(what, got, want, positions, System.out);
        System.out.println(what + ": " + v.describe());
        return v.neuronsDiffer();
    }

    private static void row(String name, double s, int docs, long tokens) {
        System.out.printf("%-38s %9.2f %10.1f %12.0f%n", name, s, docs / s, tokens / s);
    }

    private record Timed<T>(T value, double seconds) {
        static <T> Timed<T> of(Supplier<T> run) {
            long t0 = System.nanoTime();
            T v = run.get();
            return new Timed<>(v, (System.nanoTime() - t0) / 1e9);
        }
    }
}
