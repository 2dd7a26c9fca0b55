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
    void docMax(List<int[]> docs, float[] max, int[] argmax);

    /**
     * Per-position activations of one document, every layer's scanned hook (hook_post, or hook_mid for SoLU),
     * flattened [tokens.length, neurons] with flat neuron indices (for pages and trace).
     */
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
