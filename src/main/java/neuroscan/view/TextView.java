package neuroscan.view;

import java.util.List;

/**
 * {@code show --format text}: the page in a terminal. Each example's window (50 tokens before the max
 * token, 10 after) with every token's background coloured by its activation on the report's one
 * scale, the max token bold and underlined. Without colour, the max token is marked {@code [[...]]}
 * and the strongest tokens are listed with their values. Dataset text never reaches the terminal raw:
 * escape sequences and other controls are shown as glyphs ({@link TokenText}).
 */
public final class TextView {
    private TextView() {
    }

    /** {@code color}: 24-bit colour if true (decide with {@link Colors#enabled}), plain text if false. */
    public static String render(NeuronReport r, boolean color) {
        return render(r, color ? Colors.Mode.TRUECOLOR : Colors.Mode.NONE);
    }

    public static String render(NeuronReport r, Colors.Mode mode) {
        boolean color = mode != Colors.Mode.NONE;
        Scale scale = Scale.of(r.examples());
        var sb = new StringBuilder(4096);
        if (color) sb.append(Colors.BOLD);
        plain(sb, r.label());
        if (color) sb.append(Colors.RESET);
        sb.append("  model ");
        plain(sb, r.model());
        sb.append("  dataset ");
        plain(sb, r.dataset());
        sb.append("  top ").append(r.examples().size()).append(" examples\n");
        if (r.noFiniteNote() != null) sb.append(r.noFiniteNote()).append('\n');
        else if (r.nans() > 0) sb.append("(").append(r.nans()).append(" documents with a NaN activation left out)\n");
        logits(sb, r, color);
        if (r.density() != null) {
            sb.append("density ");
            StatsHtml.percent(sb, r.density());
            sb.append(" of tokens > 0");
            if (r.histogram() != null) sb.append("  (").append(r.histogram().total()).append(" documents in the histogram)");
            sb.append('\n');
        }
        if (color) {
            sb.append("colour scale: ");
            swatch(sb, mode, -scale.bound(), scale);
            sb.append(' ');
            swatch(sb, mode, 0, scale);
            sb.append(' ');
            swatch(sb, mode, scale.bound(), scale);
            sb.append("  (shared by all examples)\n");
        }
        for (var e : r.examples()) example(sb, e, scale, mode);
        quantiles(sb, r, color);
        return sb.toString();
    }

    /** The quantile examples, one line each (the page shows their tokens), highest interval first. */
    private static void quantiles(StringBuilder sb, NeuronReport r, boolean color) {
        if (r.quantiles() == null || r.quantiles().isEmpty()) return;
        sb.append("\nbelow the top ").append(r.examples().size()).append(":\n");
        for (int i = r.quantiles().size() - 1; i >= 0; i--) {
            var q = r.quantiles().get(i);
            sb.append("  max in (");
            Fmt.fixed(sb, q.lo(), 4);
            sb.append(", ");
            Fmt.fixed(sb, q.hi(), 4);
            sb.append("]:");
            for (var e : q.examples()) {
                sb.append("  doc ").append(e.doc()).append(' ');
                Fmt.fixed(sb, e.max(), 4);
                if (!e.tokens().isEmpty()) {
                    sb.append(' ');
                    quoted(sb, e.maxToken(), color);
                }
            }
            sb.append('\n');
        }
    }

    private static void logits(StringBuilder sb, NeuronReport r, boolean color) {
        var l = r.logits();
        if (l == null) {
            sb.append("direct logit effect: not available (no W_U)\n");
            return;
        }
        sb.append("direct logit effect (W_out[").append(r.neuron()).append("] @ W_U)\n");
        logitLine(sb, "  up:  ", l.top(), color);
        logitLine(sb, "  down:", l.bottom(), color);
    }

    private static void logitLine(StringBuilder sb, String head, List<NeuronReport.TokenValue> items, boolean color) {
        sb.append(head);
        for (var t : items) {
            sb.append(' ');
            quoted(sb, t.token(), color);
            sb.append(' ');
            if (t.value() >= 0) sb.append('+');
            Fmt.fixed(sb, t.value(), 4);
        }
        sb.append('\n');
    }

    private static void swatch(StringBuilder sb, Colors.Mode mode, double v, Scale scale) {
        Colors.token(sb, mode, scale.intensity(v), v < 0);
        sb.append(' ');
        if (v > 0) sb.append('+');
        Fmt.fixed(sb, v, 2);
        sb.append(' ').append(Colors.RESET);
    }

    private static void example(StringBuilder sb, NeuronReport.Example e, Scale scale, Colors.Mode mode) {
        boolean color = mode != Colors.Mode.NONE;
        sb.append('\n');
        if (color) sb.append(Colors.BOLD);
        sb.append('#').append(e.rank());
        if (color) sb.append(Colors.RESET);
        sb.append("  doc ").append(e.doc()).append("  max ");
        Fmt.fixed(sb, e.max(), 4);
        sb.append(" at token ").append(e.pos());
        if (!e.tokens().isEmpty()) {
            sb.append(' ');
            quoted(sb, e.maxToken(), color);
        }
        sb.append("  min ");
        Fmt.fixed(sb, e.min(), 4);
        sb.append("  (").append(e.tokens().size()).append(" tokens)\n");
        if (e.tokens().isEmpty()) return;
        Window w = Window.of(e);
        sb.append("  ");
        if (w.from() > 0) sb.append('\u2026');
        for (int i = w.from(); i < w.to(); i++) {
            float v = e.activations()[i];
            boolean max = i == e.pos();
            if (color) {
                double a = scale.intensity(v);
                if (a >= Scale.VISIBLE) Colors.token(sb, mode, a, v < 0);
                if (max) sb.append(Colors.BOLD).append(Colors.UNDERLINE);
                token(sb, e.tokens().get(i), true);
                sb.append(Colors.RESET);
            } else {
                if (max) sb.append("[[");
                token(sb, e.tokens().get(i), false);
                if (max) sb.append("]]");
            }
        }
        if (w.to() < e.tokens().size()) sb.append('\u2026');
        sb.append('\n');
        if (!color) strongest(sb, e, w);
    }

    /** Without colour: the five strongest tokens of the window, so the numbers are still there. */
    private static void strongest(StringBuilder sb, NeuronReport.Example e, Window w) {
        Integer[] idx = new Integer[w.to() - w.from()];
        for (int i = 0; i < idx.length; i++) idx[i] = w.from() + i;
        float[] a = e.activations();
        java.util.Arrays.sort(idx, (x, y) -> a[x] != a[y] ? Float.compare(a[y], a[x]) : Integer.compare(x, y));
        sb.append("  strongest:");
        for (int i = 0; i < Math.min(5, idx.length); i++) {
            sb.append(' ');
            quoted(sb, e.tokens().get(idx[i]), false);
            sb.append(' ');
            Fmt.fixed(sb, a[idx[i]], 2);
        }
        sb.append('\n');
    }

    /** A token in running text: glyphs for specials (dim when coloured), a real line break after ↵. */
    private static void token(StringBuilder sb, String s, boolean color) {
        int breaks = glyphs(sb, s, color);
        if (breaks > 0) {
            if (color) sb.append(Colors.RESET); // no background bleeding into the margin
            for (int k = 0; k < breaks; k++) sb.append("\n  ");
        }
    }

    /** A token on its own, in quotes, specials as glyphs. */
    private static void quoted(StringBuilder sb, String s, boolean color) {
        sb.append('"');
        glyphs(sb, s, color);
        sb.append('"');
    }

    /** Appends s with specials as glyphs (dim when coloured); returns how many newlines it held. */
    private static int glyphs(StringBuilder sb, String s, boolean color) {
        int breaks = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String g = TokenText.glyph(cp);
            if (g == null) sb.appendCodePoint(cp);
            else {
                if (color) sb.append(Colors.DIM);
                sb.append(g);
                if (color) sb.append("\u001b[22m"); // normal intensity, keeps the background
                if (cp == '\n') breaks++;
            }
            i += Character.charCount(cp);
        }
        return breaks;
    }

    /** Model and dataset names: specials as glyphs, never raw. */
    private static void plain(StringBuilder sb, String s) {
        sb.append(TokenText.visible(s));
    }
}
