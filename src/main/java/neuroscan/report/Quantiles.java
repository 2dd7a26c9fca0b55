package neuroscan.report;

import neuroscan.store.NeuronStats;
import neuroscan.store.TopK;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The page's examples below the top k, in SAEDashboard's layout: the range (0, k-th max] cut into
 * {@link #INTERVALS} equal intervals, a few documents from each. They come from the scan's per-bin samples
 * ({@link NeuronStats}): each bin keeps its documents with the smallest (key, doc), so for a union of bins
 * the documents below the smallest m-th (key, doc) of its full bins are all known, and the first few of
 * those that fall in the interval are a uniform pseudo-random sample of the interval's documents. The
 * top-k documents themselves are left out. Deterministic in the stats and the store.
 */
public final class Quantiles {
    private Quantiles() {
    }

    /** Intervals below the k-th max. */
    public static final int INTERVALS = 5;

    /** Documents with lo < max <= hi, by (key, doc). */
    public record Interval(float lo, float hi, List<NeuronStats.Sample> samples) {
    }

    /** The neuron's non-empty intervals, lowest first, with up to {@code perInterval} documents each. */
    public static List<Interval> of(NeuronStats stats, TopK top, int neuron, int perInterval) {
        List<TopK.Example> best = top.examples(neuron);
        if (best.isEmpty()) return List.of();
        float kth = best.getLast().max();
        if (!(kth > 0) || Float.isInfinite(kth)) return List.of();   // nothing fires below the top k
        Set<Integer> topDocs = new HashSet<>();
        for (TopK.Example e : best) topDocs.add(e.doc());
        float[] edges = NeuronStats.EDGES;
        List<Interval> out = new ArrayList<>();
        for (int i = 0; i < INTERVALS; i++) {
            float lo = kth * i / INTERVALS, hi = i + 1 == INTERVALS ? kth : kth * (i + 1) / INTERVALS;
            long known = Long.MAX_VALUE;   // every document of the interval up to this (key, doc) is a sample
            List<long[]> found = new ArrayList<>();   // {(key, doc) packed, index into samples}
            List<NeuronStats.Sample> all = new ArrayList<>();
            for (int b = 1; b < NeuronStats.BINS; b++) {
                float binLo = edges[b - 1], binHi = b < edges.length ? edges[b] : Float.POSITIVE_INFINITY;
                if (binHi <= lo || binLo >= hi) continue;   // (binLo, binHi] misses (lo, hi]
                List<NeuronStats.Sample> ss = stats.samples(b, neuron);
                if (ss.size() == stats.samples()) known = Math.min(known, order(ss.getLast().doc(), neuron));
                for (NeuronStats.Sample s : ss) {
                    if (s.max() > lo && s.max() <= hi && !topDocs.contains(s.doc())) {
                        found.add(new long[]{order(s.doc(), neuron), all.size()});
                        all.add(s);
                    }
                }
            }
            final long limit = known;
            List<NeuronStats.Sample> picked = found.stream().filter(f -> f[0] <= limit).sorted((x, y) -> Long.compare(x[0], y[0]))
                    .limit(perInterval).map(f -> all.get((int) f[1])).toList();
            if (!picked.isEmpty()) out.add(new Interval(lo, hi, picked));
        }
        return out;
    }

    /** (key, doc) as one long in the samples' order: the signed key, then the document. */
    static long order(int doc, int neuron) {
        return ((long) NeuronStats.key(doc, neuron) << 32) | (doc & 0xffffffffL);
    }
}
