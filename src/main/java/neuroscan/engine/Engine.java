package neuroscan.engine;

import java.util.List;

/**
 * Runs the model to the scanned hook of every layer ({@code blocks.{l}.mlp.hook_post}; {@code hook_mid} for
 * SoLU: {@link neuroscan.model.ModelConfig#hook()}). Implementations: {@link ReferenceEngine} (plain loops,
 * the twin everything is tested against), the Vector API CPU engine, OpenCL and CUDA.
 *
 * <p>Neurons are indexed flat over the layers, g = layer * d_mlp + n, everywhere an engine hands them out.
 */
public interface Engine extends AutoCloseable {

    /** Every layer's neurons, n_layers * d_mlp: the width of {@link #docMax}'s and {@link #hookPost}'s rows. */
    int neurons();

    /**
     * For each document d (tokens already include BOS; length 1..n_ctx) and flat neuron g:
     * {@code max[d * neurons + g]} = max over positions of the scanned hook[pos][g], and
     * {@code argmax[d * neurons + g]} its first position on ties. Where some activation of the document is NaN,
     * the max is NaN (at the first NaN position) on every engine, so the store's merge refuses and counts it per
     * neuron. Arrays are caller-allocated with at least docs.size() * neurons entries.
     */
    default void docMax(List<int[]> docs, float[] max, int[] argmax) {
        docMax(docs, max, argmax, null);
    }

    /**
     * {@link #docMax(List, float[], int[])}, and where {@code positive} is not null, {@code positive[d * neurons + g]}
     * = the number of d's positions where the scanned hook[pos][g] > 0 (NaN is not), counted where the max is taken
     * (the fused MLP kernel's epilogue), for the scan's density.
     */
    void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive);

    /**
     * Per-position activations of one document, every layer's scanned hook (hook_post, or hook_mid for SoLU),
     * flattened [tokens.length, neurons] with flat neuron indices (for pages and trace).
     */
    float[] hookPost(int[] tokens);

    /** A scan continuing from {@code start}, without statistics. */
    default TopKScan topKScan(neuroscan.store.TopK start) {
        return topKScan(start, null);
    }

    /**
     * A scan continuing from {@code start} and, unless {@code stats} is null, from those statistics:
     * batches in, the top-k store and the statistics out. The default works on the host
     * ({@link HostTopKScan}); GPU engines keep both on the device.
     */
    default TopKScan topKScan(neuroscan.store.TopK start, neuroscan.store.NeuronStats stats) {
        return new HostTopKScan(this, start, stats);
    }

    /** A short name for manifests and stderr, e.g. "cpu (2 threads, AVX-512)" or "reference". */
    String describe();

    @Override
    default void close() {
    }
}
