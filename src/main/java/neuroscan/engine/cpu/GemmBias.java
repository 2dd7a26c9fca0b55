package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;

import static neuroscan.engine.cpu.Microkernel.MC;
import static neuroscan.engine.cpu.Microkernel.MR;
import static neuroscan.engine.cpu.Microkernel.NR;
import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * out[r] = a[r] @ W + bias (or out[r] += a[r] @ W + bias, which fuses the residual add) for rows
 * [0, rows): the QKV projection (W_Q|W_K|W_V fused into one [d_model, 3 H d_head] matrix) and the
 * attention output projection W_O. Each output row starts as bias (+ residual) and the microkernel adds
 * the product in k order, so a row's result does not depend on which tile it landed in, and W_in through
 * here gives bit for bit what {@link MlpInGeluMax} folds.
 *
 * <p>Loop order: blocks of MC = 192 rows (384 KiB of A at k = 512, kept in L2), then 64-column panels of
 * W (128 KiB each, read from L3 once per row block and kept in L2 while the block's 32 row tiles pass),
 * then row tiles. Measured at ~90-95% of the FMA peak per core.
 */
public final class GemmBias {
    final Panels w;

    GemmBias(Panels w) {
        this.w = w;
    }

    /**
     * @param lda row stride of a (at least w.k)
     * @param ldo row stride of out, at least w.nPad: whole 64-wide tiles are stored, columns past n
     *            receive zeros (+ whatever was there when accumulating)
     * @param ws  scratch: {@link Workspace#aTail} (MR x k) and {@link Workspace#cTile}
     */
    void apply(float[] a, int lda, int rows, float[] out, int ldo, boolean accumulate, Workspace ws) {
        int k = w.k, nPad = w.nPad;
        if (ldo < nPad || lda < k) throw new IllegalArgumentException("row stride too small");
        float[] bias = w.bias;
        if (accumulate) {              // out += bias first; the tiles then accumulate in place
            for (int r = 0; r < rows; r++) {
                int o = r * ldo;
                for (int j = 0; j < nPad; j += VL) {
                    FloatVector.fromArray(F, bias, j).add(FloatVector.fromArray(F, out, o + j)).intoArray(out, o + j);
                }
            }
        }
        int full = rows - rows % MR;
        for (int r0 = 0; r0 < full; r0 += MC) {
            for (int p = 0; p < w.panels(); p++) {
                int bOff = w.panel(p);
                for (int i = r0; i < Math.min(r0 + MC, full); i += MR) {
                    int o = i * ldo + p * NR;
                    if (accumulate) Microkernel.tile(a, i * lda, lda, w.data, bOff, NR, k, out, o, ldo);
                    else Microkernel.tile(a, i * lda, lda, w.data, bOff, NR, k, bias, p * NR, 0, out, o, ldo);
                }
            }
        }
        if (full < rows) {
            int n = rows - full;
            float[] tail = ws.aTail, c = ws.cTile;
            Microkernel.padRows(a, full * lda, lda, n, k, tail);
            for (int p = 0; p < w.panels(); p++) {
                if (accumulate) {
                    for (int i = 0; i < n; i++) System.arraycopy(out, (full + i) * ldo + p * NR, c, i * NR, NR);
                    Microkernel.tile(tail, 0, k, w.data, w.panel(p), NR, k, c, 0, NR);
                } else {
                    Microkernel.tile(tail, 0, k, w.data, w.panel(p), NR, k, bias, p * NR, 0, c, 0, NR);
                }
                for (int i = 0; i < n; i++) System.arraycopy(c, i * NR, out, (full + i) * ldo + p * NR, NR);
            }
        }
    }
}
