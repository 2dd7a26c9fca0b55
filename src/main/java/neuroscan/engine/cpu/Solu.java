package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * SoLU as TransformerLens's {@code solu_ln} computes it before its LayerNorm: hook_mid = x * softmax(x) over a
 * row's d_mlp neurons. Exact two-pass softmax (the row max, then exponentials from it), float32, the
 * exponentials by {@link VectorMath#exp} so results do not depend on JVM intrinsics.
 */
final class Solu {
    private Solu() {
    }

    /**
     * Rows [0, rows) of h (stride ldh, n neurons) in place: h = h * exp(h - max) / sum.
     *
     * @param e scratch of at least roundUp(n, VL) floats
     */
    static void mid(float[] h, int ldh, int rows, int n, float[] e, float[] lanes) {
        int nVec = Microkernel.roundUp(n, VL);
        for (int r = 0; r < rows; r++) {
            int o = r * ldh;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, h[o + j]);
            System.arraycopy(h, o, e, 0, n);
            java.util.Arrays.fill(e, n, nVec, Float.NEGATIVE_INFINITY);   // lanes past n add ~e^-87 (exp's clamp): nothing
            VectorMath.exp(e, 0, nVec, max);
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < nVec; j += VL) acc = acc.add(FloatVector.fromArray(F, e, j));
            float inv = 1f / VectorMath.sumLanes(acc, lanes);
            for (int j = 0; j < nVec; j += VL) {
                FloatVector x = FloatVector.fromArray(F, h, o + j);
                x.mul(FloatVector.fromArray(F, e, j)).mul(inv).intoArray(h, o + j);
            }
        }
    }
}
