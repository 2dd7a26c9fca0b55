package neuroscan.bench;

import neuroscan.view.Fmt;
import neuroscan.view.Html;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Two hand-written SVG charts for the benchmark report ({@code bench/report}): horizontal bars (one value
 * per system) and lines on log-log axes (one series per system). Self-contained documents with no script
 * or stylesheet, so GitHub shows them as images. Every piece of text is escaped; colours and dash
 * patterns follow the order of the bars or series, so a caller that lists its systems in the same order
 * gets the same colour per system in both charts.
 */
public final class SvgChart {
    private SvgChart() {
    }

    /** One bar: a label on the category axis and a finite value >= 0. */
    public record Bar(String label, double value) {
    }

    /** One line: points (x[i], y[i]); points that cannot go on a log axis (<= 0, NaN) are left out. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series " + name + ": " + x.length + " x values, " + y.length + " y values");
        }
    }

    /** Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. */
    static final String[] COLORS = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
    /** Dash patterns, so lines differ without colour too. */
    static final String[] DASHES = {"", "7 4", "2 3", "9 3 2 3", "4 4", "1 5", "12 4"};

    private static final int FONT = 13;
    private static final double CHAR_W = 7.2;   // average advance of a 13 px sans-serif character

    /**
     * Horizontal bars from 0, labelled with the category on the left and the value at the bar's end; a
     * linear value axis with round ticks ({@link #linearTicks}) and {@code valueLabel} below it.
     */
    public static String bars(String title, String valueLabel, List<Bar> bars) {
        if (bars.isEmpty()) throw new IllegalArgumentException("no bars");
        double max = 0;
        for (Bar b : bars) {
            if (!(b.value() >= 0) || Double.isInfinite(b.value())) throw new IllegalArgumentException("bar " + b.label() + ": value " + b.value());
            max = Math.max(max, b.value());
        }
        double[] ticks = linearTicks(max);
        double top = ticks[ticks.length - 1];
        int longest = bars.stream().mapToInt(b -> b.label().length()).max().orElse(0);
        double left = Math.min(360, 16 + longest * CHAR_W), plotW = 520, right = 90;
        double barH = 26, gap = 14, y0 = 48;
        double plotH = bars.size() * (barH + gap) + gap;
        double width = left + plotW + right, height = y0 + plotH + 58;
        StringBuilder sb = open(width, height, title);
        // grid and ticks
        for (double t : ticks) {
            double x = left + plotW * t / top;
            line(sb, x, y0, x, y0 + plotH, "#dddddd");
            text(sb, x, y0 + plotH + 18, "middle", label(t));
        }
        line(sb, left, y0 + plotH, left + plotW, y0 + plotH, "#333333");
        line(sb, left, y0, left, y0 + plotH, "#333333");
        text(sb, left + plotW / 2, y0 + plotH + 42, "middle", valueLabel);
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double y = y0 + gap + i * (barH + gap), w = plotW * b.value() / top;
            sb.append("<rect class=\"bar\" x=\"").append(n(left)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                    .append("\" height=\"").append(n(barH)).append("\" fill=\"").append(color(i)).append("\"><title>")
                    .append(esc(b.label() + ": " + label(b.value()))).append("</title></rect>\n");
            text(sb, left - 8, y + barH / 2 + FONT / 3.0, "end", b.label());
            text(sb, left + w + 6, y + barH / 2 + FONT / 3.0, "start", label(b.value()));
        }
        return close(sb);
    }

    /**
     * Lines on log-log axes with a point marker per value and a legend on the right. Axes span whole
     * decades around the data; ticks by {@link #logTicks}.
     */
    public static String logLogLines(String title, String xLabel, String yLabel, List<Series> series) {
        double xMin = Double.POSITIVE_INFINITY, xMax = 0, yMin = Double.POSITIVE_INFINITY, yMax = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!plottable(s.x()[i], s.y()[i])) continue;
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        }
        if (xMax == 0) throw new IllegalArgumentException("no positive points to plot");
        double[] xr = decades(xMin, xMax), yr = decades(yMin, yMax);
        double left = 78, top = 48, plotW = 560, plotH = 380;
        double legendW = legendWidth(series), width = left + plotW + 24 + legendW + 12, height = top + plotH + 62;
        StringBuilder sb = open(width, height, title);
        Axis ax = new Axis(xr[0], xr[1], left, left + plotW), ay = new Axis(yr[0], yr[1], top + plotH, top);
        for (double t : logTicks(xr[0], xr[1])) {
            double x = ax.at(t);
            line(sb, x, top, x, top + plotH, "#dddddd");
            text(sb, x, top + plotH + 18, "middle", label(t));
        }
        for (double t : logTicks(yr[0], yr[1])) {
            double y = ay.at(t);
            line(sb, left, y, left + plotW, y, "#dddddd");
            text(sb, left - 6, y + FONT / 3.0, "end", label(t));
        }
        line(sb, left, top + plotH, left + plotW, top + plotH, "#333333");
        line(sb, left, top, left, top + plotH, "#333333");
        text(sb, left + plotW / 2, top + plotH + 44, "middle", xLabel);
        sb.append("<text transform=\"translate(").append(n(18)).append(' ').append(n(top + plotH / 2))
                .append(") rotate(-90)\" text-anchor=\"middle\">").append(esc(yLabel)).append("</text>\n");
        for (int s = 0; s < series.size(); s++) {
            Series se = series.get(s);
            StringBuilder pts = new StringBuilder();
            StringBuilder marks = new StringBuilder();
            for (int i = 0; i < se.x().length; i++) {
                if (!plottable(se.x()[i], se.y()[i])) continue;
                double x = ax.at(se.x()[i]), y = ay.at(se.y()[i]);
                if (!pts.isEmpty()) pts.append(' ');
                pts.append(n(x)).append(',').append(n(y));
                marks.append("<circle cx=\"").append(n(x)).append("\" cy=\"").append(n(y)).append("\" r=\"3.5\" fill=\"").append(color(s))
                        .append("\"><title>").append(esc(se.name() + ": " + label(se.x()[i]) + ", " + label(se.y()[i])))
                        .append("</title></circle>\n");
            }
            sb.append("<polyline class=\"series\" points=\"").append(pts).append("\" fill=\"none\" stroke=\"").append(color(s))
                    .append("\" stroke-width=\"2\"");
            if (!DASHES[s % DASHES.length].isEmpty()) sb.append(" stroke-dasharray=\"").append(DASHES[s % DASHES.length]).append('"');
            sb.append("><title>").append(esc(se.name())).append("</title></polyline>\n").append(marks);
        }
        legend(sb, left + plotW + 24, top, legendW, series);
        return close(sb);
    }

    private static double legendWidth(List<Series> series) {
        return 48 + series.stream().mapToInt(s -> s.name().length()).max().orElse(0) * CHAR_W;
    }

    /** The legend right of the plot, where it cannot hide a line. */
    private static void legend(StringBuilder sb, double x, double y, double w, List<Series> series) {
        double h = 10 + 20 * series.size();
        sb.append("<g class=\"legend\"><rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n");
        for (int s = 0; s < series.size(); s++) {
            double ly = y + 15 + 20 * s;
            sb.append("<line x1=\"").append(n(x + 8)).append("\" y1=\"").append(n(ly)).append("\" x2=\"").append(n(x + 36))
                    .append("\" y2=\"").append(n(ly)).append("\" stroke=\"").append(color(s)).append("\" stroke-width=\"2\"");
            if (!DASHES[s % DASHES.length].isEmpty()) sb.append(" stroke-dasharray=\"").append(DASHES[s % DASHES.length]).append('"');
            sb.append("/>\n");
            text(sb, x + 42, ly + FONT / 3.0, "start", series.get(s).name());
        }
        sb.append("</g>\n");
    }

    /** Maps [lo, hi] (log scale) onto pixels [p0, p1]. */
    private record Axis(double lo, double hi, double p0, double p1) {
        double at(double v) {
            return p0 + (p1 - p0) * (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
        }
    }

    private static boolean plottable(double x, double y) {
        return x > 0 && y > 0 && Double.isFinite(x) && Double.isFinite(y);
    }

    /** The powers of ten just around [min, max] (min > 0); at least one decade wide. */
    static double[] decades(double min, double max) {
        int lo = (int) Math.floor(Math.log10(min) + 1e-9), hi = (int) Math.ceil(Math.log10(max) - 1e-9);
        if (hi <= lo) hi = lo + 1;
        return new double[]{pow10(1, lo), pow10(1, hi)};
    }

    /**
     * Ticks of a log axis from lo to hi (powers of ten): 1 and 3 times each power when the axis spans at
     * most 4 decades (so 100, 300, 1,000, ... as in a 1-3-10 sweep), else the powers of ten alone.
     */
    static double[] logTicks(double lo, double hi) {
        int a = (int) Math.round(Math.log10(lo)), b = (int) Math.round(Math.log10(hi));
        boolean threes = b - a <= 4;
        List<Double> out = new ArrayList<>();
        for (int e = a; e <= b; e++) {
            out.add(pow10(1, e));
            if (threes && e < b) out.add(pow10(3, e));
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * Ticks of a linear axis from 0: a step of 1, 2 or 5 times a power of ten giving 4 to 10 intervals,
     * up to the first tick at or above {@code max}. A zero max gives 0 and 1.
     */
    static double[] linearTicks(double max) {
        if (!(max > 0)) return new double[]{0, 1};
        int e = (int) Math.floor(Math.log10(max / 4));
        BigDecimal step = null;
        for (int m : new int[]{1, 2, 5, 10}) {
            step = BigDecimal.valueOf(m).scaleByPowerOfTen(e);
            if (max / step.doubleValue() <= 10) break;
        }
        List<Double> out = new ArrayList<>();
        BigDecimal t = BigDecimal.ZERO;
        out.add(0.0);
        do {
            t = t.add(step);
            out.add(t.doubleValue());
        } while (t.doubleValue() < max * (1 - 1e-12));
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double pow10(int m, int e) {
        return BigDecimal.valueOf(m).scaleByPowerOfTen(e).doubleValue();
    }

    /**
     * A tick or value label: whole numbers from 1,000 up (thousands grouped), else at most 4 significant
     * digits; no exponent and no trailing zeros: 10,000, 74,527, 300, 718.4, 0.01, 1.5.
     */
    static String label(double v) {
        if (!Double.isFinite(v)) return String.valueOf(v);
        if (Math.abs(v) >= 1000) return String.format(Locale.ROOT, "%,d", Math.round(v));
        BigDecimal d = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
        return d.scale() <= 0 ? String.format(Locale.ROOT, "%,d", d.toBigInteger()) : d.toPlainString();
    }

    private static StringBuilder open(double w, double h, String title) {
        StringBuilder sb = new StringBuilder(8192);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(n(w)).append("\" height=\"").append(n(h))
                .append("\" viewBox=\"0 0 ").append(n(w)).append(' ').append(n(h)).append("\" font-family=\"sans-serif\" font-size=\"")
                .append(FONT).append("\" role=\"img\">\n");
        sb.append("<title>").append(esc(title)).append("</title>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        sb.append("<text x=\"").append(n(w / 2)).append("\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">")
                .append(esc(title)).append("</text>\n");
        return sb;
    }

    private static String close(StringBuilder sb) {
        return sb.append("</svg>\n").toString();
    }

    private static void line(StringBuilder sb, double x1, double y1, double x2, double y2, String stroke) {
        sb.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2)).append("\" y2=\"")
                .append(n(y2)).append("\" stroke=\"").append(stroke).append("\"/>\n");
    }

    private static void text(StringBuilder sb, double x, double y, String anchor, String s) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" text-anchor=\"").append(anchor).append("\">")
                .append(esc(s)).append("</text>\n");
    }

    private static String color(int i) {
        return COLORS[i % COLORS.length];
    }

    private static String n(double v) {
        return Fmt.fixed(v, 1);
    }

    /**
     * Text for element content or a double-quoted attribute: markup characters as entities and
     * controls as visible glyphs ({@link Html#attr}), and the two non-characters XML forbids as U+FFFD.
     */
    static String esc(String s) {
        return Html.attr(s).replace('\uFFFE', '\uFFFD').replace('\uFFFF', '\uFFFD');
    }
}
