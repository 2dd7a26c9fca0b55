package neuroscan.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import neuroscan.format.AtomicFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A neuron's page ({@code show --format html}, one page of {@code site}): one self-contained HTML file
 * (inline CSS and JS, nothing fetched, works from file://). Header with prev/next/random/index links
 * (relative, as in a site), the direct logit effect, an activation summary, then every example: its
 * window around the max token as coloured token boxes and the full document behind a toggle.
 * Every string from the dataset or the model is escaped (see {@link Html}, {@link TokenHtml}).
 */
public final class HtmlPage {
    private HtmlPage() {
    }

    /** The page as a string. Thread-safe. */
    public static String render(NeuronReport r) {
        var sb = new StringBuilder(estimate(r));
        Scale scale = Scale.of(r.examples());
        String title = r.label() + " \u00B7 " + r.model();
        head(sb, title, Assets.PAGE_JS);
        sb.append("<body>\n");
        header(sb, r);
        sb.append("<main>\n<div class=\"cards\">\n");
        logits(sb, r.logits());
        summary(sb, r, scale);
        StatsHtml.card(sb, r);
        sb.append("</div>\n");
        legend(sb, scale);
        sb.append("<section class=\"examples\">\n");
        if (r.noFiniteNote() != null) sb.append("<p class=\"empty\">No examples: ").append(r.noFiniteNote()).append(".</p>\n");
        else if (r.examples().isEmpty()) sb.append("<p class=\"empty\">No examples: no document was scanned.</p>\n");
        else if (r.nans() > 0) sb.append("<p class=\"hint\">").append(r.nans()).append(" documents with a NaN activation left out.</p>\n");
        for (var e : r.examples()) example(sb, e, scale, "ex-");
        sb.append("</section>\n");
        StatsHtml.quantiles(sb, r, scale);
        sb.append("</main>\n");
        footer(sb);
        pageData(sb, r, scale);
        sb.append("<script>").append(Assets.PAGE_JS).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    /** Writes the page atomically (temp file + rename). */
    public static void write(NeuronReport r, Path file) {
        byte[] bytes = render(r).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static int estimate(NeuronReport r) {
        long tokens = 0;
        for (var e : r.examples()) tokens += e.tokens().size();
        return (int) Math.min(Integer.MAX_VALUE - 16, 24_000 + tokens * 56);
    }

    static void head(StringBuilder sb, String title, String... scripts) {
        head(sb, title, Assets.csp(scripts), "");
    }

    /** The head with a given policy and extra CSS after the pages' own. */
    static void head(StringBuilder sb, String title, String csp, String extraCss) {
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(csp).append("\">\n")
                .append("<meta name=\"color-scheme\" content=\"light dark\">\n")
                .append("<meta name=\"generator\" content=\"neuroscan\">\n")
                .append(Assets.FAVICON).append('\n')
                .append("<title>");
        Html.text(sb, title);
        sb.append("</title>\n<style>").append(Assets.PAGE_CSS).append(extraCss).append("</style>\n</head>\n");
    }

    private static void header(StringBuilder sb, NeuronReport r) {
        int n = r.neuron();
        sb.append("<header class=\"top\">\n<nav class=\"nav\" aria-label=\"neurons\">");
        if (n > 0) sb.append("<a id=\"prev\" rel=\"prev\" href=\"").append(n - 1).append(".html\">\u2190 ").append(n - 1).append("</a>");
        else sb.append("<span class=\"off\">\u2190 prev</span>");
        sb.append("<a id=\"index\" href=\"index.html\">index</a>");
        if (r.dMlp() != null && r.dMlp() > 1) {
            sb.append("<a id=\"random\" href=\"").append(randomNeighbour(n, r.dMlp())).append(".html\" data-d-mlp=\"")
                    .append(r.dMlp()).append("\">random</a>");
        }
        if (r.dMlp() == null || n + 1 < r.dMlp()) {
            sb.append("<a id=\"next\" rel=\"next\" href=\"").append(n + 1).append(".html\">").append(n + 1).append(" \u2192</a>");
        } else {
            sb.append("<span class=\"off\">next \u2192</span>");
        }
        sb.append("</nav>\n");
        if (r.nLayers() != null && r.nLayers() > 1) Site.layerNav(sb, r.layer(), r.nLayers(), n + ".html");   // neuroscope's /{layer}/{n}.html
        sb.append("<h1><span class=\"label\">");
        Html.text(sb, r.label());
        sb.append("</span> <span class=\"sub\">neuron ").append(n).append(" in layer ").append(r.layer()).append("</span></h1>\n");
        sb.append("<p class=\"meta\"><span>model <b>");
        Html.text(sb, r.model());
        sb.append("</b></span><span>dataset <b>");
        Html.text(sb, r.dataset());
        sb.append("</b></span><span>top <b>").append(r.examples().size()).append("</b> examples</span>");
        if (r.dMlp() != null) sb.append("<span><b>").append(r.dMlp()).append("</b> neurons in the layer</span>");
        if (r.neuroscope() != null && isWebLink(r.neuroscope())) {
            sb.append("<span><a class=\"ext\" href=\"");
            Html.attr(sb, r.neuroscope());
            sb.append("\">same neuron on neuroscope.io</a></span>");
        }
        sb.append("</p>\n</header>\n");
    }

    /** Only http(s) links become hrefs: a {@code javascript:} URL in a report must not. */
    static boolean isWebLink(String url) {
        String u = url.strip().toLowerCase(java.util.Locale.ROOT);
        return u.startsWith("https://") || u.startsWith("http://");
    }

    /**
     * The "random" link's target without JavaScript (the script picks a fresh one on click): a fixed
     * pseudo-random other neuron, so rebuilt sites are byte-identical.
     */
    static int randomNeighbour(int n, int dMlp) {
        long h = (n * 0x9E3779B97F4A7C15L) ^ 0xD1B54A32D192ED03L;
        h ^= h >>> 29;
        int r = (int) Math.floorMod(h, (long) (dMlp - 1));
        return r >= n ? r + 1 : r;
    }

    private static void logits(StringBuilder sb, NeuronReport.Logits l) {
        sb.append("<section class=\"card logits\">\n<h2>Direct logit effect</h2>\n");
        if (l == null) {
            sb.append("<p class=\"hint\">Not available: the model has no unembedding (W_U).</p>\n</section>\n");
            return;
        }
        sb.append("<p class=\"hint\">Tokens the neuron's output pushes up and down directly: W_out[n] @ W_U.</p>\n");
        double m = 0;
        for (var t : l.top()) m = Math.max(m, Math.abs(t.value()));
        for (var t : l.bottom()) m = Math.max(m, Math.abs(t.value()));
        sb.append("<div class=\"lcols\">");
        logitList(sb, "up", "Promotes (top " + l.top().size() + ")", l.top(), m);
        logitList(sb, "down", "Suppresses (bottom " + l.bottom().size() + ")", l.bottom(), m);
        sb.append("</div>\n</section>\n");
    }

    private static void logitList(StringBuilder sb, String cls, String title, List<NeuronReport.TokenValue> items, double m) {
        sb.append("<div><h3>").append(title).append("</h3><ol class=\"").append(cls).append("\">");
        for (var t : items) {
            sb.append("<li style=\"--w:");
            Fmt.alpha(sb, m > 0 ? Math.abs(t.value()) / m : 0);
            sb.append("\">");
            TokenHtml.chip(sb, t.token());
            sb.append("<span class=\"v\">");
            if (t.value() >= 0) sb.append('+');
            Fmt.fixed(sb, t.value(), 4);
            sb.append("</span></li>");
        }
        if (items.isEmpty()) sb.append("<li class=\"none\">none</li>");
        sb.append("</ol></div>");
    }

    private static void summary(StringBuilder sb, NeuronReport r, Scale scale) {
        var ex = r.examples();
        sb.append("<section class=\"card summary\">\n<h2>Activation summary</h2>\n");
        if (ex.isEmpty()) {
            sb.append("<p class=\"hint\">No examples.</p>\n</section>\n");
            return;
        }
        sb.append("<p class=\"hint\">Max activation of each example (click a bar to jump to it).</p>\n");
        bars(sb, ex, scale);
        float[] maxes = new float[ex.size()];
        for (int i = 0; i < maxes.length; i++) maxes[i] = ex.get(i).max();
        float[] sorted = maxes.clone();
        Arrays.sort(sorted);
        float median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        sb.append("<dl class=\"stats\">");
        stat(sb, "top max", maxes[0]);
        stat(sb, "median max", median);
        stat(sb, "lowest max", sorted[0]);
        sb.append("</dl>\n");
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (var e : ex) counts.merge(e.maxToken(), 1, Integer::sum);
        List<Map.Entry<String, Integer>> common = new ArrayList<>(counts.entrySet());
        common.sort((a, b) -> b.getValue() - a.getValue()); // stable: ties keep rank order
        sb.append("<p class=\"common\"><span class=\"k\">max tokens</span> ");
        int shown = 0;
        for (var c : common) {
            if (shown++ == 8) {
                sb.append("<span class=\"hint\">\u2026</span>");
                break;
            }
            sb.append("<span class=\"pair\">");
            TokenHtml.chip(sb, c.getKey());
            if (c.getValue() > 1) sb.append("<span class=\"x\">\u00D7").append(c.getValue()).append("</span>");
            sb.append("</span> ");
        }
        sb.append("</p>\n</section>\n");
    }

    private static void stat(StringBuilder sb, String name, double v) {
        sb.append("<div><dt>").append(name).append("</dt><dd>");
        Fmt.fixed(sb, v, 4);
        sb.append("</dd></div>");
    }

    /** The bar chart: one bar per example, height = its max on the page's scale. */
    private static void bars(StringBuilder sb, List<NeuronReport.Example> ex, Scale scale) {
        int n = ex.size(), w = 10, h = 60;
        sb.append("<svg class=\"bars\" viewBox=\"0 0 ").append(Math.max(n, 20) * w).append(' ').append(h)
                .append("\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"max activation per example\">");
        for (int i = 0; i < n; i++) {
            var e = ex.get(i);
            double f = Math.max(0, e.max()) / scale.bound();
            double bh = Math.max(1, f * (h - 2));
            sb.append("<a href=\"#ex-").append(e.rank()).append("\"><rect x=\"").append(i * w + 1).append("\" y=\"");
            Fmt.fixed(sb, h - bh, 2);
            sb.append("\" width=\"").append(w - 2).append("\" height=\"");
            Fmt.fixed(sb, bh, 2);
            sb.append("\" style=\"--a:");
            Fmt.alpha(sb, 0.35 + 0.65 * f);
            sb.append("\"><title>#").append(e.rank()).append(" \u00B7 doc ").append(e.doc()).append(" \u00B7 max ");
            Fmt.fixed(sb, e.max(), 4);
            sb.append("</title></rect></a>");
        }
        sb.append("</svg>\n");
    }

    private static void legend(StringBuilder sb, Scale scale) {
        sb.append("<div class=\"legend\" role=\"note\"><span class=\"lbl\">colour scale</span><span class=\"num\">");
        Fmt.fixed(sb, -scale.bound(), 2);
        sb.append("</span><span class=\"ramp\" aria-hidden=\"true\"></span><span class=\"num\">+");
        Fmt.fixed(sb, scale.bound(), 2);
        sb.append("</span><span class=\"hint\">shared by all examples \u00B7 hover a token for its value \u00B7 "
                        + "\u2190 \u2192 prev/next neuron</span><button type=\"button\" id=\"expand\" hidden>expand all</button></div>\n");
    }

    /** One example: its header, the window around the max, the full document behind a toggle; ids start with {@code id}. */
    static void example(StringBuilder sb, NeuronReport.Example e, Scale scale, String id) {
        int i = e.rank();
        sb.append("<article class=\"ex\" id=\"").append(id).append(i).append("\">\n<header><h3><a href=\"#").append(id).append(i)
                .append("\">#").append(i).append("</a></h3>");
        sb.append("<span>doc <b>").append(e.doc()).append("</b></span>");
        sb.append("<span>max <b class=\"pos\">");
        Fmt.fixed(sb, e.max(), 4);
        sb.append("</b> at token <b>").append(e.pos()).append("</b> ");
        if (!e.tokens().isEmpty()) TokenHtml.chip(sb, e.maxToken());
        sb.append("</span><span>min <b class=\"neg\">");
        Fmt.fixed(sb, e.min(), 4);
        sb.append("</b></span><span>").append(e.tokens().size()).append(" tokens</span>");
        profile(sb, e, scale);
        sb.append("</header>\n");
        if (e.tokens().isEmpty()) {
            sb.append("<p class=\"empty\">empty document</p>\n</article>\n");
            return;
        }
        Window w = Window.of(e);
        TokenHtml.boxes(sb, e.tokens(), e.activations(), w.from(), w.to(), e.pos(), scale, true, "win");
        sb.append("\n<details><summary>full document \u00B7 ").append(e.tokens().size()).append(" tokens</summary>");
        TokenHtml.boxes(sb, e.tokens(), e.activations(), 0, e.tokens().size(), e.pos(), scale, false, "full");
        sb.append("</details>\n</article>\n");
    }

    /** A sparkline of the activation along the whole document (max per bin), the max marked. */
    private static void profile(StringBuilder sb, NeuronReport.Example e, Scale scale) {
        float[] a = e.activations();
        if (a.length < 2) return;
        int bins = Math.min(a.length, 120), h = 24;
        sb.append("<svg class=\"profile\" viewBox=\"0 0 ").append(bins).append(' ').append(h)
                .append("\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"activation along the document\">")
                .append("<title>activation along the document (").append(a.length).append(" tokens)</title><path d=\"M0 ")
                .append(h);
        for (int b = 0; b < bins; b++) {
            int from = (int) ((long) b * a.length / bins), to = (int) ((long) (b + 1) * a.length / bins);
            float m = 0;
            for (int t = from; t < to; t++) m = Math.max(m, a[t]);
            double y = h - Math.min(1, m / scale.bound()) * (h - 1);
            sb.append(" L").append(b).append(' ');
            Fmt.fixed(sb, y, 1);
            sb.append(" L").append(b + 1).append(' ');
            Fmt.fixed(sb, y, 1);
        }
        sb.append(" L").append(bins).append(' ').append(h).append("Z\"/>");
        double x = (e.pos() + 0.5) * bins / a.length;
        sb.append("<line x1=\"");
        Fmt.fixed(sb, x, 2);
        sb.append("\" x2=\"");
        Fmt.fixed(sb, x, 2);
        sb.append("\" y1=\"0\" y2=\"").append(h).append("\"/></svg>");
    }

    private static void footer(StringBuilder sb) {
        sb.append("<footer><p>Made by neuroscan: activations are TransformerLens's <code>blocks.L.mlp.hook_post</code> (<code>hook_mid</code> for SoLU models); a window shows "
                + Window.BEFORE + " tokens before the max-activating token and " + Window.AFTER + " after it. "
                + "\u21B5 newline \u00B7 \u21E5 tab \u00B7 \u2423 space \u00B7 \u27E8\u2026\u27E9 control or invisible character.</p></footer>\n"
                + "<div id=\"tip\" role=\"tooltip\" hidden></div>\n");
    }

    /** Facts the script needs, as JSON in a data block (never executed; escaped for {@code <script>}). */
    private static void pageData(StringBuilder sb, NeuronReport r, Scale scale) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", r.model());
        data.put("dataset", r.dataset());
        data.put("layer", r.layer());
        data.put("neuron", r.neuron());
        data.put("d_mlp", r.dMlp());
        if (r.nLayers() != null) data.put("n_layers", r.nLayers());
        data.put("scale", scale.bound());
        try {
            String json = NeuronReport.mapper().writeValueAsString(data);
            sb.append("<script type=\"application/json\" id=\"page-data\">").append(Html.scriptJson(json)).append("</script>\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
