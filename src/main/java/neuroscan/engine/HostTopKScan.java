package neuroscan.engine;

import neuroscan.store.NeuronStats;
import neuroscan.store.TopK;

import java.util.List;

/**
 * {@link TopKScan} for engines that return per-document maxima: {@link Engine#docMax}, then {@link TopK#merge}
 * (and {@link NeuronStats#add}) on the host.
 */
public final class HostTopKScan implements TopKScan {
    private final Engine engine;
    private final TopK topK;
    private final NeuronStats stats;
    private float[] max = new float[0];
    private int[] argmax = new int[0], positive = new int[0];
    private long mergeNanos;

    /** Continues from {@code start} (not modified; copied), without statistics. */
    public HostTopKScan(Engine engine, TopK start) {
        this(engine, start, null);
    }

    /** Continues from {@code start} and {@code stats} (copied; null: no statistics). */
    public HostTopKScan(Engine engine, TopK start, NeuronStats stats) {
        if (stats != null && stats.neurons() != start.neurons()) throw new IllegalArgumentException("stats and store differ in neurons");
        this.engine = engine;
        this.topK = start.copy();
        this.stats = stats == null ? null : stats.copy();
    }

    @Override
    public void add(List<int[]> docs, int[] docIds) {
        int need = docs.size() * engine.neurons();
        if (max.length < need) {
            max = new float[need];
            argmax = new int[need];
            positive = new int[need];
        }
        engine.docMax(docs, max, argmax, stats == null ? null : positive);
        long t0 = System.nanoTime();
        topK.merge(docs.size(), docIds, max, argmax);
        if (stats != null) {
            long tokens = 0;
            for (int[] d : docs) tokens += d.length;
            stats.add(docs.size(), docIds, max, argmax, positive, tokens);
        }
        mergeNanos += System.nanoTime() - t0;
    }

    @Override
    public TopK store() {
        return topK.copy();
    }

    @Override
    public NeuronStats stats() {
        return stats == null ? null : stats.copy();
    }

    @Override
    public String mergeLocation() {
        return "host";
    }

    @Override
    public long hostMergeNanos() {
        return mergeNanos;
    }

    @Override
    public void close() {
    }
}
