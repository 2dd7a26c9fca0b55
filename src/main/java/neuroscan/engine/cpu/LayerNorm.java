package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;

import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * y = (x - mean) / sqrt(var + eps) * w + b per row (TransformerLens "LN"); "LNPre" has no w, b; no
 * normalization copies x. Two passes over the row (mean, then centred variance) as TransformerLens
 * does, with 16 partial sums per vector; a row is 2 KiB, so it stays in L1 across the three passes.
 */
public final class LayerNorm {
    private final float[] w, b;
    private final boolean identity;
    private final float eps;
    private final int dModel;

    /** @param normalization "LN", "LNPre" or null; w, b only for "LN" */
    LayerNorm(String normalization, float[] w, float[] b, double eps, int dModel) {
        this.identity = normalization == null;
        this.w = w;
        this.b = b;
        this.eps = (float) eps;
        this.dModel = dModel;
    }

    /** @param lanes scratch of one vector */
    void apply(float[] x, int ldx, int rows, float[] y, int ldy, float[] lanes) {
        int dm = dModel, vecEnd = dm - dm % VL;
        for (int r = 0; r < rows; r++) {
            int xo = r * ldx, yo = r * ldy;
            if (identity) {
                System.arraycopy(x, xo, y, yo, dm);
                continue;
            }
            FloatVector acc = FloatVector.zero(F);
            float tail = 0;
            for (int i = 0; i < vecEnd; i += VL) acc = acc.add(FloatVector.fromArray(F, x, xo + i));
            for (int i = vecEnd; i < dm; i++) tail += x[xo + i];
            float mean = (VectorMath.sumLanes(acc, lanes) + tail) / dm;
            acc = FloatVector.zero(F);
            tail = 0;
            for (int i = 0; i < vecEnd; i += VL) {
                FloatVector d = FloatVector.fromArray(F, x, xo + i).sub(mean);
                acc = d.fma(d, acc);
            }
            for (int i = vecEnd; i < dm; i++) tail += (x[xo + i] - mean) * (x[xo + i] - mean);
            float var = (VectorMath.sumLanes(acc, lanes) + tail) / dm;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            for (int i = 0; i < vecEnd; i += VL) {
                FloatVector v = FloatVector.fromArray(F, x, xo + i).sub(mean).mul(inv);
                if (w != null) v = v.fma(FloatVector.fromArray(F, w, i), FloatVector.fromArray(F, b, i));
                v.intoArray(y, yo + i);
            }
            for (int i = vecEnd; i < dm; i++) {
                float v = (x[xo + i] - mean) * inv;
                y[yo + i] = w != null ? v * w[i] + b[i] : v;
            }
        }
    }
}
