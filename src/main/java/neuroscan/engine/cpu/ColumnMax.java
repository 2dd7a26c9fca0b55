package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.I;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * The max over positions of activations that exist as rows (a layer whose output also feeds W_out, or
 * SoLU's hook_mid, which needs its whole row before it is known): folds rows in order into the running
 * max/argmax of each row's document slot, with {@link MlpInGeluMax}'s comparison (strict {@code >}: the
 * first position wins ties; a NaN makes the max NaN and sticks).
 */
final class ColumnMax {
    private static final IntVector ONE = IntVector.broadcast(I, 1);

    private ColumnMax() {
    }

    /**
     * @param h    [rows x ldh] activations; columns [0, n) are folded (whole vectors: n is rounded up, ldh and ldm
     *             must allow it)
     * @param max  [slots x ldm], initialised by the caller to -infinity / -1 in {@code arg}
     * @param positive null, or [slots x ldm] initialised to 0: activations > 0 are counted (the scan's density)
     */
    static void fold(float[] h, int ldh, int rows, int n, int[] slot, int[] pos, float[] max, int[] arg, int[] positive, int ldm) {
        int nVec = Microkernel.roundUp(n, VL);
        if (nVec > ldh || nVec > ldm) throw new IllegalArgumentException("row stride too small");
        for (int r = 0; r < rows; r++) {
            int base = slot[r] * ldm, ho = r * ldh;
            IntVector p = IntVector.broadcast(I, pos[r]);
            for (int v = 0; v < nVec; v += VL) {
                FloatVector g = FloatVector.fromArray(F, h, ho + v), m = FloatVector.fromArray(F, max, base + v);
                if (positive != null) {
                    IntVector.fromArray(I, positive, base + v).add(ONE, g.compare(VectorOperators.GT, 0f).cast(I)).intoArray(positive, base + v);
                }
                VectorMask<Float> gt = g.compare(VectorOperators.GT, m).or(g.test(VectorOperators.IS_NAN).andNot(m.test(VectorOperators.IS_NAN)));
                if (!gt.anyTrue()) continue;
                m.blend(g, gt).intoArray(max, base + v);
                IntVector.fromArray(I, arg, base + v).blend(p, gt.cast(I)).intoArray(arg, base + v);
            }
        }
    }
}
