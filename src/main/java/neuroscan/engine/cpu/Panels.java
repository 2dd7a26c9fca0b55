package neuroscan.engine.cpu;

import static neuroscan.engine.cpu.Microkernel.NR;

/**
 * A [k x n] weight matrix and its bias, packed once into column panels NR wide: panel p holds columns
 * [p NR, p NR + NR) as k consecutive rows of NR floats, so the microkernel reads B strictly
 * sequentially. Columns past n are zero (and so is their bias), which lets every tile be full width.
 */
final class Panels {
    /** The logical matrix being packed. */
    interface Matrix {
        float at(int row, int col);
    }

    final int k, n, nPad;
    final float[] data;
    final float[] bias;

    Panels(int k, int n, Matrix w, float[] bias) {
        this.k = k;
        this.n = n;
        this.nPad = Microkernel.roundUp(n, NR);
        this.data = new float[k * nPad];
        for (int p = 0; p < nPad / NR; p++) {
            for (int r = 0; r < k; r++) {
                int off = (p * k + r) * NR;
                for (int j = 0; j < NR && p * NR + j < n; j++) data[off + j] = w.at(r, p * NR + j);
            }
        }
        this.bias = java.util.Arrays.copyOf(bias, nPad);
    }

    int panels() {
        return nPad / NR;
    }

    /** Offset of panel p in {@link #data}. */
    int panel(int p) {
        return p * k * NR;
    }
}
