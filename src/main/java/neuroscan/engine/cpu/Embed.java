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

    /**
     * The Java twin of kernels/embed.cl, through {@link #apply}: documents packed back to back, document
     * d in rows [offsets[d], offsets[d + 1]); returns x [T, d_model], row t = W_E[tokens[t]] + W_pos[t -
     * offsets[d]].
     *
     * @param W_E [d_vocab, d_model] row-major; @param W_pos [n_ctx, d_model] row-major
     */
    public static float[] twin(int[] tokens, int[] offsets, float[] W_E, float[] W_pos, int dModel) {
        int T = offsets[offsets.length - 1];
        int[] pos = new int[T];
        for (int d = 0; d + 1 < offsets.length; d++)
            for (int t = offsets[d]; t < offsets[d + 1]; t++) pos[t] = t - offsets[d];
        Embed op = new Embed(Tensor.of("W_E", W_E, W_E.length / dModel, dModel),
                Tensor.of("W_pos", W_pos, W_pos.length / dModel, dModel));
        float[] x = new float[T * dModel];
        op.apply(tokens, pos, T, x, dModel);
        return x;
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
