package neuroscan.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code neuroscan compare}: our top examples of a neuron beside neuroscope.io's. Neuroscope scanned a
 * different dataset (80% C4 web text + 20% Python code, many more documents), so documents and data
 * indices cannot match; what can is the kind of token and context the neuron fires on. The report
 * lists both sides' examples (max token, window), the max tokens and 3-gram contexts both sides share,
 * and simple pattern statistics: how often the max token, and its neighbours, are in all capitals.
 *
 * @param label           the neuron, e.g. "L0N424"
 * @param sharedMaxTokens max tokens found on both sides (exact strings), with example counts
 * @param sharedMaxWords  the same ignoring surrounding whitespace (" THE" and "THE" match)
 * @param sharedContexts  3-grams of consecutive tokens near the max token found on both sides
 * @param note            what the reader must know before comparing
 */
public record CompareReport(String label, Side ours, Side theirs, List<Shared> sharedMaxTokens,
                            List<Shared> sharedMaxWords, List<Shared> sharedContexts, String note) {

    /** Tokens before and after the max token whose 3-grams count as its context. */
    static final int CONTEXT_BEFORE = 4, CONTEXT_AFTER = 2;
    static final int SHOWN = 15;

    /**
     * @param name    "neuroscan" or "neuroscope.io"
     * @param dataset what that side scanned
     * @param source  the run or page it came from
     * @param logits  the direct logit effect it shows, or null
     */
    public record Side(String name, String dataset, String source, NeuronReport.Logits logits, List<Row> rows,
                       Stats stats) {
    }

    /**
     * One example.
     *
     * @param window    tokens around the max token ({@link Window}: 50 before, 10 after)
     * @param windowMax   the max token's index in {@code window}
     * @param windowStart the window's first token's position in its document (0 when unknown)
     */
    public record Row(int rank, long doc, double max, String maxToken, List<String> window, float[] values,
                      int windowMax, int windowStart) {
        String before() {
            return windowMax > 0 ? window.get(windowMax - 1) : null;
        }

        String after() {
            return windowMax + 1 < window.size() ? window.get(windowMax + 1) : null;
        }
    }

    /**
     * All-capitals statistics (a token is all-capitals when it has a letter and no lower-case letter;
     * spaces, digits and punctuation are ignored).
     *
     * @param capsMax        examples whose max token is all-capitals
     * @param neighbours     tokens right before and after a max token (within the window; special
     *                       tokens such as {@code <|BOS|>} are skipped here and in the baseline)
     * @param capsNeighbours how many of those are all-capitals
     * @param windowTokens   all window tokens: the baseline
     * @param capsWindow     how many of those are all-capitals
     */
    public record Stats(int examples, int capsMax, int neighbours, int capsNeighbours, int windowTokens, int capsWindow) {
        public double capsMaxFraction() {
            return examples == 0 ? 0 : (double) capsMax / examples;
        }

        public double capsNeighbourFraction() {
            return neighbours == 0 ? 0 : (double) capsNeighbours / neighbours;
        }

        public double capsWindowFraction() {
            return windowTokens == 0 ? 0 : (double) capsWindow / windowTokens;
        }
    }

    /** A string found on both sides, in how many examples of each. */
    public record Shared(String text, int ours, int theirs) {
    }

    /** Builds the comparison. */
    public static CompareReport of(NeuronReport ours, String ourSource, NeuroscopePage theirs) {
        List<Row> a = new ArrayList<>();
        for (var e : ours.examples()) {
            if (e.tokens().isEmpty()) continue;
            Window w = Window.of(e);
            a.add(new Row(e.rank(), e.doc(), e.max(), e.maxToken(), e.tokens().subList(w.from(), w.to()),
                    java.util.Arrays.copyOfRange(e.activations(), w.from(), w.to()), e.pos() - w.from(), w.from()));
        }
        List<Row> b = new ArrayList<>();
        for (var t : theirs.texts()) {
            int wm = t.windowMax();
            int start = t.full() == null ? 0 : Window.around(t.maxTokenIndex(), t.full().tokens().size()).from();
            b.add(new Row(t.index(), t.dataIndex(), t.maxAct(), t.maxToken(), t.window().tokens(), t.window().values(),
                    wm, start));
        }
        String theirData = theirs.dataset() != null ? theirs.dataset() : "c4-code: 80% C4 web text and 20% Python code";
        Side sa = new Side("neuroscan", ours.dataset(), ourSource, ours.logits(), a, stats(a));
        Side sb = new Side("neuroscope.io", theirData, theirs.source(), theirs.logits(), b, stats(b));
        String note = "neuroscope.io scanned a different dataset (" + theirData + ") than this run ("
                + ours.dataset() + "), so data indices differ and the same document "
                + "rarely appears on both sides; compare the tokens and contexts the neuron fires on, not indices.";
        return new CompareReport(ours.label(), sa, sb,
                shared(a, b, r -> Set.of(r.maxToken())),
                shared(a, b, r -> Set.of(r.maxToken().strip())),
                shared(a, b, CompareReport::contexts), note);
    }

    static Stats stats(List<Row> rows) {
        int caps = 0, nb = 0, capsNb = 0, win = 0, capsWin = 0;
        for (Row r : rows) {
            if (TokenText.allCaps(r.maxToken()) && !special(r.maxToken())) caps++;
            for (String s : new String[]{r.before(), r.after()}) {
                if (s == null || special(s)) continue;
                nb++;
                if (TokenText.allCaps(s)) capsNb++;
            }
            for (String s : r.window()) {
                if (special(s)) continue;
                win++;
                if (TokenText.allCaps(s)) capsWin++;
            }
        }
        return new Stats(rows.size(), caps, nb, capsNb, win, capsWin);
    }

    /** Special tokens such as "<|BOS|>" are not text: they count neither as capitals nor as neighbours. */
    static boolean special(String token) {
        return token.startsWith("<|") && token.endsWith("|>");
    }

    /** The 3-grams of consecutive tokens from 4 before to 2 after the max token, as joined strings. */
    static Set<String> contexts(Row r) {
        int from = Math.max(0, r.windowMax() - CONTEXT_BEFORE), to = Math.min(r.window().size(), r.windowMax() + CONTEXT_AFTER + 1);
        Set<String> out = new HashSet<>();
        for (int i = from; i + 3 <= to; i++) out.add(r.window().get(i) + r.window().get(i + 1) + r.window().get(i + 2));
        return out;
    }

    /** Keys found in examples on both sides, most examples first. */
    private static List<Shared> shared(List<Row> a, List<Row> b, Function<Row, Set<String>> keys) {
        Map<String, int[]> counts = new LinkedHashMap<>();
        for (Row r : a) for (String k : keys.apply(r)) counts.computeIfAbsent(k, x -> new int[2])[0]++;
        for (Row r : b) for (String k : keys.apply(r)) {
            int[] c = counts.get(k);
            if (c != null) c[1]++;
        }
        List<Shared> out = new ArrayList<>();
        counts.forEach((k, c) -> {
            if (c[0] > 0 && c[1] > 0) out.add(new Shared(k, c[0], c[1]));
        });
        out.sort(Comparator.comparingInt((Shared s) -> -(s.ours() + s.theirs())).thenComparing(Shared::text));
        return out;
    }

    public String toJson() {
        try {
            return NeuronReport.mapper().copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- text ----

    /** The report for a terminal; {@code color} as for {@link TextView}. */
    public String toText(boolean color) {
        var sb = new StringBuilder(8192);
        String b = color ? Colors.BOLD : "", r = color ? Colors.RESET : "";
        sb.append(b).append(label).append(": neuroscan vs neuroscope.io").append(r).append('\n');
        sb.append(wrap(note, 100)).append('\n');
        sb.append('\n').append(b).append("pattern: all-capitals tokens").append(r).append('\n');
        sb.append(String.format("  %-26s %-22s %-22s%n", "", "neuroscan", "neuroscope.io"));
        sb.append(String.format("  %-26s %-22s %-22s%n", "examples", ours.stats().examples(), theirs.stats().examples()));
        sb.append(String.format("  %-26s %-22s %-22s%n", "max token all-caps", frac(ours.stats().capsMax(), ours.stats().examples()),
                frac(theirs.stats().capsMax(), theirs.stats().examples())));
        sb.append(String.format("  %-26s %-22s %-22s%n", "its neighbours all-caps",
                frac(ours.stats().capsNeighbours(), ours.stats().neighbours()),
                frac(theirs.stats().capsNeighbours(), theirs.stats().neighbours())));
        sb.append(String.format("  %-26s %-22s %-22s%n", "any window token (base)",
                frac(ours.stats().capsWindow(), ours.stats().windowTokens()),
                frac(theirs.stats().capsWindow(), theirs.stats().windowTokens())));
        logitsText(sb, b, r);
        sharedText(sb, "shared max tokens", sharedMaxTokens, b, r);
        sharedText(sb, "shared max tokens, ignoring spaces", sharedMaxWords, b, r);
        sharedText(sb, "shared 3-gram contexts (4 before .. 2 after the max token)", sharedContexts, b, r);
        for (Side s : List.of(ours, theirs)) {
            sb.append('\n').append(b).append(s.name()).append(r).append(" \u00B7 ");
            sb.append(TokenText.visible(s.dataset())).append(" \u00B7 ").append(TokenText.visible(s.source())).append('\n');
            for (Row row : s.rows()) {
                sb.append(String.format("  #%-3d doc %-9d max %8.4f  ", row.rank(), row.doc(), row.max()));
                quoted(sb, row.maxToken());
                int from = Math.max(0, row.windowMax() - 8), to = Math.min(row.window().size(), row.windowMax() + 4);
                sb.append(from + row.windowStart() > 0 ? "  \u2026" : "  ");
                for (int i = from; i < to; i++) {
                    boolean m = i == row.windowMax();
                    if (m) sb.append(color ? Colors.BOLD + Colors.UNDERLINE : "[[");
                    sb.append(TokenText.visible(row.window().get(i)));
                    if (m) sb.append(color ? Colors.RESET : "]]");
                }
                sb.append(to < row.window().size() ? "\u2026\n" : "\n");
            }
        }
        return sb.toString();
    }

    /** Both direct logit effects: the same model on both sides, so these should agree. */
    private void logitsText(StringBuilder sb, String b, String r) {
        sb.append('\n').append(b).append("direct logit effect").append(r)
                .append(" (same model on both sides: the lists should agree)\n");
        for (Side s : List.of(ours, theirs)) {
            sb.append(String.format("  %-14s", s.name()));
            if (s.logits() == null) sb.append(" not shown");
            else for (var t : s.logits().top()) {
                sb.append(' ');
                quoted(sb, t.token());
                sb.append(String.format(" %+.4f", t.value()));
            }
            sb.append('\n');
        }
        int[] o = logitOverlap();
        if (o != null) sb.append("  top tokens in both lists: ").append(o[0]).append(" of ").append(o[1]).append('\n');
    }

    /** {shared, of}: how many of neuroscope's top logit tokens are in ours, or null when a side has none. */
    int[] logitOverlap() {
        if (ours.logits() == null || theirs.logits() == null || theirs.logits().top().isEmpty()) return null;
        Set<String> mine = new HashSet<>();
        for (var t : ours.logits().top()) mine.add(t.token());
        int k = 0;
        for (var t : theirs.logits().top()) if (mine.contains(t.token())) k++;
        return new int[]{k, theirs.logits().top().size()};
    }

    private static void sharedText(StringBuilder sb, String title, List<Shared> items, String b, String r) {
        sb.append('\n').append(b).append(title).append(r).append(" (examples: neuroscan / neuroscope.io)\n  ");
        if (items.isEmpty()) sb.append("none");
        for (int i = 0; i < Math.min(SHOWN, items.size()); i++) {
            Shared s = items.get(i);
            if (i > 0) sb.append("  ");
            quoted(sb, s.text());
            sb.append(' ').append(s.ours()).append('/').append(s.theirs());
        }
        if (items.size() > SHOWN) sb.append("  \u2026 (").append(items.size() - SHOWN).append(" more)");
        sb.append('\n');
    }

    private static void quoted(StringBuilder sb, String s) {
        sb.append('"').append(TokenText.visible(s)).append('"');
    }

    static String frac(int k, int n) {
        return n == 0 ? "-" : k + "/" + n + " (" + Math.round(100.0 * k / n) + "%)";
    }

    private static String wrap(String s, int width) {
        var sb = new StringBuilder();
        int col = 0;
        for (String w : s.split(" ")) {
            if (col > 0 && col + 1 + w.length() > width) {
                sb.append('\n');
                col = 0;
            } else if (col > 0) {
                sb.append(' ');
                col++;
            }
            sb.append(w);
            col += w.length();
        }
        return sb.toString();
    }

    // ---- HTML ----

    /** The report as one self-contained page: statistics, shared tokens, then both sides' examples side by side. */
    public String toHtml() {
        var sb = new StringBuilder(64 * 1024);
        HtmlPage.head(sb, label + " \u00B7 neuroscan vs neuroscope.io", Assets.PAGE_JS);
        sb.append("<body>\n<header class=\"top\">\n<h1><span class=\"label\">");
        Html.text(sb, label);
        sb.append("</span> <span class=\"sub\">neuroscan vs neuroscope.io</span></h1>\n<p class=\"meta\">");
        for (Side s : List.of(ours, theirs)) {
            sb.append("<span>").append(s.name()).append(": <b>");
            Html.text(sb, s.dataset());
            sb.append("</b> (");
            Html.text(sb, s.source());
            sb.append(")</span>");
        }
        sb.append("</p>\n<p class=\"note\">");
        Html.text(sb, note);
        sb.append("</p>\n</header>\n<main>\n<div class=\"cards\">\n<section class=\"card\"><h2>Pattern: all-capitals tokens</h2>"
                + "<p class=\"hint\">A token is all-capitals when it has a letter and no lower-case letter (spaces, "
                + "digits and punctuation ignored).</p><table class=\"neurons\"><thead><tr><th></th><th>neuroscan</th>"
                + "<th>neuroscope.io</th></tr></thead><tbody>");
        statRow(sb, "examples", String.valueOf(ours.stats().examples()), String.valueOf(theirs.stats().examples()));
        statRow(sb, "max token all-caps", frac(ours.stats().capsMax(), ours.stats().examples()),
                frac(theirs.stats().capsMax(), theirs.stats().examples()));
        statRow(sb, "its neighbours all-caps", frac(ours.stats().capsNeighbours(), ours.stats().neighbours()),
                frac(theirs.stats().capsNeighbours(), theirs.stats().neighbours()));
        statRow(sb, "any window token (baseline)", frac(ours.stats().capsWindow(), ours.stats().windowTokens()),
                frac(theirs.stats().capsWindow(), theirs.stats().windowTokens()));
        sb.append("</tbody></table></section>\n<section class=\"card\"><h2>Direct logit effect</h2><p class=\"hint\">"
                + "The same model on both sides, so the lists should agree.</p>");
        for (Side s : List.of(ours, theirs)) {
            sb.append("<p class=\"common\"><span class=\"k\">").append(s.name()).append("</span> ");
            if (s.logits() == null) sb.append("<span class=\"hint\">not shown</span>");
            else for (var t : s.logits().top()) {
                sb.append("<span class=\"pair\">");
                TokenHtml.chip(sb, t.token());
                sb.append("<span class=\"x\">");
                if (t.value() >= 0) sb.append('+');
                Fmt.fixed(sb, t.value(), 4);
                sb.append("</span></span> ");
            }
            sb.append("</p>");
        }
        int[] o = logitOverlap();
        if (o != null) sb.append("<p class=\"hint\">top tokens in both lists: ").append(o[0]).append(" of ").append(o[1]).append("</p>");
        sb.append("</section>\n<section class=\"card\"><h2>Shared</h2><p class=\"hint\">Counts are "
                + "examples: neuroscan / neuroscope.io.</p>");
        sharedHtml(sb, "max tokens", sharedMaxTokens);
        sharedHtml(sb, "max tokens, ignoring spaces", sharedMaxWords);
        sharedHtml(sb, "3-gram contexts near the max token", sharedContexts);
        sb.append("</section>\n</div>\n<div class=\"cmp\">\n");
        for (Side s : List.of(ours, theirs)) {
            Scale scale = scale(s.rows());
            sb.append("<div><h2>");
            Html.text(sb, s.name());
            sb.append("</h2>\n");
            for (Row row : s.rows()) {
                sb.append("<article class=\"ex\"><header><h3>#").append(row.rank()).append("</h3><span>doc <b>")
                        .append(row.doc()).append("</b></span><span>max <b class=\"pos\">");
                Fmt.fixed(sb, row.max(), 4);
                sb.append("</b> ");
                TokenHtml.chip(sb, row.maxToken());
                sb.append("</span></header>");
                TokenHtml.boxes(sb, row.window(), row.values(), 0, row.window().size(), row.windowMax(), scale, true, "win",
                        row.windowStart());
                sb.append("</article>\n");
            }
            if (s.rows().isEmpty()) sb.append("<p class=\"empty\">no examples</p>");
            sb.append("</div>\n");
        }
        sb.append("</div>\n</main>\n<div id=\"tip\" role=\"tooltip\" hidden></div>\n<script>").append(Assets.PAGE_JS)
                .append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static Scale scale(List<Row> rows) {
        double b = 0;
        for (Row r : rows) for (float v : r.values()) if (Float.isFinite(v)) b = Math.max(b, Math.abs(v));
        return new Scale(b);
    }

    private static void statRow(StringBuilder sb, String name, String a, String b) {
        sb.append("<tr><td>").append(name).append("</td><td class=\"num\">").append(a).append("</td><td class=\"num\">")
                .append(b).append("</td></tr>");
    }

    private static void sharedHtml(StringBuilder sb, String title, List<Shared> items) {
        sb.append("<p class=\"common\"><span class=\"k\">").append(title).append("</span> ");
        if (items.isEmpty()) sb.append("<span class=\"hint\">none</span>");
        for (int i = 0; i < Math.min(SHOWN, items.size()); i++) {
            Shared s = items.get(i);
            sb.append("<span class=\"pair\">");
            TokenHtml.chip(sb, s.text());
            sb.append("<span class=\"x\">").append(s.ours()).append('/').append(s.theirs()).append("</span></span> ");
        }
        if (items.size() > SHOWN) sb.append("<span class=\"hint\">\u2026 ").append(items.size() - SHOWN).append(" more</span>");
        sb.append("</p>");
    }
}
