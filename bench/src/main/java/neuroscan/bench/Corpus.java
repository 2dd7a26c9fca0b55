package neuroscan.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark corpus as token ids, so every system reads exactly the same input and no tokenizer (or
 * Python, as {@code bench/tools/make_corpus.py} needs) is involved: BOS, then uniform random ids, with
 * C4-like lengths. Document i depends only on the seed and on documents 0..i-1, so the first n documents
 * of a larger corpus are the corpus of n documents: a sweep over sizes scans prefixes of one corpus.
 */
public final class Corpus {
    /** gelu-1l's tokenizer: BOS = 1 (prepended), PAD = 2 (what the seed pads with). */
    public static final int BOS = 1, PAD = 2;

    private Corpus() {
    }

    /**
     * n documents: length log-normal (median e^5.85 ~ 350, sigma 0.85) clipped to [2, n_ctx], so the mean is
     * ~460 and ~10% are cut at n_ctx; token ids uniform in [3, d_vocab).
     */
    public static List<int[]> c4Like(int n, int nCtx, int dVocab, long seed) {
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

    /** Each document right-padded with PAD to n_ctx, as the seed batches them. */
    public static List<int[]> padded(List<int[]> docs, int nCtx) {
        return docs.stream().map(d -> {
            int[] p = Arrays.copyOf(d, nCtx);
            Arrays.fill(p, d.length, p.length, PAD);
            return p;
        }).toList();
    }

    public static long tokens(List<int[]> docs) {
        return docs.stream().mapToLong(d -> d.length).sum();
    }
}
