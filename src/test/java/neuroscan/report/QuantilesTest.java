package neuroscan.report;

import neuroscan.store.NeuronStats;
import neuroscan.store.TopK;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantiles.of against brute force over every document: per interval of (0, k-th max], the documents in it
 * (not in the top k) sorted by (key, doc); the picks must be that list's first ones, as many as are provably
 * known from the bins' samples: those up to the smallest m-th (key, doc) among the full bins meeting the
 * interval, computed here from all documents of each bin.
 */
class QuantilesTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void intervalsHoldTheFirstDocumentsByKeyThatTheSamplesProve(int seed) {
        Random rnd = new Random(seed);
        int nDocs = 400, k = 5, n = 3, m = NeuronStats.SAMPLES;
        float[] max = new float[nDocs * n];
        int[] arg = new int[nDocs * n], positive = new int[nDocs * n], ids = new int[nDocs];
        for (int d = 0; d < nDocs; d++) {
            ids[d] = 1000 + d;
            for (int c = 0; c < n; c++) max[d * n + c] = (float) (Math.exp(rnd.nextGaussian() * (c + 1) * 0.7) - 0.5);
        }
        NeuronStats stats = new NeuronStats(n);
        TopK top = new TopK(k, n);
        for (int from = 0; from < nDocs; from += 37) {   // in batches, as a scan adds them
            int to = Math.min(nDocs, from + 37);
            stats.add(to - from, java.util.Arrays.copyOfRange(ids, from, to), java.util.Arrays.copyOfRange(max, from * n, to * n),
                    java.util.Arrays.copyOfRange(arg, from * n, to * n), java.util.Arrays.copyOfRange(positive, from * n, to * n), 0);
            top.merge(to - from, java.util.Arrays.copyOfRange(ids, from, to), java.util.Arrays.copyOfRange(max, from * n, to * n),
                    java.util.Arrays.copyOfRange(arg, from * n, to * n));
        }
        int shown = 0;
        for (int c = 0; c < n; c++) {
            final int neuron = c;
            float kth = top.max(k - 1, c);
            List<Integer> topDocs = top.examples(c).stream().map(TopK.Example::doc).toList();
            Comparator<Integer> byKey = Comparator.comparingInt((Integer d) -> NeuronStats.key(d, neuron)).thenComparingInt(d -> d);
            List<Quantiles.Interval> got = Quantiles.of(stats, top, c, m);
            int at = 0;
            for (int i = 0; i < Quantiles.INTERVALS; i++) {
                float lo = kth * i / Quantiles.INTERVALS, hi = i + 1 == Quantiles.INTERVALS ? kth : kth * (i + 1) / Quantiles.INTERVALS;
                List<Integer> inside = new ArrayList<>();
                Integer limit = null;   // the smallest m-th document of a full bin meeting the interval
                for (int b = 1; b < NeuronStats.BINS; b++) {
                    float bLo = NeuronStats.EDGES[b - 1], bHi = b < NeuronStats.EDGES.length ? NeuronStats.EDGES[b] : Float.POSITIVE_INFINITY;
                    List<Integer> bin = new ArrayList<>();
                    for (int d = 0; d < nDocs; d++) if (max[d * n + c] > bLo && max[d * n + c] <= bHi) bin.add(ids[d]);
                    if (bHi <= lo || bLo >= hi || bin.size() < m) continue;
                    bin.sort(byKey);
                    if (limit == null || byKey.compare(bin.get(m - 1), limit) < 0) limit = bin.get(m - 1);
                }
                for (int d = 0; d < nDocs; d++) {
                    float v = max[d * n + c];
                    if (v > lo && v <= hi && !topDocs.contains(ids[d])) inside.add(ids[d]);
                }
                inside.sort(byKey);
                final Integer lim = limit;
                List<Integer> want = inside.stream().filter(d -> lim == null || byKey.compare(d, lim) <= 0).limit(m).toList();
                if (want.isEmpty()) continue;
                Quantiles.Interval q = got.get(at++);
                assertEquals(lo, q.lo(), "interval " + i + " of neuron " + c);
                assertEquals(hi, q.hi());
                assertEquals(want, q.samples().stream().map(NeuronStats.Sample::doc).toList(), "interval " + i + " of neuron " + c);
                for (NeuronStats.Sample s : q.samples()) assertEquals(max[(s.doc() - 1000) * n + c], s.max());
                shown += want.size();
            }
            assertEquals(at, got.size(), "no other intervals for neuron " + c);
        }
        assertTrue(shown >= 20, "examples shown: " + shown);
    }
}
