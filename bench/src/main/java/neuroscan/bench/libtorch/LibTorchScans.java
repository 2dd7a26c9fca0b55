package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDManager;
import neuroscan.model.Weights;
import neuroscan.store.TopK;

import java.util.List;

/**
 * The two LibTorch scans on one set of weights, for callers outside this package (the report): the
 * weights are copied into LibTorch once and shared; closing frees every native tensor.
 */
public final class LibTorchScans implements AutoCloseable {
    private final NDManager m;
    private final TorchForward fwd;
    private final SeedPipeline seed;
    private final BestPipeline best;

    public LibTorchScans(Weights weights) {
        m = LibTorch.manager();
        try {
            fwd = new TorchForward(weights, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        seed = new SeedPipeline(fwd, m);
        best = new BestPipeline(fwd, m);
    }

    /** The seed notebook's pipeline (padded batches of 16, MaxStore); positions are -1. */
    public TopK seed(List<int[]> docs, int k) {
        return seed.run(docs, k);
    }

    /** The best LibTorch pipeline (length-sorted unpadded batches, topk merge). */
    public TopK best(List<int[]> docs, int k) {
        return best.run(docs, k);
    }

    /** "LibTorch 2.7.1 via DJL 0.34.0 (2 intra-op threads)". */
    public String describe() {
        return LibTorch.describe();
    }

    @Override
    public void close() {
        fwd.close();
        m.close();
    }
}
