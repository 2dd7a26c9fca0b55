package neuroscan.engine;

import java.util.List;

/**
 * Runs the model to {@code blocks.0.mlp.hook_post}. Implementations: {@link ReferenceEngine} (plain loops,
 * the twin everything is tested against), the Vector API CPU engine, OpenCL and CUDA.
 */
public interface Engine extends AutoCloseable {

    /** d_mlp: the number of neurons. */
    int dMlp();

    /**
     * For each document d (tokens already include BOS; length 1..n_ctx) and neuron n:
     * {@code max[d * dMlp + n]} = max over positions of hook_post[pos][n], and {@code argmax[d * dMlp + n]}
     * its first position on ties. Where some activation of the document is NaN, the max is NaN (at the first
     * NaN position) on every engine, so the store's merge refuses and counts it per neuron. Arrays are
     * caller-allocated with at least docs.size() * dMlp entries.
     */
    void docMax(List<int[]> docs, float[] max, int[] argmax);

    /** Per-position activations of one document, flattened [tokens.length, d_mlp] (for pages and trace). */
    float[] hookPost(int[] tokens);

    /**
     * A scan continuing from {@code start}: batches in, the top-k store out. The default merges on the
     * host ({@link HostTopKScan}); GPU engines keep the store on the device.
     */
    default TopKScan topKScan(neuroscan.store.TopK start) {
        return new HostTopKScan(this, start);
    }

    /** A short name for manifests and stderr, e.g. "cpu (2 threads, AVX-512)" or "reference". */
    String describe();

    @Override
    default void close() {
    }
}
