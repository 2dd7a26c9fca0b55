package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static neuroscan.engine.cpu.Microkernel.MC;
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
 * position on ties, as {@link neuroscan.engine.ReferenceEngine} does. GELU is only evaluated for vectors
 * where some lane could beat its running max (see {@code fold}), which is exact and saves most of it.
 *
 * <p>Same loop order as {@link GemmBias} (192-row blocks, then 64-neuron panels of W_in, then row
 * tiles); rows of a document are still folded in position order. The tile starts from the bias and accumulates in the same order as GemmBias, so hook_post from
 * the unfused path ({@code CpuEngine.hookPost}) is bitwise equal to what is folded here.
 */
public final class MlpInGeluMax {
    private static final FloatVector ZERO = FloatVector.zero(F);
    // GELU(x) > 0 exactly where x > the least subnormal, in VectorMath's float arithmetic: x/2 times a
    // factor >= 1 for x > 0, and x/2 rounds to 0 only for that one value. So positives are counted on the
    // pre-activation, before the pick skips GELU (MlpInGeluMaxTest checks the boundary).
    private static final FloatVector LEAST = FloatVector.broadcast(F, Float.MIN_VALUE);
    private static final IntVector ONE = IntVector.broadcast(I, 1);
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
     * @param positive null, or per slot (ldm stride, initialised to 0 by the caller): rows with post > 0 are counted
     */
    void apply(float[] a, int lda, int rows, int[] slot, int[] pos, float[] max, int[] arg, int[] positive, int ldm,
               Workspace ws) {
        int k = w.k;
        if (ldm < w.nPad || lda < k) throw new IllegalArgumentException("row stride too small");
        int full = rows - rows % MR;
        float[] c = ws.cTile, tail = ws.aTail;
        if (full < rows) Microkernel.padRows(a, full * lda, lda, rows - full, k, tail);
        for (int r0 = 0; r0 < full; r0 += MC) {
            for (int p = 0; p < w.panels(); p++) {
                int bOff = w.panel(p);
                for (int i = r0; i < Math.min(r0 + MC, full); i += MR) {
                    Microkernel.tile(a, i * lda, lda, w.data, bOff, NR, k, w.bias, p * NR, 0, c, 0, NR);
                    fold(c, i, MR, p, slot, pos, max, arg, positive, ldm, ws.todo, ws.geluTmp);
                }
            }
        }
        if (full < rows) {                              // last: the fold must see rows in order
            for (int p = 0; p < w.panels(); p++) {
                Microkernel.tile(tail, 0, k, w.data, w.panel(p), NR, k, w.bias, p * NR, 0, c, 0, NR);
                fold(c, full, rows - full, p, slot, pos, max, arg, positive, ldm, ws.todo, ws.geluTmp);
            }
        }
    }

    /**
     * Folds a tile (rows r0.., panel p) into the running max/argmax in three branch-light passes:
     * pick the vectors where some lane could beat its running max, apply GELU to just those (independent
     * of each other, so the core overlaps them), then compare and blend them in row order.
     *
     * <p>The pick is exact: GELU(x) <= max(x, 0) also in float (x/2 times a factor in [0, 2]), so where
     * the running max is >= 0 and x <= it, GELU(x) cannot beat it. Once a document's maxima are
     * established that holds for whole vectors most of the time (records get rarer along a document).
     */
    private void fold(float[] c, int r0, int n, int p, int[] slot, int[] pos, float[] max, int[] arg, int[] positive,
                      int ldm, int[] todo, float[] tmp) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            int base = slot[r0 + i] * ldm + p * NR;
            for (int v = 0; v < NR; v += VL) {
                FloatVector pre = FloatVector.fromArray(F, c, i * NR + v);
                if (positive != null) {
                    IntVector.fromArray(I, positive, base + v).add(ONE, pre.compare(VectorOperators.GT, LEAST).cast(I))
                            .intoArray(positive, base + v);
                }
                FloatVector m = FloatVector.fromArray(F, max, base + v);
                boolean skip = pre.compare(VectorOperators.LE, m).and(m.compare(VectorOperators.GE, ZERO)).allTrue();
                todo[count] = i * NR + v;
                count += skip ? 0 : 1;
            }
        }
        if (tanh) VectorMath.geluTanh(c, todo, count, tmp);
        else VectorMath.geluExact(c, todo, count, tmp);
        for (int t = 0; t < count; t++) {
            int at = todo[t], i = at / NR, base = slot[r0 + i] * ldm + p * NR + at % NR;
            FloatVector g = FloatVector.fromArray(F, c, at), m = FloatVector.fromArray(F, max, base);
            // a NaN activation makes the max NaN (NaN then sticks: nothing compares greater)
            VectorMask<Float> gt = g.compare(VectorOperators.GT, m).or(g.test(VectorOperators.IS_NAN).andNot(m.test(VectorOperators.IS_NAN)));
            m.blend(g, gt).intoArray(max, base);
            IntVector.fromArray(I, arg, base).blend(IntVector.broadcast(I, pos[r0 + i]), gt.cast(I)).intoArray(arg, base);
        }
    }

    /** post = act(pre) in place on [off, off + len), for the unfused path: the same arithmetic as the fold. */
    void activate(float[] pre, int off, int len, Workspace ws) {
        int[] at = ws.todo;
        int full = off + len - len % VL;
        for (int j = off; j < full; ) {
            int count = 0;
            for (; j < full && count < at.length; j += VL) at[count++] = j;
            if (tanh) VectorMath.geluTanh(pre, at, count, ws.geluTmp);
            else VectorMath.geluExact(pre, at, count, ws.geluTmp);
        }
        if (full < off + len) {                // the last partial vector, through a scratch vector
            float[] c = ws.cTile;
            System.arraycopy(pre, full, c, 0, off + len - full);
            at[0] = 0;
            if (tanh) VectorMath.geluTanh(c, at, 1, ws.geluTmp);
            else VectorMath.geluExact(c, at, 1, ws.geluTmp);
            System.arraycopy(c, 0, pre, full, off + len - full);
        }
    }
}
