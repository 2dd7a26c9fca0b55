package neuroscan.view;

/**
 * The page's parts from the scan's statistics: a card with the density and the histogram of per-document
 * maxima (inline SVG), and the quantile examples below the top k, each interval collapsed in a
 * {@code <details>} and coloured on the top examples' scale. Nothing is written for a report without them.
 */
final class StatsHtml {
    private StatsHtml() {
    }

    static void card(StringBuilder sb, NeuronReport r) {
        if (r.density() == null && r.histogram() == null) return;
        sb.append("<section class=\"card dist\" id=\"distribution\">\n<h2>Activation density</h2>\n");
        if (r.density() != null) {
            sb.append("<p class=\"density\"><b id=\"density\">");
            percent(sb, r.density());
            sb.append("</b> of scanned tokens have an activation &gt; 0</p>\n");
        }
        NeuronReport.Histogram h = r.histogram();
        if (h != null && h.total() > 0) histogram(sb, h);
        sb.append("</section>\n");
    }

    /** A density as a percentage with enough digits to show a rare neuron (0.0123%). */
    static void percent(StringBuilder sb, double d) {
        double p = 100 * d;
        Fmt.fixed(sb, p, p == 0 || p >= 10 ? 1 : p >= 1 ? 2 : p >= 0.01 ? 3 : 5);
        sb.append('%');
    }

    /** Bars from the first to the last non-empty bin; the bins are geometric, so the x axis is logarithmic above 0.01. */
    private static void histogram(StringBuilder sb, NeuronReport.Histogram h) {
        long[] c = h.counts();
        int first = 0, last = c.length - 1;
        while (c[first] == 0) first++;
        while (c[last] == 0) last--;
        long most = 0;
        for (long v : c) most = Math.max(most, v);
        int n = last - first + 1, w = 10, ht = 60;
        sb.append("<p class=\"hint\">Documents by their max activation (").append(h.total())
                .append(" documents; bins grow geometrically).</p>\n<svg class=\"hist\" viewBox=\"0 0 ").append(Math.max(n, 12) * w)
                .append(' ').append(ht).append("\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"histogram of per-document max activation\">");
        for (int b = first; b <= last; b++) {
            double f = most == 0 ? 0 : c[b] / (double) most, bh = c[b] == 0 ? 0 : Math.max(1, f * (ht - 2));
            sb.append("<rect data-bin=\"").append(b).append("\" data-count=\"").append(c[b]).append("\" x=\"").append((b - first) * w + 1)
                    .append("\" y=\"");
            Fmt.fixed(sb, ht - bh, 2);
            sb.append("\" width=\"").append(w - 2).append("\" height=\"");
            Fmt.fixed(sb, bh, 2);
            sb.append("\"><title>");
            range(sb, h.edges(), b);
            sb.append(": ").append(c[b]).append(c[b] == 1 ? " document" : " documents").append("</title></rect>");
        }
        sb.append("</svg>\n<p class=\"axis\"><span>");
        edge(sb, h.edges(), first, true);
        sb.append("</span><span>");
        edge(sb, h.edges(), last, false);
        sb.append("</span></p>\n");
    }

    /** "(lo, hi]" of bin b, "&le; 0" for the first and "&gt; hi" for the last. */
    private static void range(StringBuilder sb, float[] edges, int b) {
        if (b == 0) {
            sb.append("\u2264 ");
            Fmt.fixed(sb, edges[0], 4);
        } else if (b == edges.length) {
            sb.append("> ");
            Fmt.fixed(sb, edges[b - 1], 4);
        } else {
            sb.append('(');
            Fmt.fixed(sb, edges[b - 1], 4);
            sb.append(", ");
            Fmt.fixed(sb, edges[b], 4);
            sb.append(']');
        }
    }

    /** The axis label at a bin's outer side. */
    private static void edge(StringBuilder sb, float[] edges, int b, boolean low) {
        if (low) {
            if (b == 0) sb.append("\u2264 ");
            Fmt.fixed(sb, edges[Math.max(0, b - 1)], 2);
        } else {
            if (b == edges.length) sb.append("> ");
            Fmt.fixed(sb, edges[Math.min(b, edges.length - 1)], 2);
        }
    }

    /** The examples below the top k, one collapsed interval each, lowest activations last (as read, downward). */
    static void quantiles(StringBuilder sb, NeuronReport r, Scale scale) {
        if (r.quantiles() == null) return;
        sb.append("<section class=\"quantiles\" id=\"quantiles\">\n<h2>Below the top ").append(r.examples().size()).append("</h2>\n");
        if (r.quantiles().isEmpty()) {
            sb.append("<p class=\"hint\">No other documents reach a positive activation.</p>\n</section>\n");
            return;
        }
        sb.append("<p class=\"hint\">Documents whose max activation falls in each fifth of the range up to the top examples' lowest, "
                + "a fixed pseudo-random few of each, coloured on the same scale.</p>\n");
        var qs = r.quantiles();
        for (int i = qs.size() - 1; i >= 0; i--) {
            var q = qs.get(i);
            sb.append("<details class=\"quantile\" id=\"q").append(i).append("\"><summary>max in <b>(");
            Fmt.fixed(sb, q.lo(), 4);
            sb.append(", ");
            Fmt.fixed(sb, q.hi(), 4);
            sb.append("]</b> \u00B7 ").append(q.examples().size()).append(q.examples().size() == 1 ? " example" : " examples").append("</summary>\n");
            for (var e : q.examples()) HtmlPage.example(sb, e, scale, "q" + i + "-");
            sb.append("</details>\n");
        }
        sb.append("</section>\n");
    }
}
