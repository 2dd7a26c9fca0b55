package neuroscan.engine.cpu;

import jdk.incubator.vector.FloatVector;

import static neuroscan.engine.cpu.VectorMath.F;
import static neuroscan.engine.cpu.VectorMath.VL;

/**
 * The register tile every matrix product here runs on: C[MR x NR] += A[MR x k] B[k x NR], with the
 * 24 accumulators (6 rows x 4 vectors; NR = 64 floats with AVX-512) held in registers for the whole k
 * loop. Per k step: 4 vector loads of one B row, 6 broadcasts of A, 24 FMAs, so the FMA units, not the
 * loads, are the limit. 6x4 measured within a few percent of the best shape (6x3) on Zen 5 and
 * NR = 64 divides d_head, d_model, 3 d_model and d_mlp of gelu-1l exactly, so nothing is wasted on
 * padding columns. A rows are lda apart (any row-major matrix), B rows ldb apart: packed
 * {@link Panels} (ldb = NR) or a slice of a row-major matrix (V in attention).
 */
final class Microkernel {
    private Microkernel() {
    }

    static final int MR = 6;
    static final int NR = 4 * VL;
    /** Rows per block in the projections: 192 rows of A (384 KiB at k = 512) stay in L2. */
    static final int MC = 32 * MR;

    /** C += A B in place. */
    static void tile(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int k,
                     float[] c, int cOff, int ldc) {
        tile(a, aOff, lda, b, bOff, ldb, k, c, cOff, ldc, c, cOff, ldc);
    }

    /**
     * C = C0 + A B, C0 read from {@code c0} with rows {@code ld0} apart: ld0 = 0 starts every row from
     * the same bias vector without materialising a bias tile.
     */
    static void tile(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, int k,
                     float[] c0, int off0, int ld0, float[] c, int cOff, int ldc) {
        int i0 = off0, i1 = i0 + ld0, i2 = i1 + ld0, i3 = i2 + ld0, i4 = i3 + ld0, i5 = i4 + ld0;
        FloatVector c00 = ld(c0, i0), c01 = ld(c0, i0 + VL), c02 = ld(c0, i0 + 2 * VL), c03 = ld(c0, i0 + 3 * VL);
        FloatVector c10 = ld(c0, i1), c11 = ld(c0, i1 + VL), c12 = ld(c0, i1 + 2 * VL), c13 = ld(c0, i1 + 3 * VL);
        FloatVector c20 = ld(c0, i2), c21 = ld(c0, i2 + VL), c22 = ld(c0, i2 + 2 * VL), c23 = ld(c0, i2 + 3 * VL);
        FloatVector c30 = ld(c0, i3), c31 = ld(c0, i3 + VL), c32 = ld(c0, i3 + 2 * VL), c33 = ld(c0, i3 + 3 * VL);
        FloatVector c40 = ld(c0, i4), c41 = ld(c0, i4 + VL), c42 = ld(c0, i4 + 2 * VL), c43 = ld(c0, i4 + 3 * VL);
        FloatVector c50 = ld(c0, i5), c51 = ld(c0, i5 + VL), c52 = ld(c0, i5 + 2 * VL), c53 = ld(c0, i5 + 3 * VL);
        int c1 = cOff + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int kk = 0, bo = bOff; kk < k; kk++, bo += ldb) {
            FloatVector b0 = ld(b, bo), b1 = ld(b, bo + VL), b2 = ld(b, bo + 2 * VL), b3 = ld(b, bo + 3 * VL);
            FloatVector x = FloatVector.broadcast(F, a[a0 + kk]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + kk]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + kk]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + kk]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(F, a[a4 + kk]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(F, a[a5 + kk]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + VL); c02.intoArray(c, cOff + 2 * VL); c03.intoArray(c, cOff + 3 * VL);
        c10.intoArray(c, c1); c11.intoArray(c, c1 + VL); c12.intoArray(c, c1 + 2 * VL); c13.intoArray(c, c1 + 3 * VL);
        c20.intoArray(c, c2); c21.intoArray(c, c2 + VL); c22.intoArray(c, c2 + 2 * VL); c23.intoArray(c, c2 + 3 * VL);
        c30.intoArray(c, c3); c31.intoArray(c, c3 + VL); c32.intoArray(c, c3 + 2 * VL); c33.intoArray(c, c3 + 3 * VL);
        c40.intoArray(c, c4); c41.intoArray(c, c4 + VL); c42.intoArray(c, c4 + 2 * VL); c43.intoArray(c, c4 + 3 * VL);
        c50.intoArray(c, c5); c51.intoArray(c, c5 + VL); c52.intoArray(c, c5 + 2 * VL); c53.intoArray(c, c5 + 3 * VL);
    }

    private static FloatVector ld(float[] v, int off) {
        return FloatVector.fromArray(F, v, off);
    }

    /**
     * Copies the last n < MR rows of an A operand into tail [MR x k] (rows k apart) and zeroes the
     * others, so a partial row tile runs the same kernel without reading past the caller's rows.
     */
    static void padRows(float[] a, int aOff, int lda, int n, int k, float[] tail) {
        for (int i = 0; i < MR; i++) {
            if (i < n) System.arraycopy(a, aOff + i * lda, tail, i * k, k);
            else java.util.Arrays.fill(tail, i * k, (i + 1) * k, 0f);
        }
    }

    static int roundUp(int n, int m) {
        return (n + m - 1) / m * m;
    }
}
