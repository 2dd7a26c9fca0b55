package neuroscan.view;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * {@code neuroscan site}: one page per neuron ({@code 0.html} .. {@code <d_mlp-1>.html}) and an
 * {@code index.html} with a search box and a table of all neurons (sortable by max activation and by
 * density, among others), like neuroscope.io. Pages are
 * rendered in parallel and each file is written atomically (temp file + rename), so an interrupted
 * run leaves only whole pages; the index is written last, after every page it links to.
 */
public final class Site {
    private Site() {
    }

    /** What the index page says about the whole site; {@code nLayers > 1}: a layer's index links to the others. */
    public record Meta(String model, String dataset, int layer, int nLayers) {
        public Meta(String model, String dataset, int layer) {
            this(model, dataset, layer, 1);
        }
    }

    /**
     * @param pages       pages written (index not counted)
     * @param bytes       bytes written, index included
     * @param renderNanos time spent rendering HTML, summed over threads
     * @param wallNanos   wall-clock time of the whole write
     */
    public record Result(int pages, long bytes, long renderNanos, long wallNanos) {
    }

    /**
     * One row of the index table: what the index says about a neuron, all of it known without a forward
     * pass (so {@code serve} builds the index from the store alone; {@link #row} takes it from a report).
     *
     * @param max      the top example's max activation (NaN: no example)
     * @param maxToken the token at that max, or null
     * @param topLogit the most promoted token of the direct logit effect, or null
     * @param examples how many examples the page shows
     * @param density  the fraction of scanned tokens where it fires, or null (a run without statistics)
     */
    public record Row(int neuron, float max, String maxToken, String topLogit, int examples, Double density) {
    }

    /**
     * Writes the site.
     *
     * @param reports the report of neuron {@code n}; called once per neuron from several threads at
     *                once, so it must be thread-safe. Reports without {@code d_mlp} get {@code dMlp}.
     */
    /** In every index.html the site writes: a site may overwrite only its own earlier index. */
    static final String MARKER = "<!-- neuroscan site index -->";

    public static Result write(Path outDir, int dMlp, IntFunction<NeuronReport> reports, Meta meta) {
        if (dMlp <= 0) throw new IllegalArgumentException("d_mlp must be positive, got " + dMlp);
        checkWritable(outDir);
        return writeLayer(outDir, dMlp, reports, meta);
    }

    /** Refuses a file where the site's directory goes, or an index.html the site did not write. */
    private static void checkWritable(Path outDir) {
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new NeuroscanException(outDir + ": exists and is not a directory");
        }
        Path oldIndex = outDir.resolve("index.html");
        if (Files.isRegularFile(oldIndex)) {   // never overwrite someone else's page
            boolean ours;
            try {
                ours = Files.readString(oldIndex, StandardCharsets.ISO_8859_1).contains(MARKER);
            } catch (java.io.IOException e) {
                ours = false;
            }
            if (!ours) {
                throw new NeuroscanException(oldIndex + ": exists and was not written by neuroscan site; choose an empty or new --out");
            }
        }
    }

    /**
     * A site of several layers, laid out as neuroscope.io's URLs are ({@code /{model}/{layer}/{neuron}.html}):
     * {@code L/index.html} and {@code L/N.html} per layer (each page links to the same neuron in the other
     * layers), then {@code index.html} listing the layers. {@code reports} takes flat indices, layer * d_mlp + n.
     */
    public static Result writeLayers(Path outDir, int nLayers, int dMlp, IntFunction<NeuronReport> reports, Meta meta) {
        if (nLayers < 2) return write(outDir, dMlp, reports, meta);
        checkWritable(outDir);
        long t0 = System.nanoTime(), bytes = 0, render = 0;
        int pages = 0;
        for (int l = 0; l < nLayers; l++) {
            int layer = l;
            Path dir = outDir.resolve(Integer.toString(l));
            checkWritable(dir);
            Result r = writeLayer(dir, dMlp, n -> reports.apply(layer * dMlp + n),
                    new Meta(meta.model(), meta.dataset(), l, nLayers));
            bytes += r.bytes();
            render += r.renderNanos();
            pages += r.pages();
        }
        byte[] index = layersIndex(meta, nLayers, dMlp).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(outDir.resolve("index.html"), out -> out.write(index));   // last: the site is whole
        return new Result(pages, bytes + index.length, render, System.nanoTime() - t0);
    }

    /** The top index of a site of several layers: a link to each layer's index. */
    public static String layersIndex(Meta meta, int nLayers, int dMlp) {
        var sb = new StringBuilder(2048);
        HtmlPage.head(sb, meta.model() + " \u00B7 neuroscan");
        sb.append("<body>\n").append(MARKER).append("\n<header class=\"top\">\n<h1><span class=\"label\">");
        Html.text(sb, meta.model());
        sb.append("</span> <span class=\"sub\">").append(nLayers).append(" layers</span></h1>\n<p class=\"meta\"><span>dataset <b>");
        Html.text(sb, meta.dataset());
        sb.append("</b></span><span><b>").append(dMlp).append("</b> neurons per layer</span></p>\n</header>\n<main>\n")
                .append("<section class=\"card\">\n<nav class=\"nav layers\" aria-label=\"layers\">");
        for (int l = 0; l < nLayers; l++) sb.append("<a href=\"").append(l).append("/index.html\">layer ").append(l).append("</a>");
        sb.append("</nav>\n</section>\n</main>\n<footer><p>Made by neuroscan.</p></footer>\n</body>\n</html>\n");
        return sb.toString();
    }

    private static Result writeLayer(Path outDir, int dMlp, IntFunction<NeuronReport> reports, Meta meta) {
        long t0 = System.nanoTime();
        Row[] rows = new Row[dMlp];
        AtomicLong bytes = new AtomicLong(), renderNanos = new AtomicLong();
        // A failing neuron must not return while other threads still write: each task records the first
        // failure, later tasks skip their work, and the stream ends only when every task has.
        AtomicReference<Throwable> failure = new AtomicReference<>();
        IntStream.range(0, dMlp).parallel().forEach(n -> {
            if (failure.get() != null) return;
            try {
                NeuronReport r = reports.apply(n);
                if (r.neuron() != n) throw new IllegalStateException("report for neuron " + n + " is " + r.label());
                long s = System.nanoTime();
                byte[] page = page(r, dMlp, meta.nLayers()).getBytes(StandardCharsets.UTF_8);
                renderNanos.addAndGet(System.nanoTime() - s);
                AtomicFiles.write(outDir.resolve(pageName(n)), out -> out.write(page));
                bytes.addAndGet(page.length);
                rows[n] = row(r);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        byte[] index = index(meta, rows).getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(outDir.resolve("index.html"), out -> out.write(index));
        bytes.addAndGet(index.length);
        return new Result(dMlp, bytes.get(), renderNanos.get(), System.nanoTime() - t0);
    }

    /** Links to {@code file} in every other layer's directory, and up to the site's list of layers. */
    static void layerNav(StringBuilder sb, int layer, int nLayers, String file) {
        sb.append("<nav class=\"nav layers\" aria-label=\"layers\"><a href=\"../index.html\">layers</a>");
        for (int l = 0; l < nLayers; l++) {
            if (l == layer) sb.append("<span class=\"off\">layer ").append(l).append("</span>");
            else sb.append("<a class=\"layer\" href=\"../").append(l).append('/').append(file).append("\">layer ").append(l).append("</a>");
        }
        sb.append("</nav>\n");
    }

    /**
     * A neuron's page as the site has it: a report without {@code d_mlp} gets {@code dMlp} (for its links),
     * one without a layer count gets {@code nLayers} when there are several (for the links between layers).
     */
    public static String page(NeuronReport r, int dMlp, int nLayers) {
        if (r.dMlp() == null) r = r.withExtras(dMlp, r.neuroscope());
        if (nLayers > 1 && r.nLayers() == null) r = r.withLayers(nLayers);
        return HtmlPage.render(r);
    }

    /** The file name of neuron {@code n}'s page, which every link of the site points at. */
    public static String pageName(int n) {
        return n + ".html";
    }

    /**
     * The neuron whose page {@code name} is ({@link #pageName}'s inverse), or -1: only the canonical
     * decimal ({@code 7.html}, not {@code 07.html} or {@code +7.html}), so one page has one name.
     */
    public static int neuronOf(String name) {
        return name.endsWith(".html") ? canonical(name.substring(0, name.length() - ".html".length())) : -1;
    }

    /** A whole number written the one way the site writes it (no sign, no leading zero), or -1. */
    public static int canonical(String n) {
        if (n.isEmpty() || n.length() > 9 || (n.length() > 1 && n.charAt(0) == '0')) return -1;
        for (int i = 0; i < n.length(); i++) if (n.charAt(i) < '0' || n.charAt(i) > '9') return -1;
        return Integer.parseInt(n);
    }

    /**
     * Neuron {@code n} of layer {@code layer}'s page, from the site's root: {@code N.html} in a site of one
     * layer, {@code L/N.html} in one of several ({@link #writeLayers}'s layout).
     */
    public static String pagePath(int layer, int n, int nLayers) {
        return nLayers > 1 ? layer + "/" + pageName(n) : pageName(n);
    }

    static Row row(NeuronReport r) {
        var ex = r.examples();
        var top = ex.isEmpty() ? null : ex.getFirst();
        String logit = r.logits() == null || r.logits().top().isEmpty() ? null : r.logits().top().getFirst().token();
        return new Row(r.neuron(), top == null ? Float.NaN : top.max(), top == null || top.tokens().isEmpty() ? null
                : top.maxToken(), logit, ex.size(), r.density());
    }

    /** The index: search box, and a sortable table of every neuron with its top activation and tokens. */
    public static String index(Meta meta, Row[] rows) {
        var sb = new StringBuilder(4096 + rows.length * 320);
        HtmlPage.head(sb, meta.model() + " \u00B7 layer " + meta.layer() + " \u00B7 neuroscan", Assets.INDEX_JS);
        sb.append("<body>\n").append(MARKER).append("\n<header class=\"top\">\n<nav class=\"nav\"><a href=\"0.html\">first neuron</a>")
                .append("<a id=\"random\" href=\"").append(rows.length > 1 ? HtmlPage.randomNeighbour(0, rows.length) : 0)
                .append(".html\">random</a><a href=\"").append(rows.length - 1).append(".html\">last neuron</a></nav>\n");
        if (meta.nLayers() > 1) layerNav(sb, meta.layer(), meta.nLayers(), "index.html");
        sb.append("<h1><span class=\"label\">");
        Html.text(sb, meta.model());
        sb.append("</span> <span class=\"sub\">layer ").append(meta.layer()).append("</span></h1>\n<p class=\"meta\"><span>dataset <b>");
        Html.text(sb, meta.dataset());
        sb.append("</b></span><span><b>").append(rows.length).append("</b> neurons</span></p>\n</header>\n<main>\n");
        sb.append("<section class=\"card\">\n<div class=\"search\"><input id=\"q\" type=\"search\" inputmode=\"search\" "
                + "placeholder=\"neuron number or token\" aria-label=\"find a neuron\" autofocus><span id=\"count\" class=\"hint\">")
                .append(rows.length).append(" neurons</span></div>\n");
        sb.append("<table class=\"neurons\" id=\"neurons\"><thead><tr><th data-sort=\"data-n\">neuron</th>"
                + "<th data-sort=\"data-max\">max activation</th><th data-sort=\"data-tok\">max token (top example)</th>"
                + "<th data-sort=\"data-logit\">top logit</th><th data-sort=\"data-k\">examples</th>"
                + "<th data-sort=\"data-density\">density</th></tr></thead>\n<tbody>\n");
        float best = 0;
        for (Row r : rows) if (r != null && r.max() > best) best = r.max();
        for (Row r : rows) {
            if (r == null) continue;
            sb.append("<tr data-n=\"").append(r.neuron()).append("\" data-max=\"");
            if (Float.isNaN(r.max())) sb.append("-1");
            else Fmt.fixed(sb, r.max(), 4);
            sb.append("\" data-tok=\"");
            if (r.maxToken() != null) Html.attr(sb, r.maxToken());
            sb.append("\" data-logit=\"");
            if (r.topLogit() != null) Html.attr(sb, r.topLogit());
            sb.append("\" data-k=\"").append(r.examples()).append("\" data-density=\"").append(r.density() == null ? "-1" : String.valueOf(r.density()))
                    .append("\"><td class=\"num\"><a href=\"").append(r.neuron())
                    .append(".html\">").append(r.neuron()).append("</a></td><td class=\"num\">");
            if (Float.isNaN(r.max())) sb.append("\u2013");
            else {
                Fmt.fixed(sb, r.max(), 4);
                sb.append("<span class=\"bar\" style=\"width:");
                Fmt.fixed(sb, best > 0 ? 80.0 * Math.max(0, r.max()) / best : 0, 1);
                sb.append("px\"></span>");
            }
            sb.append("</td><td>");
            if (r.maxToken() != null) TokenHtml.chip(sb, r.maxToken());
            sb.append("</td><td>");
            if (r.topLogit() != null) TokenHtml.chip(sb, r.topLogit());
            sb.append("</td><td class=\"num\">").append(r.examples()).append("</td><td class=\"num\">");
            if (r.density() == null) sb.append("\u2013");
            else StatsHtml.percent(sb, r.density());
            sb.append("</td></tr>\n");
        }
        sb.append("</tbody></table>\n</section>\n</main>\n<footer><p>Made by neuroscan. Type a neuron number and press "
                + "Enter to open its page; type a token to filter; click a column to sort.</p></footer>\n");
        sb.append("<script>").append(Assets.INDEX_JS).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }
}
