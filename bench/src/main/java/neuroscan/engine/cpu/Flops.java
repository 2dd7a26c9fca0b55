package neuroscan.engine.cpu;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A work counter JMH reports as a rate next to the score (summed over threads): {@code flop} is FLOP/s;
 * divide by 1e9 for GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Flops {
    public long flop;

    @Setup(Level.Iteration)
    public void reset() {
        flop = 0;
    }

    /** FLOPs of a [rows x k] @ [k x n] product (one FMA = 2). */
    static long gemm(long rows, long k, long n) {
        return 2 * rows * k * n;
    }

    /** FLOPs of causal attention over one document: q.k and p.v for every key <= query, every head. */
    static long attention(long len, long nHeads, long dHead) {
        return 2 * nHeads * dHead * len * (len + 1);
    }

    /** FLOPs of layer 0 up to hook_post for one document (projections + attention). */
    static long forward(long len, long dModel, long nHeads, long dHead, long dMlp) {
        long hd = nHeads * dHead;
        return gemm(len, dModel, 3 * hd) + attention(len, nHeads, dHead) + gemm(len, hd, dModel) + gemm(len, dModel, dMlp);
    }
}
