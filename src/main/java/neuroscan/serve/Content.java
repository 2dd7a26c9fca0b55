package neuroscan.serve;

import neuroscan.report.RunReports;
import neuroscan.report.TextActivations;
import neuroscan.view.Site;

import java.nio.charset.StandardCharsets;
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
    private final CompletableFuture<byte[]> index;
    private final Lru<Integer, byte[]> pages;
    private final Lru<String, TextActivations> texts;

    Content(RunReports reports, Limits limits, ExecutorService background) {
        this.reports = reports;
        this.meta = reports.siteMeta();
        this.limits = limits;
        this.gate = new Gate(limits.computeSlots(), limits.maxWaiting(), limits.waitMillis());
        this.pages = new Lru<>(limits.pageCacheBytes(), b -> b.length);
        this.texts = new Lru<>(limits.textCacheFloats(), t -> t.post().length);
        // The index needs every neuron's logit effect (one pass over W_U): start it now, not on the first visit.
        this.index = CompletableFuture.supplyAsync(() -> Site.index(meta, reports.indexRows()).getBytes(StandardCharsets.UTF_8), background);
    }

    int dMlp() {
        return reports.dMlp();
    }

    byte[] index() {
        return index.join();
    }

    /** Neuron {@code n}'s page: a forward pass over its top documents, the first time. */
    byte[] page(int n) throws HttpError {
        byte[] b = pages.get(n);
        if (b != null) return b;
        byte[] page = gate.run(() -> Site.page(reports.report(n), reports.dMlp()).getBytes(StandardCharsets.UTF_8));
        pages.put(n, page);
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
