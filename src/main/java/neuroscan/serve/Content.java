package neuroscan.serve;

import neuroscan.report.RunReports;
import neuroscan.report.TextActivations;
import neuroscan.view.Site;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * What the server serves, all of it made from the run in memory: the site's index and neuron pages
 * (rendered by {@link Site}, the code {@code neuroscan site} writes with, so the bytes are the same) and
 * texts through the model. Forward passes go through the {@link Gate}; recent results are cached.
 */
final class Content {
    final RunReports reports;
    final Site.Meta meta;
    final Limits limits;
    private final Gate gate;
    private final byte[] layersIndex;   // null: one layer, whose index is the site's
    private final List<CompletableFuture<byte[]>> index;   // per layer
    private final Lru<Integer, byte[]> pages;
    private final Lru<String, TextActivations> texts;

    Content(RunReports reports, Limits limits, ExecutorService background) {
        this.reports = reports;
        this.meta = reports.siteMeta();
        this.limits = limits;
        this.gate = new Gate(limits.computeSlots(), limits.maxWaiting(), limits.waitMillis());
        this.pages = new Lru<>(limits.pageCacheBytes(), b -> b.length);
        this.texts = new Lru<>(limits.textCacheFloats(), t -> t.post().length);
        int layers = nLayers();
        this.layersIndex = layers > 1 ? Site.layersIndex(meta, layers, dMlp()).getBytes(StandardCharsets.UTF_8) : null;
        // A layer's index needs its neurons' logit effects (one pass over W_U): start them now, not on the first visit.
        List<CompletableFuture<byte[]>> idx = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            Site.Meta m = new Site.Meta(meta.model(), meta.dataset(), l, layers);
            int layer = l;
            idx.add(CompletableFuture.supplyAsync(() -> Site.index(m, reports.indexRows(layer)).getBytes(StandardCharsets.UTF_8), background));
        }
        this.index = List.copyOf(idx);
    }

    /** Neurons per layer. */
    int dMlp() {
        return reports.dMlp();
    }

    int nLayers() {
        return reports.hook().nLayers();
    }

    /** The site's {@code index.html}: the list of layers, or the one layer's index. */
    byte[] index() {
        return layersIndex != null ? layersIndex : index.getFirst().join();
    }

    /** Layer {@code layer}'s index ({@code L/index.html} of a site of several layers). */
    byte[] index(int layer) {
        return index.get(layer).join();
    }

    /** Neuron {@code n} of layer {@code layer}'s page: a forward pass over its top documents, the first time. */
    byte[] page(int layer, int n) throws HttpError {
        int g = reports.flat(layer, n);
        byte[] b = pages.get(g);
        if (b != null) return b;
        byte[] page = gate.run(() -> Site.page(reports.report(g), dMlp(), nLayers()).getBytes(StandardCharsets.UTF_8));
        pages.put(g, page);
        return page;
    }

    /** The text through the model; the same text again (another neuron picked) costs nothing. */
    TextActivations text(String text) throws HttpError {
        TextActivations t = texts.get(text);
        if (t != null) return t;
        TextActivations fresh = gate.run(() -> reports.text(text));
        texts.put(text, fresh);
        return fresh;
    }

    /** Requests waiting for a forward pass now. */
    int waiting() {
        return gate.waiting();
    }
}
