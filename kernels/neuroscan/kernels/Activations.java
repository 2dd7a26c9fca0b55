package neuroscan.kernels;

import static neuroscan.kernel.KernelMath.erf;
import static neuroscan.kernel.KernelMath.tanh;

/** The MLP activations, selected by an int kernel argument (the host's {@code Calls.act}). */
public final class Activations {
    private Activations() {
    }

    public static final int ACT_NONE = 0;
    /** TransformerLens "gelu": exact, 0.5 x (1 + erf(x / sqrt 2)). */
    public static final int ACT_GELU = 1;
    /** TransformerLens "gelu_new": the tanh approximation. */
    public static final int ACT_GELU_NEW = 2;

    public static float activation(int act, float x) {
        if (act == ACT_GELU) return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
        if (act == ACT_GELU_NEW) {
            return 0.5f * x * (1.0f + tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
        }
        return x;
    }
}
