package neuroscan.engine;

/**
 * The two activation functions TransformerLens names {@code gelu} (exact, with erf) and {@code gelu_new}
 * (the tanh approximation used by GPT-2). Java has no erf, so it is computed here from the regularized
 * incomplete gamma function, erf(x) = P(1/2, x^2), to double precision: slow, but an exact reference.
 */
public final class Gelu {
    private Gelu() {
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double LN_GAMMA_HALF = 0.5 * Math.log(Math.PI); // ln Γ(1/2) = ln √π

    public static double exact(double x) {
        return 0.5 * x * (1.0 + erf(x / Math.sqrt(2.0)));
    }

    public static double tanh(double x) {
        return 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
    }

    public static double apply(String actFn, double x) {
        return "gelu_new".equals(actFn) ? tanh(x) : exact(x);
    }

    /** erf to about 1e-15, via P(1/2, x^2): a power series for small x^2, a continued fraction above. */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double z = x * x;
        double p;
        if (z < 1.5) {
            p = lowerSeries(z);
        } else {
            p = 1.0 - upperContinuedFraction(z);
        }
        return x < 0 ? -p : p;
    }

    // P(a, z) = e^-z z^a / Γ(a+1) * Σ z^n / ((a+1)...(a+n)), a = 1/2.
    private static double lowerSeries(double z) {
        if (z == 0) return 0;
        double a = 0.5, ap = a, del = 1.0 / a, sum = del;
        for (int n = 0; n < 500; n++) {
            ap += 1;
            del *= z / ap;
            sum += del;
            if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
        }
        return sum * Math.exp(-z + a * Math.log(z) - LN_GAMMA_HALF);
    }

    // Q(a, z) by Lentz's method on the continued fraction (Numerical Recipes' gcf), a = 1/2.
    private static double upperContinuedFraction(double z) {
        if (Double.isInfinite(z)) return 0;
        double a = 0.5, tiny = 1e-300;
        double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
        for (int i = 1; i < 500; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-17) break;
        }
        return Math.exp(-z + a * Math.log(z) - LN_GAMMA_HALF) * h;
    }
}
