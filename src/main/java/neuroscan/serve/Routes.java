package neuroscan.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import neuroscan.NeuroscanException;
import neuroscan.report.TextActivations;
import neuroscan.view.Site;
import neuroscan.view.TracePage;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's one handler. A fixed set of paths, matched on the raw (still encoded) path, so nothing
 * in a URL is ever decoded into a file name, and no file is opened at all: everything comes from
 * {@link Content}. The site's paths as {@code neuroscan site} writes them: {@code /}, {@code /index.html} and
 * {@code /<n>.html} for a model of one layer; {@code /}, {@code /index.html} (the layers),
 * {@code /<l>/index.html} and {@code /<l>/<n>.html} for one of several. {@code /trace}: the
 * interactive page ({@code part=results}: its results alone); {@code /api/trace}, {@code /api/neurons}:
 * JSON. Anything else is 404; GET and HEAD only; every refusal is {@code {"error": ...}} with a 4xx.
 */
final class Routes implements HttpHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DEFAULT_TOP = 10;

    private final Content content;
    private final Limits limits;
    private final HostCheck hosts;
    private final Semaphore inFlight;
    private final PrintWriter log;
    final AtomicLong served = new AtomicLong();

    Routes(Content content, HostCheck hosts, PrintWriter log) {
        this.content = content;
        this.limits = content.limits;
        this.hosts = hosts;
        this.inFlight = new Semaphore(limits.maxInFlight());
        this.log = log;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!inFlight.tryAcquire()) {
                Responses.error(ex, HttpError.busy("busy: " + limits.maxInFlight() + " requests in progress; try again"), Map.of("Retry-After", "1"));
                return;
            }
            try {
                route(ex);
            } catch (HttpError e) {
                Responses.error(ex, e, e.status == 503 ? Map.of("Retry-After", "1")
                        : e.status == 405 ? Map.of("Allow", "GET, HEAD") : Map.of());
            } catch (NeuroscanException e) {   // e.g. the tokenizer refused the text: the message is for the user
                Responses.error(ex, new HttpError(422, e.getMessage()), Map.of());
            } catch (RuntimeException e) {
                synchronized (log) {
                    log.println("neuroscan: serve: internal error on " + ex.getRequestURI().getRawPath() + ": " + e);
                    log.flush();
                }
                Responses.error(ex, new HttpError(500, "internal error: " + e.getClass().getSimpleName()), Map.of());
            } finally {
                inFlight.release();
                served.incrementAndGet();
            }
        }
    }

    private void route(HttpExchange ex) throws IOException, HttpError {
        String method = ex.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) throw new HttpError(405, "method " + Params.quote(method) + " not allowed; GET or HEAD");
        String body = ex.getRequestHeaders().getFirst("Content-Length");
        if (body != null && !body.equals("0") || ex.getRequestHeaders().containsKey("Transfer-Encoding")) {
            throw HttpError.badRequest("a GET takes no body");
        }
        String target = ex.getRequestURI().getRawPath(), query = ex.getRequestURI().getRawQuery();
        if (target == null) throw HttpError.badRequest("no path");
        if (target.length() + (query == null ? 0 : query.length() + 1) > limits.maxUriChars()) {
            throw new HttpError(414, "request URI longer than " + limits.maxUriChars() + " characters");
        }
        hosts.check(ex.getRequestHeaders().getFirst("Host"));
        switch (target) {
            case "/", "/index.html" -> {
                Params.parse(query, Set.of());
                Responses.send(ex, 200, Responses.HTML, content.index(), Map.of());
            }
            case "/trace" -> trace(ex, Params.parse(query, Set.of("text", "layer", "neuron", "top", "pick", "part")));
            case "/api/trace" -> apiTrace(ex, Params.parse(query, Set.of("text", "layer", "neuron")));
            case "/api/neurons" -> apiNeurons(ex, Params.parse(query, Set.of("text", "top")));
            default -> sitePage(ex, target, query);
        }
    }

    /** {@code /<n>.html}, or with several layers {@code /<l>/index.html} and {@code /<l>/<n>.html}; else 404. */
    private void sitePage(HttpExchange ex, String target, String query) throws IOException, HttpError {
        String[] parts = target.startsWith("/") ? target.substring(1).split("/", -1) : new String[0];
        byte[] body;
        if (content.nLayers() == 1) {
            int n = parts.length == 1 ? Site.neuronOf(parts[0]) : -1;
            if (n < 0 || n >= content.dMlp()) throw HttpError.notFound();
            Params.parse(query, Set.of());
            body = content.page(0, n);
        } else {
            int l = parts.length == 2 ? Site.canonical(parts[0]) : -1;
            if (l < 0 || l >= content.nLayers()) throw HttpError.notFound();
            if (parts[1].equals("index.html")) {
                Params.parse(query, Set.of());
                body = content.index(l);
            } else {
                int n = Site.neuronOf(parts[1]);
                if (n < 0 || n >= content.dMlp()) throw HttpError.notFound();
                Params.parse(query, Set.of());
                body = content.page(l, n);
            }
        }
        Responses.send(ex, 200, Responses.HTML, body, Map.of());
    }

    private String text(Params p, String fallback) throws HttpError {
        String t = fallback == null ? p.string("text") : p.string("text", fallback);
        int bytes = t.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxTextBytes()) throw new HttpError(413, "text is " + bytes + " bytes; at most " + limits.maxTextBytes());
        return t;
    }

    private int layer(Params p) throws HttpError {
        return p.integer("layer", 0, 0, content.nLayers() - 1);
    }

    private int neuron(Params p, Integer fallback) throws HttpError {
        return p.integer("neuron", fallback, 0, content.dMlp() - 1);
    }

    /** How many neurons to list: all layers' neurons compete. */
    private int maxTop() {
        return Math.min(limits.maxTop(), content.dMlp() * content.nLayers());
    }

    private int top(Params p) throws HttpError {
        return p.integer("top", DEFAULT_TOP, 1, maxTop());
    }

    private TracePage.Hit hit(TextActivations.Peak h) {
        var hook = content.reports.hook();
        return new TracePage.Hit(hook.layer(h.neuron()), hook.inLayer(h.neuron()), h.max(), h.pos(), content.reports.topMax(h.neuron()));
    }

    private static Map<String, String> truncation(TextActivations t) {
        return t.truncated() ? Map.of("Neuroscan-Truncated", "true") : Map.of();
    }

    /** The interactive page, or with {@code part=results} its results: the fragment the page's script fetches. */
    private void trace(HttpExchange ex, Params p) throws IOException, HttpError {
        String text = text(p, "");
        var hook = content.reports.hook();
        // pick: a flat index (layer * d_mlp + n), what the "colour by it" buttons of the results send
        int pick = p.has("pick") ? p.integer("pick", null, 0, hook.neurons() - 1) : -1;
        int layer = pick >= 0 ? hook.layer(pick) : layer(p), neuron = pick >= 0 ? hook.inLayer(pick) : neuron(p, 0), top = top(p);
        int g = hook.flat(layer, neuron);
        String part = p.string("part", "page");
        if (!part.equals("page") && !part.equals("results")) throw HttpError.badRequest("part must be page or results, not " + Params.quote(part));
        TracePage.Result result = null;
        TextActivations t = null;
        if (!text.isEmpty()) {
            t = content.text(text);
            List<TracePage.Hit> hits = t.top(top).stream().map(this::hit).toList();
            result = new TracePage.Result(t.trace(g), t.truncated(), content.reports.topMax(g), hits);
        }
        TracePage.Input in = new TracePage.Input(text, layer, neuron, top);
        TracePage.Shape shape = new TracePage.Shape(content.meta, hook.name(), content.dMlp());
        String html = part.equals("results") ? TracePage.results(shape, in, result)
                : TracePage.render(shape, in, result, limits.maxTextBytes(), maxTop(), limits.debounceMs());
        Responses.send(ex, 200, Responses.HTML, html.getBytes(StandardCharsets.UTF_8), t == null ? Map.of() : truncation(t));
    }

    /** Exactly {@code neuroscan trace --layer L --neuron N --format json}'s output for the same neuron and text. */
    private void apiTrace(HttpExchange ex, Params p) throws IOException, HttpError {
        int layer = layer(p), neuron = neuron(p, null);
        TextActivations t = content.text(text(p, null));
        Responses.send(ex, 200, Responses.JSON, t.trace(content.reports.hook().flat(layer, neuron)).toJson().getBytes(StandardCharsets.UTF_8), truncation(t));
    }

    /**
     * {@code {"tokens", "token_ids", "neurons": [{"layer", "neuron", "label", "max", "pos", "token", "top_max"}]}}, largest
     * max first over every layer's neurons ({@code neuron} within its layer, {@code label} neuroscope's L{l}N{n}).
     */
    private void apiNeurons(HttpExchange ex, Params p) throws IOException, HttpError {
        int top = top(p);
        TextActivations t = content.text(text(p, null));
        ObjectNode o = JSON.createObjectNode();
        var tokens = o.putArray("tokens");
        for (String s : t.tokens()) tokens.add(s);
        var ids = o.putArray("token_ids");
        for (int id : t.ids()) ids.add(id);
        var neurons = o.putArray("neurons");
        for (TextActivations.Peak h : t.top(top)) {
            ObjectNode n = neurons.addObject();
            var hook = content.reports.hook();
            n.put("layer", hook.layer(h.neuron()));
            n.put("neuron", hook.inLayer(h.neuron()));
            n.put("label", hook.label(h.neuron()));
            n.put("max", h.max());
            n.put("pos", h.pos());
            n.put("token", t.tokens()[h.pos()]);
            float runMax = content.reports.topMax(h.neuron());
            if (Float.isNaN(runMax)) n.putNull("top_max");
            else n.put("top_max", runMax);
        }
        Responses.send(ex, 200, Responses.JSON, JSON.writeValueAsBytes(o), truncation(t));
    }
}
