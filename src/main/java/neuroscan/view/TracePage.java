package neuroscan.view;

import com.fasterxml.jackson.core.JsonProcessingException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code serve}'s interactive page: a text box, a neuron, and the neuron's activation on every token of
 * the text, coloured like the pages' examples ({@link TokenHtml}, the neuron's {@link Scale} taken from
 * its top activation in the run, so a colour means what it means on the neuron's page); beside it the
 * neurons that fire most on the text. The results are a fragment of their own ({@link #results}), which
 * the page's script fetches again as the user types. Works without the script too: the form is a GET
 * of the same page. Every string from the text, the tokenizer or the run is escaped.
 */
public final class TracePage {
    private TracePage() {
    }

    /** What the user asked: the text, the neuron (layer, index in it) to colour it by, how many top neurons to list. */
    public record Input(String text, int layer, int neuron, int top) {
    }

    /**
     * The run's model as the page names it.
     *
     * @param hook {@code hook_post}, or {@code hook_mid} for SoLU
     * @param dMlp neurons per layer ({@code meta.nLayers()} layers)
     */
    public record Shape(Site.Meta meta, String hook, int dMlp) {
        int nLayers() {
            return meta.nLayers();
        }

        /** The neuron's page from the site's root, as {@code site} lays it out. */
        String page(int layer, int n) {
            return Site.pagePath(layer, n, nLayers());
        }
    }

    /**
     * A neuron that fires on the text.
     *
     * @param neuron its index in its layer
     * @param max    its largest activation on the text, at token {@code pos}
     * @param runMax its top activation in the run (NaN: none)
     */
    public record Hit(int layer, int neuron, float max, int pos, float runMax) {
    }

    /**
     * What the model made of the text (null in {@link #render}: nothing typed yet).
     *
     * @param trace     the chosen neuron on every token
     * @param truncated whether the text was cut to the model's context
     * @param runMax    the chosen neuron's top activation in the run (NaN: none), the colour scale
     * @param hits      the neurons with the largest max on the text, largest first
     */
    public record Result(Trace trace, boolean truncated, float runMax, List<Hit> hits) {
    }

    /** The whole page; {@code maxTextBytes} and {@code debounceMs} are the server's, told to the form and the script. */
    public static String render(Shape shape, Input in, Result result, int maxTextBytes, int maxTop, int debounceMs) {
        Site.Meta meta = shape.meta();
        int dMlp = shape.dMlp(), layers = shape.nLayers();
        var sb = new StringBuilder(16_384);
        HtmlPage.head(sb, "try a text \u00B7 " + meta.model() + " \u00B7 neuroscan", Assets.csp(true, Assets.TRACE_JS), Assets.TRACE_CSS);
        sb.append("<body>\n<header class=\"top\">\n<nav class=\"nav\"><a id=\"index\" href=\"index.html\">index</a>")
                .append("<a id=\"page\" href=\"").append(shape.page(in.layer(), in.neuron())).append("\">L").append(in.layer())
                .append('N').append(in.neuron()).append("'s page</a></nav>\n<h1><span class=\"label\">try a text</span> <span class=\"sub\">");
        Html.text(sb, meta.model());
        sb.append(layers > 1 ? " \u00B7 " + layers + " layers" : " \u00B7 layer 0").append("</span></h1>\n<p class=\"meta\"><span>run on <b>");
        Html.text(sb, meta.dataset());
        sb.append("</b></span><span><b>").append(dMlp).append("</b> neurons").append(layers > 1 ? " per layer" : "")
                .append("</span></p>\n</header>\n<main>\n");
        sb.append("<form id=\"try\" class=\"card\" method=\"get\" action=\"trace\" autocomplete=\"off\">\n")
                .append("<label for=\"text\">text <span class=\"hint\">[BOS] + tokenizer(text), as TransformerLens's to_tokens; at most ")
                .append(maxTextBytes).append(" bytes</span></label>\n<textarea id=\"text\" name=\"text\" rows=\"5\" spellcheck=\"false\" autofocus>");
        Html.text(sb, in.text());
        sb.append("</textarea>\n<div class=\"row\">");
        if (layers > 1) {   // a model of one layer has nothing to pick
            sb.append("<label>layer <select id=\"layer\" name=\"layer\">");
            for (int l = 0; l < layers; l++) {
                sb.append("<option value=\"").append(l).append('"').append(l == in.layer() ? " selected" : "").append('>').append(l).append("</option>");
            }
            sb.append("</select></label>");
        }
        sb.append("<label>neuron <input id=\"neuron\" name=\"neuron\" type=\"number\" min=\"0\" max=\"")
                .append(dMlp - 1).append("\" value=\"").append(in.neuron()).append("\" required></label>")
                .append("<label>top <input id=\"top\" name=\"top\" type=\"number\" min=\"1\" max=\"").append(maxTop)
                .append("\" value=\"").append(in.top()).append("\" required></label>")
                .append("<button type=\"submit\">trace</button><span id=\"status\" class=\"hint\" role=\"status\"></span></div>\n</form>\n");
        sb.append("<section id=\"results\" aria-live=\"polite\">");
        results(sb, shape, in, result);
        sb.append("</section>\n</main>\n<footer><p>Made by neuroscan serve: activations are <code>blocks.")
                .append(layers > 1 ? "L" : "0").append(".mlp.");
        Html.text(sb, shape.hook());
        sb.append("</code>, recomputed as you type. Hover a token for its value.</p></footer>\n");
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("n_layers", layers);
        data.put("d_mlp", dMlp);
        data.put("debounce_ms", debounceMs);
        try {
            sb.append("<script type=\"application/json\" id=\"page-data\">")
                    .append(Html.scriptJson(NeuronReport.mapper().writeValueAsString(data))).append("</script>\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        sb.append("<script>").append(Assets.TRACE_JS).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    /** The results alone: what the script puts into {@code #results} after each fetch. */
    public static String results(Shape shape, Input in, Result result) {
        return results(new StringBuilder(8192), shape, in, result).toString();
    }

    private static StringBuilder results(StringBuilder sb, Shape shape, Input in, Result r) {
        sb.append("<div class=\"result\" data-layer=\"").append(in.layer()).append("\" data-neuron=\"").append(in.neuron()).append("\">\n");
        if (r == null) return sb.append("<p class=\"hint\">Type a text above.</p>\n</div>\n");
        Trace t = r.trace();
        float[] a = t.activations();
        int maxPos = 0;
        double absMax = 0;
        for (int p = 0; p < a.length; p++) {
            if (a[p] > a[maxPos] || (a[p] != a[p] && a[maxPos] == a[maxPos])) maxPos = p;
            if (Float.isFinite(a[p])) absMax = Math.max(absMax, Math.abs(a[p]));
        }
        Scale scale = new Scale(Float.isFinite(r.runMax()) && r.runMax() > 0 ? r.runMax() : absMax);
        sb.append("<section class=\"card\" id=\"neuron\">\n<h2>L").append(in.layer()).append('N').append(in.neuron())
                .append(" on this text <a class=\"hint\" href=\"").append(shape.page(in.layer(), in.neuron())).append("\">its top examples</a></h2>\n")
                .append("<p class=\"meta\"><span>").append(a.length).append(" tokens</span><span>max <b class=\"pos\">");
        Fmt.fixed(sb, a[maxPos], 4);
        sb.append("</b> at token <b>").append(maxPos).append("</b> ");
        TokenHtml.chip(sb, t.tokens().get(maxPos));
        sb.append("</span><span>colour scale \u00B1");
        Fmt.fixed(sb, scale.bound(), 2);
        sb.append(Float.isFinite(r.runMax()) && r.runMax() > 0 ? " (its top activation in the run)" : " (this text's largest |activation|)")
                .append("</span></p>\n");
        if (r.truncated()) {
            sb.append("<p class=\"note\">The text is longer than the model's context: only its first ").append(a.length)
                    .append(" tokens (BOS included) are traced.</p>\n");
        }
        TokenHtml.boxes(sb, t.tokens(), a, 0, a.length, maxPos, scale, true, "trace");
        sb.append("\n</section>\n<section class=\"card\" id=\"fire\">\n<h2>Neurons that fire most on this text</h2>\n")
                .append("<p class=\"hint\">Largest activation anywhere in the text; pick one to colour the text by it.</p>\n")
                .append("<table class=\"neurons\" id=\"top-neurons\"><thead><tr><th>neuron</th><th>max here</th><th>at token</th>")
                .append("<th>top in the run</th><th></th></tr></thead>\n<tbody>\n");
        for (Hit h : r.hits()) {
            sb.append("<tr data-layer=\"").append(h.layer()).append("\" data-n=\"").append(h.neuron()).append("\"><td class=\"num\"><a href=\"")
                    .append(shape.page(h.layer(), h.neuron())).append("\">");
            if (shape.nLayers() > 1) sb.append('L').append(h.layer()).append('N');
            sb.append(h.neuron()).append("</a></td><td class=\"num\">");
            Fmt.fixed(sb, h.max(), 4);
            sb.append("</td><td>");
            TokenHtml.chip(sb, t.tokens().get(h.pos()));
            sb.append(" <span class=\"hint\">").append(h.pos()).append("</span></td><td class=\"num\">");
            if (Float.isNaN(h.runMax())) sb.append('\u2013');
            else Fmt.fixed(sb, h.runMax(), 4);
            // pick is the flat index, layer * d_mlp + n: one value the server splits
            sb.append("</td><td><button type=\"submit\" form=\"try\" name=\"pick\" value=\"").append(h.layer() * shape.dMlp() + h.neuron())
                    .append("\" data-layer=\"").append(h.layer()).append("\" data-neuron=\"").append(h.neuron()).append('"');
            if (h.layer() == in.layer() && h.neuron() == in.neuron()) sb.append(" disabled");
            sb.append(">colour by it</button></td></tr>\n");
        }
        return sb.append("</tbody></table>\n</section>\n</div>\n");
    }
}
