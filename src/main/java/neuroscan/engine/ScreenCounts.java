package neuroscan.engine;

/**
 * What a scan's tensor-core screen did (issue 14): (document, neuron) pairs screened, and those whose
 * bound could reach the store's k-th entry, recomputed exactly in FP32. Summed over batches, resumed
 * sessions and merged shards.
 */
public record ScreenCounts(long screened, long recomputed) {
    public static final ScreenCounts NONE = new ScreenCounts(0, 0);

    /** The fraction of pairs the screen spared the FP32 recompute (0 when nothing was screened). */
    public double fractionSkipped() {
        return screened == 0 ? 0 : 1.0 - (double) recomputed / screened;
    }

    public ScreenCounts plus(ScreenCounts o) {
        return new ScreenCounts(screened + o.screened, recomputed + o.recomputed);
    }
}
