package neuroscan.bench;

import neuroscan.engine.cpu.CpuEngine;
import neuroscan.model.ModelConfig;
import neuroscan.model.RandomWeights;
import neuroscan.model.Weights;

import java.util.List;

/**
 * Scan throughput per layer count, side by side in one run: gelu-1l-shaped random models (d_model 512,
 * d_mlp 2048, n_ctx 1024, d_vocab 48262) of 1, 2, 3 and 4 layers on the CPU engine, the same C4-like
 * documents, docMax + TopK.merge as {@link EngineScan} does; a warm-up pass, then the median of 3.
 * Usage: {@code LayersBench [documents] [threads]}; prints a Markdown table.
 */
public final class LayersBench {
    private LayersBench() {
    }

    public static void main(String[] args) {
        int nDocs = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        List<int[]> docs = Corpus.c4Like(nDocs, 1024, 48262, 42);
        long tokens = Corpus.tokens(docs);
        System.out.printf("%d documents, %d tokens, %d threads%n%n", nDocs, tokens, threads);
        System.out.println("| layers | neurons | median s | tokens/s | vs 1 layer |");
        System.out.println("|---:|---:|---:|---:|---:|");
        double one = 0;
        for (int layers = 1; layers <= 4; layers++) {
            ModelConfig c = new ModelConfig(layers, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
            Weights w = RandomWeights.create(c, 7);
            double[] s = new double[3];
            try (CpuEngine e = new CpuEngine(w, threads)) {
                EngineScan.scan(e, docs.subList(0, Math.min(8, docs.size())), 20);   // warm-up
                for (int i = 0; i < s.length; i++) {
                    long t0 = System.nanoTime();
                    EngineScan.scan(e, docs, 20);
                    s[i] = (System.nanoTime() - t0) / 1e9;
                }
            }
            java.util.Arrays.sort(s);
            double tps = tokens / s[1];
            if (layers == 1) one = tps;
            System.out.printf("| %d | %d | %.2f | %.0f | %.2fx |%n", layers, c.neurons(), s[1], tps, tps / one);
        }
    }
}
