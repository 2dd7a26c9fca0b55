package neuroscan.engine.cpu;

/**
 * {@link Flops#forward} for code outside this package (the report). Not on Flops itself: JMH takes every
 * public method of an {@code @AuxCounters} class for a counter.
 */
public final class FlopCount {
    private FlopCount() {
    }

    /** FLOPs of layer 0 up to hook_post for one document of {@code len} tokens (projections + causal attention). */
    public static long forward(long len, long dModel, long nHeads, long dHead, long dMlp) {
        return Flops.forward(len, dModel, nHeads, dHead, dMlp);
    }
}
