package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import neuroscan.model.Tensor;

import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * x[r] = W_E[token r] + W_pos[position r]. W_E stays where the checkpoint put it (memory-mapped, 94 MiB
 * for gelu-1l); each row is copied once straight into x, and the position row (W_pos is copied to the
 * heap, it is small) added with vectors. Memory-bound and tiny next to the projections.
 */
public final class Embed {
    private final Tensor wE;
    private final float[] wPos;
    private final int dModel;

    Embed(Tensor wE, Tensor wPos) {
        this.wE = wE;
        this.wPos = wPos.toArray();
        this.dModel = (int) wE.shape()[1];
    }

    /** Rows [0, rows) of x, ldx apart; token ids are checked by the caller. */
    void apply(int[] tokens, int[] pos, int rows, float[] x, int ldx) {
        int dm = dModel;
        for (int r = 0; r < rows; r++) {
            int o = r * ldx, p = pos[r] * dm;
            wE.copyRow(tokens[r], x, o);
            int i = 0;
            for (; i + VL <= dm; i += VL) {
                FloatVector.fromArray(F, x, o + i).add(FloatVector.fromArray(F, wPos, p + i)).intoArray(x, o + i);
            }
            for (; i < dm; i++) x[o + i] += wPos[p + i];
        }
    }
}
