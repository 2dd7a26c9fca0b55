package neuroscan.kernel.translate;

import neuroscan.kernel.Kernel;
import neuroscan.kernel.KernelContext;

import static neuroscan.kernel.KernelMath.fma;
import static neuroscan.kernel.KernelMath.fmax;
import static neuroscan.kernel.KernelMath.fmin;

/**
 * Kernels that exercise the subset where Java and C differ (casts, shifts, NaN in fmax/fmin, division
 * of negatives) and its memory spaces (a work-group array and a private array passed to helpers). The
 * tests translate this file, run it on PoCL and on the CPU runner, and require the same bits.
 */
public final class SubsetKernels {
    private SubsetKernels() {
    }

    public static final int WG = 32;
    static final int LANES = 8;

    /** Eight int and four float results per work-item. */
    @Kernel
    public static void javaSemantics(KernelContext ctx, float[] f, int[] i, int[] outInt, float[] outFloat, int n) {
        final int g = ctx.globalId(0);
        if (g >= n) return;
        final float x = f[g];
        final int v = i[g];
        outInt[g * LANES] = (int) x;                 // toward zero, saturating, NaN -> 0
        outInt[g * LANES + 1] = v << v;              // the count is taken modulo 32
        outInt[g * LANES + 2] = v >> (v + 7);
        outInt[g * LANES + 3] = v >>> (v & 63);
        outInt[g * LANES + 4] = v / 3 + v % 5;       // truncation toward zero for negatives
        outInt[g * LANES + 5] = x > 0.5f ? 1 : 0;
        int acc = 0;
        for (int k = 0; k < 5; k++) {
            if (k == 3) continue;
            acc += k;
        }
        int w = 0;
        do {
            w++;
        } while (w < 3);
        while (true) {
            if (w > 6) break;
            w += 2;
        }
        outInt[g * LANES + 6] = acc * 100 + w;
        final boolean isNaN = x != x;
        outInt[g * LANES + 7] = isNaN ? 1 : ~v ^ 0b101;
        final float other = f[(g + 1) % n];
        outFloat[g * 4] = fmax(x, other);            // C semantics: a NaN argument is ignored
        outFloat[g * 4 + 1] = fmin(x, other);
        outFloat[g * 4 + 2] = (float) v * 0.5f - 1f;
        outFloat[g * 4 + 3] = fma(isNaN ? 0f : x, 2f, 1_000f);
    }

    /** A work-group's maximum through work-group memory, and a private array summed by a helper. */
    @Kernel
    public static void groupMax(KernelContext ctx, float[] in, float[] out, int n) {
        float[] red = ctx.localFloats(WG);
        final int g = ctx.globalId(0), lid = ctx.localId(0);
        float[] three = new float[3];
        for (int k = 0; k < 3; k++) three[k] = g < n ? in[g] * k : 0f;
        red[lid] = sum(three);
        ctx.barrier();
        for (int s = WG / 2; s > 0; s >>= 1) {
            if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
            ctx.barrier();
        }
        if (lid == 0) store(out, ctx.groupId(0), red[0]);
    }

    static float sum(float[] a) {
        return a[0] + a[1] + a[2];
    }

    static void store(float[] out, int at, float v) {
        out[at] = v;
    }
}
