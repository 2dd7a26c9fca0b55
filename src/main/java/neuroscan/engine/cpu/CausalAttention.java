package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static neuroscan.engine.cpu.Microkernel.MR;
import static neuroscan.engine.cpu.Microkernel.NR;
import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * Causal multi-head attention of one document, z[i][h] = softmax_j<=i(q_i k_j / sqrt(d_head)) v[h], from
 * the fused QKV rows (q at column h d_head, k at H d_head + h d_head, v at 2 H d_head + h d_head).
 *
 * <p>Per head, K (pre-scaled by 1/sqrt(d_head)) and V are packed once into microkernel panels; then per
 * block of MR = 6 queries: the scores against keys [0, last query] only (the causal half, in 64-key
 * panels) go into a 6 x L row buffer, an exact two-pass softmax (max, then exp and sum) runs on each
 * row, and the same microkernel multiplies the probabilities with V. Nothing larger than 6 x L scores
 * ever exists, and both products run on the register tile that does the projections. A row buffer
 * rather than an online softmax: on a CPU the 4 KiB row stays in L1, and the exact max needs no
 * rescaling of partial sums (the OpenCL twin may prefer the online form).
 */
public final class CausalAttention {
    private final int nHeads, dHead;
    private final float scale;
    private static final FloatVector NEG_INF = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY),
            ZERO = FloatVector.zero(F);
    /** A zero row: tiles that start from 0 read it with row stride 0. */
    private static final float[] ZEROS = new float[NR];

    CausalAttention(int nHeads, int dHead) {
        this.nHeads = nHeads;
        this.dHead = dHead;
        this.scale = (float) (1.0 / Math.sqrt(dHead));
    }

    /**
     * @param qkv rows [s0, s0 + len) hold the document's fused q|k|v, ldq apart
     * @param z   receives rows [s0, s0 + len), columns [0, H d_head), ldz apart
     */
    void apply(float[] qkv, int ldq, int s0, int len, float[] z, int ldz, Workspace ws) {
        int dh = dHead, hd = nHeads * dHead, lds = ws.lds;
        float[] kp = ws.keyPanels, vp = ws.valuePanels, s = ws.scores, zt = ws.cTile, qt = ws.aTail, inv = ws.rowScale;
        for (int h = 0; h < nHeads; h++) {
            packKeys(qkv, ldq, s0, len, hd + h * dh, kp, ws.rowIndex);
            packValues(qkv, ldq, s0, len, 2 * hd + h * dh, vp, lds);
            for (int q0 = 0; q0 < len; q0 += MR) {
                int nq = Math.min(MR, len - q0), nk = q0 + nq;
                int kPanels = (nk + NR - 1) / NR;
                // A operand: the block's q rows, padded with zero rows past the document's end.
                float[] qa = qkv;
                int qOff = (s0 + q0) * ldq + h * dh, lda = ldq;
                if (nq < MR) {
                    Microkernel.padRows(qkv, qOff, ldq, nq, dh, qt);
                    qa = qt;
                    qOff = 0;
                    lda = dh;
                }
                for (int pj = 0; pj < kPanels; pj++) {
                    Microkernel.tile(qa, qOff, lda, kp, pj * dh * NR, NR, dh, ZEROS, 0, 0, s, pj * NR, lds);
                }
                for (int i = 0; i < MR; i++) {
                    if (i < nq) inv[i] = softmaxRow(s, i * lds, q0 + i + 1, nk, ws.lanes);
                    else java.util.Arrays.fill(s, i * lds, i * lds + nk, 0f);
                }
                for (int dc = 0; dc < dh; dc += NR) {
                    Microkernel.tile(s, 0, lds, vp, dc * lds, NR, nk, ZEROS, 0, 0, zt, 0, NR);
                    int width = Math.min(NR, dh - dc);
                    for (int i = 0; i < nq; i++) {
                        scaleInto(zt, i * NR, inv[i], z, (s0 + q0 + i) * ldz + h * dh + dc, width);
                    }
                }
            }
        }
    }

    /**
     * kp[panel][d][j] = k_j[d] / sqrt(d_head), zero for keys past the document's end: a transpose, done
     * with gathers of 16 keys' d-th components (rows ldq apart) into each destination vector.
     */
    private void packKeys(float[] qkv, int ldq, int s0, int len, int kCol, float[] kp, int[] rowIndex) {
        int dh = dHead;
        FloatVector sc = FloatVector.broadcast(F, scale);
        for (int i = 0; i < VL; i++) rowIndex[i] = i * ldq;
        for (int j0 = 0; j0 < len; j0 += VL) {
            int src = (s0 + j0) * ldq + kCol, dst = (j0 / NR) * dh * NR + j0 % NR;
            if (j0 + VL <= len) {
                for (int d = 0; d < dh; d++) {
                    FloatVector.fromArray(F, qkv, src + d, rowIndex, 0).mul(sc).intoArray(kp, dst + d * NR);
                }
            } else {
                // The last keys: lanes past the end re-read the last key (a masked gather still
                // bounds-checks every lane) and are then zeroed.
                VectorMask<Float> past = VectorMath.firstLanes(len - j0).not();
                for (int i = len - j0; i < VL; i++) rowIndex[i] = (len - j0 - 1) * ldq;
                for (int d = 0; d < dh; d++) {
                    FloatVector.fromArray(F, qkv, src + d, rowIndex, 0).mul(sc).blend(0f, past).intoArray(kp, dst + d * NR);
                }
            }
        }
        int end = (len + VL - 1) / VL * VL;       // whole vectors past the last key, up to the panel's end
        for (int j0 = end; j0 % NR != 0; j0 += VL) {
            int dst = (j0 / NR) * dh * NR + j0 % NR;
            for (int d = 0; d < dh; d++) java.util.Arrays.fill(kp, dst + d * NR, dst + d * NR + VL, 0f);
        }
    }

    /**
     * vp[chunk][j][c] = v_j[chunk NR + c]: V in panels of NR columns (one for d_head 64), so P V streams
     * through contiguous memory instead of rows ldq apart. Columns past d_head are zero.
     */
    private void packValues(float[] qkv, int ldq, int s0, int len, int vCol, float[] vp, int lds) {
        int dh = dHead;
        for (int dc = 0; dc < dh; dc += NR) {
            int width = Math.min(NR, dh - dc), full = width - width % VL;
            for (int j = 0; j < len; j++) {
                int src = (s0 + j) * ldq + vCol + dc, dst = dc * lds + j * NR;
                int c = 0;
                for (; c < full; c += VL) FloatVector.fromArray(F, qkv, src + c).intoArray(vp, dst + c);
                for (; c < width; c++) vp[dst + c] = qkv[src + c];
                for (; c < NR; c++) vp[dst + c] = 0f;
            }
        }
    }

    /**
     * Softmax of scores [0, n) of one row in place, zeroing [n, nk) (keys other queries of the block
     * see); returns 1 / sum so the 1/sum scaling happens once per output, after P V.
     */
    private static float softmaxRow(float[] s, int off, int n, int nk, float[] lanes) {
        int full = n - n % VL;
        // Row max with two independent compare+blend chains (FloatVector.max is a long, serial sequence).
        // Loop-carried vectors start from fresh broadcasts: a phi of a static constant and a computed
        // vector makes C2 allocate a box per iteration.
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (; i + 2 * VL <= full; i += 2 * VL) {
            FloatVector a = FloatVector.fromArray(F, s, off + i), b = FloatVector.fromArray(F, s, off + i + VL);
            m0 = m0.blend(a, a.compare(VectorOperators.GT, m0));
            m1 = m1.blend(b, b.compare(VectorOperators.GT, m1));
        }
        if (i < full) {
            FloatVector a = FloatVector.fromArray(F, s, off + i);
            m0 = m0.blend(a, a.compare(VectorOperators.GT, m0));
        }
        VectorMask<Float> tail = VectorMath.firstLanes(n - full);
        if (full < n) {
            FloatVector a = FloatVector.fromArray(F, s, off + full).blend(NEG_INF, tail.not());
            m1 = m1.blend(a, a.compare(VectorOperators.GT, m1));
        }
        m0 = m0.blend(m1, m1.compare(VectorOperators.GT, m0));
        VectorMath.exp(s, off, n, m0.reduceLanes(VectorOperators.MAX));
        FloatVector sum = FloatVector.zero(F);
        for (int j = 0; j < full; j += VL) sum = sum.add(FloatVector.fromArray(F, s, off + j));
        int j = full;
        if (full < n) {
            FloatVector e = FloatVector.fromArray(F, s, off + full).blend(ZERO, tail.not());
            sum = sum.add(e);
            e.intoArray(s, off + full);
            j += VL;
        }
        for (; j < nk; j++) s[off + j] = 0f;
        return 1f / VectorMath.sumLanes(sum, lanes);
    }

    private static void scaleInto(float[] src, int from, float f, float[] dst, int to, int width) {
        int d = 0;
        for (; d + VL <= width; d += VL) {
            FloatVector.fromArray(F, src, from + d).mul(f).intoArray(dst, to + d);
        }
        if (d < width) {
            VectorMask<Float> m = VectorMath.firstLanes(width - d);
            FloatVector.fromArray(F, src, from + d).mul(f).intoArray(dst, to + d, m);
        }
    }
}
