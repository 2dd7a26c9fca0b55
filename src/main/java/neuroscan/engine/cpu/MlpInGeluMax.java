package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static neuroscan.engine.cpu.Microkernel.MR;
import static neuroscan.engine.cpu.Microkernel.NR;
import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.I;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * The scan's hot loop, fused: for every row (token) r of a bin, post = act(a[r] @ W_in + b_in), folded
 * at once into its document's running max and argmax per neuron. The [tokens x d_mlp] activations
 * never exist: each 6 x 64 tile goes from the microkernel's registers to a 1.5 KiB buffer, gets the bias
 * and GELU, and is folded; rows are visited in position order, so a strict {@code >} keeps the first
 * position on ties, as {@link neuroscan.engine.ReferenceEngine} does.
 *
 * <p>Same loop order as {@link GemmBias} (a 64-neuron panel of W_in stays in L2 while the rows stream
 * past). The tile starts from the bias and accumulates in the same order as GemmBias, so hook_post from
 * the unfused path ({@code CpuEngine.hookPost}) is bitwise equal to what is folded here.
 */
final class MlpInGeluMax {
    final Panels w;
    private final boolean tanh;

    MlpInGeluMax(Panels wIn, String actFn) {
        this.w = wIn;
        this.tanh = VectorMath.isTanh(actFn);
    }

    /**
     * @param slot document slot of each row; {@code max}/{@code arg} hold one row of ldm (>= w.nPad)
     *             entries per slot, initialised by the caller to -infinity / -1
     * @param pos  position of each row within its document
     */
    void apply(float[] a, int lda, int rows, int[] slot, int[] pos, float[] max, int[] arg, int ldm,
               Workspace ws) {
        int k = w.k;
        if (ldm < w.nPad || lda < k) throw new IllegalArgumentException("row stride too small");
        int full = rows - rows % MR;
        float[] c = ws.cTile, tail = ws.aTail;
        if (full < rows) Microkernel.padRows(a, full * lda, lda, rows - full, k, tail);
        for (int p = 0; p < w.panels(); p++) {
            int bOff = w.panel(p);
            for (int i = 0; i < full; i += MR) {
                fillBias(c, p);
                Microkernel.tile(a, i * lda, lda, w.data, bOff, NR, k, c, 0, NR);
                fold(c, i, MR, p, slot, pos, max, arg, ldm);
            }
            if (full < rows) {
                fillBias(c, p);
                Microkernel.tile(tail, 0, k, w.data, bOff, NR, k, c, 0, NR);
                fold(c, full, rows - full, p, slot, pos, max, arg, ldm);
            }
        }
    }

    private void fillBias(float[] c, int p) {
        for (int i = 0; i < MR; i++) System.arraycopy(w.bias, p * NR, c, i * NR, NR);
    }

    private void fold(float[] c, int r0, int n, int p, int[] slot, int[] pos, float[] max, int[] arg, int ldm) {
        for (int i = 0; i < n; i++) {
            int base = slot[r0 + i] * ldm + p * NR;
            IntVector at = IntVector.broadcast(I, pos[r0 + i]);
            for (int v = 0; v < NR; v += VL) {
                FloatVector g = VectorMath.gelu(FloatVector.fromArray(F, c, i * NR + v), tanh);
                FloatVector m = FloatVector.fromArray(F, max, base + v);
                VectorMask<Float> gt = g.compare(VectorOperators.GT, m);
                m.blend(g, gt).intoArray(max, base + v);
                IntVector.fromArray(I, arg, base + v).blend(at, gt.cast(I)).intoArray(arg, base + v);
            }
        }
    }

    /** post = act(pre) in place, for the unfused path; same arithmetic as the fold. */
    void activate(float[] pre, int off, int len) {
        int j = 0;
        for (; j + VL <= len; j += VL) {
            VectorMath.gelu(FloatVector.fromArray(F, pre, off + j), tanh).intoArray(pre, off + j);
        }
        if (j < len) {
            VectorMask<Float> m = VectorMath.firstLanes(len - j);
            VectorMath.gelu(FloatVector.fromArray(F, pre, off + j, m), tanh).intoArray(pre, off + j, m);
        }
    }
}
