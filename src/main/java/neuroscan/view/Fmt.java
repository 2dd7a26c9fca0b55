package neuroscan.view;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Fixed-point number formatting without {@link String#format}: a site writes tens of millions of
 * activation values, and String.format costs about a microsecond each.
 */
public final class Fmt {
    private Fmt() {
    }

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

    /** Appends {@code v} rounded half-up to {@code decimals} (0..6) places, e.g. 4.2345, -0.1698, 0.0000. */
    static StringBuilder fixed(StringBuilder sb, double v, int decimals) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return sb.append(v);
        double a = Math.abs(v);
        if (a >= 1e12) {
            return sb.append(new BigDecimal(v).setScale(decimals, RoundingMode.HALF_UP).toPlainString());
        }
        long p = POW10[decimals];
        long scaled = Math.round(a * p);
        if (v < 0 && scaled != 0) sb.append('-');
        sb.append(scaled / p);
        if (decimals > 0) {
            sb.append('.');
            long frac = scaled % p;
            for (long q = p / 10; q > frac && q > 1; q /= 10) sb.append('0');
            sb.append(frac);
        }
        return sb;
    }

    public static String fixed(double v, int decimals) {
        return fixed(new StringBuilder(12), v, decimals).toString();
    }

    /** Appends a CSS alpha in [0, 1] with two decimals and no leading zero: 1, .73, .05, 0. */
    static StringBuilder alpha(StringBuilder sb, double a) {
        long c = Math.round(Math.min(1, Math.max(0, a)) * 100);
        if (c == 100) return sb.append('1');
        if (c == 0) return sb.append('0');
        sb.append('.');
        if (c < 10) sb.append('0');
        if (c % 10 == 0) return sb.append(c / 10);
        return sb.append(c);
    }
}
