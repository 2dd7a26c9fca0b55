package neuroscan.engine;

import neuroscan.store.TopK;

import java.util.List;

/** {@link TopKScan} for engines that return per-document maxima: {@link Engine#docMax}, then {@link TopK#merge} on the host. */
public final class HostTopKScan implements TopKScan {
    private final Engine engine;
    private final TopK topK;
    private float[] max = new float[0];
    private int[] argmax = new int[0];
    private long mergeNanos;

    /** Continues from {@code start} (not modified; copied). */
    public HostTopKScan(Engine engine, TopK start) {
        this.engine = engine;
        this.topK = start.copy();
    }

    @Override
    public void add(List<int[]> docs, int[] docIds) {
        int need = docs.size() * engine.neurons();
        if (max.length < need) {
            max = new float[need];
            argmax = new int[need];
        }
        engine.docMax(docs, max, argmax);
        long t0 = System.nanoTime();
        topK.merge(docs.size(), docIds, max, argmax);
        mergeNanos += System.nanoTime() - t0;
    }

    @Override
    public TopK store() {
        return topK.copy();
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
