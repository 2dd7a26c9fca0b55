package neuroscan.scan;

import neuroscan.data.Document;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceForward;
import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;
import neuroscan.store.Manifest;
import neuroscan.store.TopK;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A tiny random gelu-1l-shaped model built in code, a corpus with the awkward cases (empty documents,
 * documents longer than n_ctx, exact duplicates for cross-document ties), a toy tokenizer, and the
 * brute-force oracle: every document through {@link ReferenceForward}, then a full sort per neuron.
 */
public final class ScanFixtures {
    private ScanFixtures() {
    }

    public static final int D_MODEL = 16, N_HEADS = 2, D_MLP = 24, N_CTX = 24, D_VOCAB = 64, BOS = 1, PAD = 2;
    public static final ModelConfig CFG = ModelConfig.gelu1lShaped(D_MODEL, N_HEADS, D_MLP, N_CTX, D_VOCAB);
    private static final String[] WORDS = ("the quick brown fox jumps over lazy dog THE QUICK NEWS TODAY a an of in on "
            + "to for with by from at is was are were be been it this that these those and or but if then").split(" ");

    public static final Manifest.Sources SOURCES = new Manifest.Sources(
            new Manifest.Artifact("tiny-model", "r1", "aa11"), new Manifest.Artifact("tiny-tok", "r1", "bb22"),
            new Manifest.Artifact("tiny-data", "r1", "cc33"));

    /** Random weights (seeded); LayerNorm weights near 1 so activations vary. */
    public static Weights model(long seed) {
        Random r = new Random(seed);
        int dm = D_MODEL, h = N_HEADS, dh = dm / h, mlp = D_MLP;
        Map<String, Tensor> t = new HashMap<>();
        put(t, r, "embed.W_E", 1.0, 0, D_VOCAB, dm);
        put(t, r, "pos_embed.W_pos", 0.5, 0, N_CTX, dm);
        put(t, r, "blocks.0.ln1.w", 0.2, 1, dm);
        put(t, r, "blocks.0.ln1.b", 0.1, 0, dm);
        for (String w : new String[]{"W_Q", "W_K", "W_V"}) put(t, r, "blocks.0.attn." + w, 0.4, 0, h, dm, dh);
        for (String b : new String[]{"b_Q", "b_K", "b_V"}) put(t, r, "blocks.0.attn." + b, 0.1, 0, h, dh);
        put(t, r, "blocks.0.attn.W_O", 0.3, 0, h, dh, dm);
        put(t, r, "blocks.0.attn.b_O", 0.1, 0, dm);
        put(t, r, "blocks.0.ln2.w", 0.2, 1, dm);
        put(t, r, "blocks.0.ln2.b", 0.1, 0, dm);
        put(t, r, "blocks.0.mlp.W_in", 0.5, 0, dm, mlp);
        put(t, r, "blocks.0.mlp.b_in", 0.3, 0, mlp);
        put(t, r, "blocks.0.mlp.W_out", 0.3, 0, mlp, dm);
        put(t, r, "blocks.0.mlp.b_out", 0.1, 0, dm);
        return Weights.from(CFG, t, "tiny");
    }

    private static void put(Map<String, Tensor> t, Random r, String name, double scale, double mean, long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + scale * r.nextGaussian());
        t.put(name, Tensor.of(name, v, shape));
    }

    /**
     * n texts: mostly 1..20 words, with empty texts, texts longer than n_ctx tokens, and copies of
     * earlier texts (identical documents tie exactly on every neuron).
     */
    public static List<String> corpus(long seed, int n) {
        Random r = new Random(seed);
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(10);
            if (kind == 0) {
                docs.add("");
            } else if (kind == 1 && i > 0) {
                docs.add(docs.get(r.nextInt(i)));
            } else {
                int words = kind == 2 ? N_CTX + r.nextInt(20) : 1 + r.nextInt(20);
                StringBuilder sb = new StringBuilder();
                for (int w = 0; w < words; w++) sb.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
                docs.add(sb.toString());
            }
        }
        return docs;
    }

    /** BOS, then one token per word (ids 3..d_vocab-1), truncated to n_ctx: the tokenizer contract. */
    public static int[] tokenize(String text) {
        String[] words = text.isEmpty() ? new String[0] : text.split(" ");
        int[] t = new int[Math.min(N_CTX, words.length + 1)];
        t[0] = BOS;
        for (int i = 1; i < t.length; i++) t[i] = 3 + Math.floorMod(words[i - 1].hashCode(), D_VOCAB - 3);
        return t;
    }

    public static Iterator<Document> documents(List<String> texts) {
        return IntStream.range(0, texts.size()).mapToObj(i -> new Document(i, texts.get(i))).iterator();
    }

    /**
     * The oracle: for documents [start, end) of texts, hook_post of each (padded with PAD to n_ctx when
     * asked) via ReferenceForward, per-neuron max and first argmax, then all documents sorted by (max
     * desc, doc asc) per neuron and cut to k.
     */
    public static TopK bruteForce(Weights w, List<String> texts, int start, int end, int k, boolean padding) {
        ReferenceForward f = new ReferenceForward(w);
        int n = end - start;
        float[][] dmax = new float[n][D_MLP];
        int[][] arg = new int[n][D_MLP];
        for (int d = 0; d < n; d++) {
            int[] t = scanned(texts.get(start + d), padding);
            float[] post = f.activations(t);
            for (int j = 0; j < D_MLP; j++) {
                dmax[d][j] = Float.NEGATIVE_INFINITY;
                arg[d][j] = -1;
                for (int p = 0; p < t.length; p++) {
                    if (post[p * D_MLP + j] > dmax[d][j]) {
                        dmax[d][j] = post[p * D_MLP + j];
                        arg[d][j] = p;
                    }
                }
            }
        }
        float[] max = new float[k * D_MLP];
        int[] doc = new int[k * D_MLP], pos = new int[k * D_MLP];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(doc, -1);
        Arrays.fill(pos, -1);
        for (int j = 0; j < D_MLP; j++) {
            int neuron = j;
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.<Integer>comparingDouble(d -> -dmax[d][neuron]).thenComparingInt(d -> d));
            for (int r = 0; r < Math.min(k, n); r++) {
                max[r * D_MLP + j] = dmax[order[r]][j];
                doc[r * D_MLP + j] = start + order[r];
                pos[r * D_MLP + j] = arg[order[r]][j];
            }
        }
        return TopK.of(k, D_MLP, max, doc, pos);
    }

    /** A text's tokens as the scan sees them: padded with PAD to n_ctx when asked. */
    static int[] scanned(String text, boolean padding) {
        int[] t = tokenize(text);
        if (!padding) return t;
        int[] p = Arrays.copyOf(t, N_CTX);
        Arrays.fill(p, t.length, N_CTX, PAD);
        return p;
    }

    /** {@link #bruteForceStats(java.util.function.Function, List, int, int, boolean)} by ReferenceForward. */
    public static neuroscan.store.NeuronStats bruteForceStats(Weights w, List<String> texts, int start, int end, boolean padding) {
        return bruteForceStats(new ReferenceForward(w)::activations, texts, start, end, padding);
    }

    /**
     * The statistics' oracle: every document of [start, end) through {@code hookPost} (padded to n_ctx when
     * asked), counting activations > 0 and positions; each document's max (first argmax) binned by counting
     * the edges below it; and per (bin, neuron) all its documents sorted by (key, doc), the first m kept.
     */
    public static neuroscan.store.NeuronStats bruteForceStats(java.util.function.Function<int[], float[]> hookPost, List<String> texts,
                                                              int start, int end, boolean padding) {
        int bins = neuroscan.store.NeuronStats.BINS, m = neuroscan.store.NeuronStats.SAMPLES;
        long tokens = 0;
        long[] positive = new long[D_MLP];
        int[] hist = new int[bins * D_MLP];
        List<List<float[]>> members = new ArrayList<>();   // per (bin, neuron): {doc, max, pos}
        for (int i = 0; i < bins * D_MLP; i++) members.add(new ArrayList<>());
        for (int d = start; d < end; d++) {
            int[] t = scanned(texts.get(d), padding);
            tokens += t.length;
            float[] post = hookPost.apply(t);
            for (int j = 0; j < D_MLP; j++) {
                float best = Float.NEGATIVE_INFINITY;
                int at = -1;
                for (int p = 0; p < t.length; p++) {
                    float v = post[p * D_MLP + j];
                    if (v > 0) positive[j]++;
                    if (v > best) {
                        best = v;
                        at = p;
                    }
                }
                int b = 0;
                for (float e : neuroscan.store.NeuronStats.EDGES) if (e < best) b++;
                hist[b * D_MLP + j]++;
                members.get(b * D_MLP + j).add(new float[]{d, best, at});
            }
        }
        int[] doc = new int[bins * m * D_MLP], pos = new int[doc.length];
        float[] max = new float[doc.length];
        Arrays.fill(doc, -1);
        Arrays.fill(pos, -1);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        for (int b = 0; b < bins; b++)
            for (int j = 0; j < D_MLP; j++) {
                int neuron = j;
                List<float[]> all = new ArrayList<>(members.get(b * D_MLP + j));
                all.sort(Comparator.<float[]>comparingInt(e -> neuroscan.store.NeuronStats.key((int) e[0], neuron)).thenComparingInt(e -> (int) e[0]));
                for (int s = 0; s < Math.min(m, all.size()); s++) {
                    int i = (b * m + s) * D_MLP + j;
                    doc[i] = (int) all.get(s)[0];
                    max[i] = all.get(s)[1];
                    pos[i] = (int) all.get(s)[2];
                }
            }
        return neuroscan.store.NeuronStats.of(D_MLP, m, tokens, positive, hist, doc, max, pos);
    }

    /** Wraps an engine: sleeps per batch (to give a kill something to land in) and/or fails after n batches. */
    /** {@code e} with its own TopKScan (a GPU's device store), each batch slowed by {@code sleepMillis}. */
    public static Engine slowedScan(Engine e, long sleepMillis) {
        return new Engine() {
            @Override
            public int neurons() {
                return e.neurons();
            }

            @Override
            public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
                e.docMax(docs, max, argmax, positive);
            }

            @Override
            public float[] hookPost(int[] tokens) {
                return e.hookPost(tokens);
            }

            @Override
            public neuroscan.engine.TopKScan topKScan(neuroscan.store.TopK start, neuroscan.store.NeuronStats stats) {
                neuroscan.engine.TopKScan inner = e.topKScan(start, stats);
                return new neuroscan.engine.TopKScan() {
                    @Override
                    public void add(List<int[]> docs, int[] docIds) {
                        try {
                            Thread.sleep(sleepMillis);
                        } catch (InterruptedException ex) {
                            Thread.currentThread().interrupt();
                        }
                        inner.add(docs, docIds);
                    }

                    @Override
                    public neuroscan.store.TopK store() {
                        return inner.store();
                    }

                    @Override
                    public neuroscan.store.NeuronStats stats() {
                        return inner.stats();
                    }

                    @Override
                    public String mergeLocation() {
                        return inner.mergeLocation();
                    }

                    @Override
                    public long hostMergeNanos() {
                        return inner.hostMergeNanos();
                    }

                    @Override
                    public void close() {
                        inner.close();
                    }
                };
            }

            @Override
            public String describe() {
                return e.describe();
            }

            @Override
            public void close() {
                e.close();
            }
        };
    }

    public static Engine slowed(Engine e, long sleepMillis, int failAfterBatches) {
        return new Engine() {
            int batches;

            @Override
            public int neurons() {
                return e.neurons();
            }

            @Override
            public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
                if (failAfterBatches >= 0 && batches++ >= failAfterBatches) throw new IllegalStateException("engine failure (test)");
                if (sleepMillis > 0) {
                    try {
                        Thread.sleep(sleepMillis);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
                e.docMax(docs, max, argmax, positive);
            }

            @Override
            public float[] hookPost(int[] tokens) {
                return e.hookPost(tokens);
            }

            @Override
            public String describe() {
                return e.describe();
            }
        };
    }
}
