package neuroscan.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a scan learns about every neuron beyond its top k: how often it fires (tokens with activation
 * > 0), a histogram of its per-document maxima over fixed bins, and a few sample documents per bin for
 * the page's quantile examples. Neurons are one flat index of {@code n} (as {@link TopK}'s columns).
 *
 * <p>Everything here is a sum or a bottom-m choice, so it depends only on the set of documents seen:
 * not on batches, their order, resume or shard merging ({@link #merge(NeuronStats)}), which keeps
 * resumed and merged stores byte-identical. The bins are fixed ({@link #EDGES}), so shards' histograms
 * simply add. The samples of (bin, neuron) are the {@code m} documents of that bin with the smallest
 * {@link #key}(doc, neuron), then doc: a pseudo-random choice (a bottom-m sketch) that is the same
 * whatever the order, and the smallest j of a union of bins are the smallest j of their samples, so a
 * page can group bins into intervals and still show a uniform sample of each.
 *
 * <p>Layout, as stored: {@code positive} [n]; {@code hist} [BINS, n]; samples [BINS * m, n], row
 * {@code bin * m + s}, each (bin, neuron) list sorted by (key, doc), empty slots doc = pos = -1, max = -inf.
 * The device twin is the {@code stats_merge} kernel.
 */
public final class NeuronStats {
    /**
     * Histogram bin edges: 0, then 8 per decade from 0.01 to 100 (geometric, as float). Bin b holds maxima
     * v with EDGES[b - 1] < v <= EDGES[b] (numpy's {@code digitize(v, EDGES, right=True)}): bin 0 is
     * v <= 0, bin 1 is (0, 0.01], the last bin is v > 100.
     */
    public static final float[] EDGES = edges();
    /** Number of bins: one more than the edges. */
    public static final int BINS = EDGES.length + 1;
    /** Sample documents kept per bin and neuron. */
    public static final int SAMPLES = 4;

    private final int n, m;
    private long tokens;
    private final long[] positive;
    private final int[] hist;
    private final int[] sKey, sDoc, sPos;
    private final float[] sMax;

    /** Empty stats for {@code n} neurons, {@code m} samples per bin. */
    public NeuronStats(int n, int m) {
        if (n < 1 || m < 1) throw new IllegalArgumentException("neurons and samples must be positive: " + n + ", " + m);
        if ((long) BINS * m * n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("too many neurons for the stats: " + n);
        this.n = n;
        this.m = m;
        positive = new long[n];
        hist = new int[BINS * n];
        int s = BINS * m * n;
        sKey = new int[s];
        sDoc = new int[s];
        sPos = new int[s];
        sMax = new float[s];
        Arrays.fill(sDoc, -1);
        Arrays.fill(sPos, -1);
        Arrays.fill(sMax, Float.NEGATIVE_INFINITY);
    }

    public NeuronStats(int n) {
        this(n, SAMPLES);
    }

    /** Stats from stored arrays (copied; keys recomputed), e.g. read back from a file or a device. */
    public static NeuronStats of(int n, int m, long tokens, long[] positive, int[] hist, int[] doc, float[] max, int[] pos) {
        NeuronStats s = new NeuronStats(n, m);
        if (positive.length != n || hist.length != s.hist.length || doc.length != s.sDoc.length || max.length != doc.length || pos.length != doc.length) {
            throw new IllegalArgumentException("stats arrays must be [" + n + "], [" + BINS + ", " + n + "] and [" + BINS * m + ", " + n + "]");
        }
        s.tokens = tokens;
        System.arraycopy(positive, 0, s.positive, 0, n);
        System.arraycopy(hist, 0, s.hist, 0, hist.length);
        System.arraycopy(doc, 0, s.sDoc, 0, doc.length);
        System.arraycopy(max, 0, s.sMax, 0, max.length);
        System.arraycopy(pos, 0, s.sPos, 0, pos.length);
        for (int i = 0; i < doc.length; i++) if (doc[i] >= 0) s.sKey[i] = key(doc[i], i % n);
        return s;
    }

    private static float[] edges() {
        float[] e = new float[34];
        for (int j = 0; j <= 32; j++) e[j + 1] = (float) (0.01 * Math.pow(10, j / 8.0));
        return e;
    }

    /** The bin of a (non-NaN) max: the number of edges below it. */
    public static int bin(float v) {
        int b = 0;
        while (b < EDGES.length && EDGES[b] < v) b++;
        return b;
    }

    /** murmur3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** A document's sampling hash (uploaded per batch to a device, which has no wrapping multiply). */
    public static int docKey(int doc) {
        return fmix32(doc ^ 0x2545F491);
    }

    /** A neuron's salt (uploaded once), so neurons sample different documents. */
    public static int salt(int neuron) {
        return fmix32(neuron ^ 0x6A09E667);
    }

    /** The sampling key of (doc, neuron), compared as a signed int; smaller is kept. */
    public static int key(int doc, int neuron) {
        return docKey(doc) ^ salt(neuron);
    }

    public int neurons() {
        return n;
    }

    /** Samples per bin. */
    public int samples() {
        return m;
    }

    /** Token positions scanned (the density's denominator; with --include-padding, n_ctx per document). */
    public long tokens() {
        return tokens;
    }

    /** Positions where the neuron's activation was > 0. */
    public long positive(int neuron) {
        return positive[neuron];
    }

    /** positive / tokens, 0 when nothing was scanned. */
    public double density(int neuron) {
        return tokens == 0 ? 0 : positive[neuron] / (double) tokens;
    }

    /** The neuron's histogram counts, BINS of them. */
    public long[] histogram(int neuron) {
        long[] c = new long[BINS];
        for (int b = 0; b < BINS; b++) c[b] = hist[b * n + neuron];
        return c;
    }

    /** One sample: a document, its max for the neuron and the max's first position. */
    public record Sample(int doc, float max, int pos) {
    }

    /** The neuron's samples in a bin, by (key, doc). */
    public List<Sample> samples(int bin, int neuron) {
        List<Sample> out = new ArrayList<>(m);
        for (int s = 0; s < m; s++) {
            int i = (bin * m + s) * n + neuron;
            if (sDoc[i] < 0) break;
            out.add(new Sample(sDoc[i], sMax[i], sPos[i]));
        }
        return out;
    }

    /**
     * Adds one batch (host twin of {@code stats_merge}): row b of the [nDocs, n] arrays is document
     * docIds[b]; a document without positions (arg < 0) is skipped; a NaN max counts its positives but
     * enters no bin (the top-k merge counts it).
     *
     * @param batchPositive per (document, neuron), positions with activation > 0
     * @param batchTokens   positions the batch scanned
     */
    public void add(int nDocs, int[] docIds, float[] batchMax, int[] batchArg, int[] batchPositive, long batchTokens) {
        if (docIds.length < nDocs || Math.min(batchMax.length, Math.min(batchArg.length, batchPositive.length)) < (long) nDocs * n) {
            throw new IllegalArgumentException("batch arrays shorter than nDocs = " + nDocs);
        }
        tokens += batchTokens;
        for (int b = 0; b < nDocs; b++) {
            int d = docIds[b], row = b * n, dk = docKey(d);
            for (int c = 0; c < n; c++) {
                if (batchArg[row + c] < 0) continue;
                positive[c] += batchPositive[row + c];
                float v = batchMax[row + c];
                if (v != v) continue;
                int bin = bin(v);
                hist[bin * n + c]++;
                offer(bin, c, dk ^ salt(c), d, v, batchArg[row + c]);
            }
        }
    }

    /** Adds the stats of disjoint documents (a shard): the result is the stats of the union. */
    public void merge(NeuronStats o) {
        if (o.n != n || o.m != m) throw new IllegalArgumentException("cannot merge stats of " + o.n + " neurons x " + o.m + " into " + n + " x " + m);
        tokens += o.tokens;
        for (int c = 0; c < n; c++) positive[c] += o.positive[c];
        for (int i = 0; i < hist.length; i++) hist[i] += o.hist[i];
        for (int i = 0; i < sDoc.length; i++) {
            if (o.sDoc[i] >= 0) offer(i / n / m, i % n, o.sKey[i], o.sDoc[i], o.sMax[i], o.sPos[i]);
        }
    }

    /** Inserts (key, doc) into the sorted samples of (bin, c) unless the m kept all come first. */
    private void offer(int bin, int c, int key, int d, float v, int p) {
        int base = bin * m * n + c, s = m - 1;
        if (before(base + s * n, key, d)) return;
        while (s > 0 && !before(base + (s - 1) * n, key, d)) {
            int to = base + s * n, from = to - n;
            sKey[to] = sKey[from];
            sDoc[to] = sDoc[from];
            sMax[to] = sMax[from];
            sPos[to] = sPos[from];
            s--;
        }
        int at = base + s * n;
        sKey[at] = key;
        sDoc[at] = d;
        sMax[at] = v;
        sPos[at] = p;
    }

    /** Does the filled slot come before candidate (key, d)? Empty slots come last. */
    private boolean before(int slot, int key, int d) {
        return sDoc[slot] >= 0 && (sKey[slot] < key || (sKey[slot] == key && sDoc[slot] < d));
    }

    public NeuronStats copy() {
        return of(n, m, tokens, positive, hist, sDoc, sMax, sPos);
    }

    // Package-private views of the stored arrays, for writing files without copies.
    long[] positiveArray() {
        return positive;
    }

    int[] histArray() {
        return hist;
    }

    int[] sampleDocArray() {
        return sDoc;
    }

    float[] sampleMaxArray() {
        return sMax;
    }

    int[] samplePosArray() {
        return sPos;
    }

    /** Copies of the arrays, e.g. to upload the stats to a device that accumulates there. */
    public int[] copyOfHist() {
        return hist.clone();
    }

    public int[] copyOfSampleKey() {
        return sKey.clone();
    }

    public int[] copyOfSampleDoc() {
        return sDoc.clone();
    }

    public float[] copyOfSampleMax() {
        return sMax.clone();
    }

    public int[] copyOfSamplePos() {
        return sPos.clone();
    }

    public long[] copyOfPositive() {
        return positive.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NeuronStats s && s.n == n && s.m == m && s.tokens == tokens && Arrays.equals(s.positive, positive)
                && Arrays.equals(s.hist, hist) && Arrays.equals(s.sDoc, sDoc) && Arrays.equals(s.sMax, sMax) && Arrays.equals(s.sPos, sPos);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(positive) * 31 + Arrays.hashCode(hist);
    }

    @Override
    public String toString() {
        return "NeuronStats[n=" + n + ", m=" + m + ", tokens=" + tokens + "]";
    }
}
