package neuroscan.kernels;

/**
 * Which (document, neuron) pairs the screen must hand to the exact FP32 recompute: one predicate, so
 * that whatever else a scan stores from the maxima can add its own condition here (a per-neuron
 * activation density needs the sign of every element; a histogram of maxima, the bin of every pair;
 * quantile samples, every pair a sample could draw), and everything the run writes stays the FP32 path's.
 */
public final class ScreenPredicate {
    private ScreenPredicate() {
    }

    /**
     * Whether a document whose max of the neuron is at most {@code upper} (+inf: unknown) could enter the
     * store whose k-th entry is (kthMax, kthDoc): the store is not full yet (kthDoc < 0), or the bound
     * reaches the k-th value (ties included: the store orders equal maxima by document index, and the
     * bound says nothing about which is lower). The store only rises during a scan, so the k-th entry
     * before a batch is a safe threshold for it. NaN maxima (which the merge counts) come from NaN or
     * infinite pre-activations, whose bound is +inf: they are recomputed too.
     */
    static boolean needsExact(float upper, float kthMax, int kthDoc) {
        return kthDoc < 0 || !(upper < kthMax);
    }
}
