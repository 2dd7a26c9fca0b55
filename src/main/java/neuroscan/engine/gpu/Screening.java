package neuroscan.engine.gpu;

import neuroscan.NeuroscanException;

/**
 * The tensor-core screen of a scan (issue 14; kernels/README.md, "Screening"): whether it runs, the
 * error coefficient its bound uses, and what it counted. With it, a scan batch runs norm_bound (LN2's rows),
 * mlp_screen (TF32 tensor cores + a rigorous bound per pair against the store's k-th entry) and
 * mlp_recompute (FP32, only the pairs the bound cannot rule out) instead of mlp_in_gelu_max: the store
 * is the same, bit for bit.
 */
public final class Screening {
    private Screening() {
    }

    /** --screen (on), --exact-fp32 (off), neither (auto: on where the GPU has TF32 tensor cores). */
    public enum Mode { AUTO, ON, OFF }

    /** ScreenBound.norm's margin holds up to this d_model. */
    public static final int MAX_K = 8192;

    /**
     * The relative coefficient c with |s32 - s_tf32| <= c * sum_k |a_k b_k| for dot products of length K
     * (rounded up to a float): operands rounded to TF32 (2 * 2^-11 + 2^-22), the tensor cores' sums
     * (each mma adds 8 products to the accumulator with an error of at most delta = 2^-17 of the sum of
     * the magnitudes, for any order, truncation or alignment inside the instruction; K / 8 of them
     * compound to (1 + delta)^(K/8) - 1, on products up to (1 + 2^-11)^2 larger), and the FP32 path's
     * own recursive sum (gamma_K = K u / (1 - K u), u = 2^-24, with or without fma). K is padded to a
     * multiple of 16 (the slabs' zeros add nothing but count as steps).
     */
    public static float relErr(int K) {
        if (K <= 0 || K > MAX_K) throw new IllegalArgumentException("K = " + K + " outside 1.." + MAX_K);
        int padded = (K + 15) / 16 * 16;
        double u = 0x1p-24, delta = 0x1p-17;
        double operands = 2 * 0x1p-11 + 0x1p-22;
        double tensor = (Math.pow(1 + delta, padded / 8.0) - 1) * (1 + 0x1p-11) * (1 + 0x1p-11);
        double fp32 = padded * u / (1 - padded * u);
        return Math.nextUp((float) ((operands + tensor + fp32) * (1 + 0x1p-10)));
    }

    /** Whether a scan on {@code device} screens in {@code mode}; ON where it cannot is an error naming why. */
    static boolean enabled(Mode mode, GpuDevice device, int dModel) {
        return enabled(mode, device, dModel, false);
    }

    /**
     * As above, for a scan that also keeps statistics ({@code stats}: NeuronStats' density, histogram and
     * quantile samples), which the screen cannot keep exact yet: they need every element's sign and every
     * pair's exact max, so ScreenPredicate would have to flag nearly everything. Such a scan does not screen
     * (AUTO) or is refused (ON); {@code scan --no-stats} drops the statistics and screens.
     */
    static boolean enabled(Mode mode, GpuDevice device, int dModel, boolean stats) {
        if (mode == Mode.OFF) return false;
        if (stats) {
            if (mode == Mode.ON) {
                throw new NeuroscanException("--screen: the scan's statistics (density, histogram, quantile samples) need every"
                        + " pair's exact value, which the tensor-core screen does not keep yet; add --no-stats to screen");
            }
            return false;
        }
        String why = dModel > MAX_K ? "d_model " + dModel + " > " + MAX_K + " (the bound's norms are sized for at most that)"
                : !device.hasKernel("mlp_screen") ? device.name() + " has no TF32 tensor cores (sm_80+) and NVRTC is unavailable" : null;
        if (why != null) {
            if (mode == Mode.ON) throw new NeuroscanException("--screen: " + why);
            return false;
        }
        return mode == Mode.ON || device.tensorCores();
    }
}
