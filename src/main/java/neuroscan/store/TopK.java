package neuroscan.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The running top-k store of one hook: for every neuron, the k documents with the largest per-document
 * max activation (dmax), sorted descending; equal values: lower document index first. Empty slots
 * (fewer than k documents seen) hold doc = pos = -1 and max = -inf and rank below every real entry.
 *
 * <p>Layout is [k, neurons] row-major, rank-major: row k-1 (the current k-th value of every neuron) is
 * contiguous, which is what the merge scans. The neurons are every layer's, flat (g = layer * d_mlp + n,
 * {@link neuroscan.model.ModelConfig#neurons()}); {@code store.safetensors} holds each layer's [k, d_mlp]
 * column block under its own key ({@link StoreFile}).
 *
 * <p>The order (max desc, doc asc) is total over distinct documents, so the store after any sequence of
 * merges is the top k of the set of documents merged: independent of batch sizes and batch order. That
 * is what makes resume and shard merging exact. It requires every document to be merged at most once.
 *
 * <p>NaN never enters: {@code NaN > x} and {@code NaN == x} are both false, so a NaN candidate fails the
 * admission test below with no special case; such candidates are counted in {@link #nanSkipped()} so a
 * caller can warn about a broken engine, per neuron ({@link #nanCount}). An engine reports a document's max
 * as NaN when any of its activations is NaN, so a NaN neuron ends with no entries and its NaN count. {@code -0.0} and {@code 0.0} compare equal (ties by document).
 */
public final class TopK {
    private final int k;
    private final int neurons;
    private final float[] max;
    private final int[] doc;
    private final int[] pos;
    private final long[] nanPer;

    /** An empty store: every slot doc = pos = -1, max = -inf. */
    public TopK(int k, int neurons) {
        if (k < 1 || neurons < 1) throw new IllegalArgumentException("k and d_mlp must be positive: " + k + ", " + neurons);
        if ((long) k * neurons > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("k * d_mlp too large");
        this.k = k;
        this.neurons = neurons;
        this.max = new float[k * neurons];
        this.doc = new int[k * neurons];
        this.pos = new int[k * neurons];
        this.nanPer = new long[neurons];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(doc, -1);
        Arrays.fill(pos, -1);
    }

    /** A store from its three [k, d_mlp] arrays (copied), e.g. read back from a file. */
    public static TopK of(int k, int neurons, float[] max, int[] doc, int[] pos) {
        TopK t = new TopK(k, neurons);
        if (max.length != t.max.length || doc.length != t.doc.length || pos.length != t.pos.length) {
            throw new IllegalArgumentException("arrays must have k * d_mlp = " + t.max.length + " entries");
        }
        System.arraycopy(max, 0, t.max, 0, max.length);
        System.arraycopy(doc, 0, t.doc, 0, doc.length);
        System.arraycopy(pos, 0, t.pos, 0, pos.length);
        return t;
    }

    public int k() {
        return k;
    }

    /** The store's width: every layer's neurons, n_layers * d_mlp, indexed flat. */
    public int neurons() {
        return neurons;
    }

    /**
     * The merge (OpenCL twin: {@code topk_merge}). Offers a batch of per-document maxima,
     * {@code batchMax[b * neurons + n]} with first argmax {@code batchArgmax[b * neurons + n]} for document
     * {@code docIds[b]}, b in [0, nDocs). Per neuron, a candidate is compared with the current k-th entry
     * and only the few that beat it are inserted (an insertion step over at most k slots). Loops run
     * document-major so the batch arrays and row k-1 are read sequentially. Not parallelised: the batch
     * is nDocs * neurons comparisons, negligible beside the forward pass that produced it.
     */
    public void merge(int nDocs, int[] docIds, float[] batchMax, int[] batchArgmax) {
        if (docIds.length < nDocs || batchMax.length < (long) nDocs * neurons || batchArgmax.length < (long) nDocs * neurons) {
            throw new IllegalArgumentException("batch arrays shorter than nDocs = " + nDocs);
        }
        int last = (k - 1) * neurons;
        for (int b = 0; b < nDocs; b++) {
            int d = docIds[b], row = b * neurons;
            if (d < 0) throw new IllegalArgumentException("negative document index " + d);
            for (int n = 0; n < neurons; n++) {
                float v = batchMax[row + n];
                if (beats(v, d, last + n)) {
                    insert(n, v, d, batchArgmax[row + n]);
                } else if (v != v) {
                    nanPer[n]++;
                }
            }
        }
    }

    /**
     * Offers every entry of {@code other} (same k and d_mlp, documents disjoint from this store's): the
     * result is the store of the union of both document sets. Used to merge shards.
     */
    public void merge(TopK other) {
        if (other.k != k || other.neurons != neurons) {
            throw new IllegalArgumentException("cannot merge [" + other.k + ", " + other.neurons + "] into [" + k + ", " + neurons + "]");
        }
        int last = (k - 1) * neurons;
        for (int r = 0; r < k; r++) {
            for (int n = 0; n < neurons; n++) {
                int i = r * neurons + n, d = other.doc[i];
                float v = other.max[i];
                if (d < 0) continue;  // an empty slot offers nothing
                if (beats(v, d, last + n)) insert(n, v, d, other.pos[i]);
            }
        }
        for (int n = 0; n < neurons; n++) nanPer[n] += other.nanPer[n];
    }

    /** Places (v, d, p) for neuron n, which is known to beat the current k-th entry. */
    private void insert(int n, float v, int d, int p) {
        int r = k - 1;
        while (r > 0 && beats(v, d, (r - 1) * neurons + n)) {
            int to = r * neurons + n, from = to - neurons;
            max[to] = max[from];
            doc[to] = doc[from];
            pos[to] = pos[from];
            r--;
        }
        int at = r * neurons + n;
        max[at] = v;
        doc[at] = d;
        pos[at] = p;
    }

    /**
     * Whether candidate (v, d) ranks above slot: larger max first, then lower document. An empty slot
     * (max -inf, doc -1) loses to every non-NaN candidate, -inf included; NaN beats nothing.
     */
    private boolean beats(float v, int d, int slot) {
        float m = max[slot];
        return v > m || (v == m && (doc[slot] < 0 || d < doc[slot]));
    }

    public float max(int rank, int neuron) {
        return max[index(rank, neuron)];
    }

    /** Document index at this rank, or -1 where fewer than rank+1 documents were seen. */
    public int doc(int rank, int neuron) {
        return doc[index(rank, neuron)];
    }

    /** Position of the max within the document (first on ties), or -1 for an empty slot. */
    public int pos(int rank, int neuron) {
        return pos[index(rank, neuron)];
    }

    private int index(int rank, int neuron) {
        if (rank < 0 || rank >= k || neuron < 0 || neuron >= neurons) {
            throw new IndexOutOfBoundsException("rank " + rank + ", neuron " + neuron + " outside [" + k + ", " + neurons + "]");
        }
        return rank * neurons + neuron;
    }

    /** One filled slot of a neuron's column. */
    public record Example(int rank, int doc, int pos, float max) {
    }

    /** A neuron's filled slots, best first (fewer than k when fewer documents were seen). */
    public List<Example> examples(int neuron) {
        List<Example> out = new ArrayList<>(k);
        for (int r = 0; r < k; r++) {
            int i = index(r, neuron);
            if (doc[i] < 0) break;
            out.add(new Example(r, doc[i], pos[i], max[i]));
        }
        return out;
    }

    /** An independent copy (slots and NaN count). */
    public TopK copy() {
        TopK t = of(k, neurons, max, doc, pos);
        System.arraycopy(nanPer, 0, t.nanPer, 0, neurons);
        return t;
    }

    /** Copies of the [k, d_mlp] arrays, e.g. to upload the store to a device that merges there. */
    public float[] copyOfMax() {
        return max.clone();
    }

    public int[] copyOfDoc() {
        return doc.clone();
    }

    public int[] copyOfPos() {
        return pos.clone();
    }

    /** Candidates that were NaN and therefore never entered (a sign of a broken engine), all neurons. */
    public long nanSkipped() {
        long s = 0;
        for (long c : nanPer) s += c;
        return s;
    }

    /** NaN candidates (documents whose max was NaN) refused for one neuron. */
    public long nanCount(int neuron) {
        if (neuron < 0 || neuron >= neurons) throw new IndexOutOfBoundsException("neuron " + neuron + " outside [0, " + neurons + ")");
        return nanPer[neuron];
    }

    /** Adds NaN refusals of one neuron counted elsewhere (a device merge, a checkpoint). */
    public void addNanCount(int neuron, long count) {
        if (count < 0) throw new IllegalArgumentException("negative NaN count " + count);
        nanPer[neuron] += count;
    }

    /** The neurons with NaN refusals and their counts, by neuron (empty when none). */
    public java.util.SortedMap<Integer, Long> nanNeurons() {
        java.util.SortedMap<Integer, Long> m = new java.util.TreeMap<>();
        for (int n = 0; n < neurons; n++) if (nanPer[n] > 0) m.put(n, nanPer[n]);
        return m;
    }

    /** Parses {@link #formatNanNeurons}'s text ("n:count,n:count"; empty: none) into this store's counts. */
    public void addNanNeurons(String text) {
        if (text == null || text.isBlank()) return;
        for (String part : text.split(",")) {
            int c = part.indexOf(':');
            if (c < 0) throw new IllegalArgumentException("bad NaN count entry '" + part + "'");
            int n = Integer.parseInt(part.substring(0, c).trim());
            if (n < 0 || n >= neurons) throw new IllegalArgumentException("NaN count for neuron " + n + " outside [0, " + neurons + ")");
            addNanCount(n, Long.parseLong(part.substring(c + 1).trim()));
        }
    }

    /** The per-neuron NaN counts as "n:count,n:count" (only neurons with some), for checkpoint metadata. */
    public String formatNanNeurons() {
        StringBuilder sb = new StringBuilder();
        for (var e : nanNeurons().entrySet()) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(e.getKey()).append(':').append(e.getValue());
        }
        return sb.toString();
    }

    // Package-private views of the internal arrays, for writing files without copies.
    float[] maxArray() {
        return max;
    }

    int[] docArray() {
        return doc;
    }

    int[] posArray() {
        return pos;
    }

    /** Same k, d_mlp and identical slots (max compared bitwise). */
    @Override
    public boolean equals(Object o) {
        return o instanceof TopK t && t.k == k && t.neurons == neurons && Arrays.equals(t.max, max)
                && Arrays.equals(t.doc, doc) && Arrays.equals(t.pos, pos);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(doc) * 31 + Arrays.hashCode(max);
    }

    @Override
    public String toString() {
        return "TopK[k=" + k + ", d_mlp=" + neurons + "]";
    }
}
