package neuroscan.serve;

import neuroscan.cli.CliFixtures;
import neuroscan.data.Tokenizer;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.report.ReportEngines;
import neuroscan.report.RunReports;
import neuroscan.store.Manifest;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A finished run of the CLI tests' demo model (d_mlp 64, n_ctx 48) over 40 documents of the parquet
 * fixture, and servers on it whose engines are the reference engine (the oracle the tests compare with).
 */
final class ServeFixtures {
    private ServeFixtures() {
    }

    static final int DOCS = 40, K = 4;

    /** A model of two layers (d_mlp 48, n_ctx 40): site and serve lay it out as {@code L/N.html}. */
    static final neuroscan.model.ModelConfig TWO_LAYERS = new neuroscan.model.ModelConfig(2, 32, 4, 8, 48, 40, 300, "gelu", "LN", 1e-5, null);

    /** Makes the model and the run under {@code dir}; returns the run. */
    static Path run(Path dir) throws Exception {
        return scan(CliFixtures.demoModel(dir.resolve("model")), dir);
    }

    /** The same over {@link #TWO_LAYERS}. */
    static Path runTwoLayers(Path dir) throws Exception {
        return scan(CliFixtures.model(dir.resolve("model"), TWO_LAYERS, 77), dir);
    }

    private static Path scan(Path model, Path dir) throws Exception {
        Path run = dir.resolve("run");
        var r = CliFixtures.run("scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(),
                "--max-docs", "" + DOCS, "--top-k", "" + K, "--out", run.toString(), "--quiet", "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    static Path model(Path run) {
        return run.resolveSibling("model");
    }

    /** The run opened on {@code workers} engines, each {@code wrap} of a reference engine. */
    static RunReports open(Path run, int workers, Function<Engine, Engine> wrap) {
        Path model = model(run);
        LoadedModel loaded = ModelLoader.load(model);
        return RunReports.open(run, Manifest.read(run), loaded, model.toString(), Tokenizer.load(model),
                () -> ReportEngines.perWorker(workers, () -> wrap.apply(new ReferenceEngine(loaded.weights()))));
    }

    /** A running server and its run; closing stops both. */
    record Served(Server server, RunReports reports, StringWriter log) implements AutoCloseable {
        URI uri(String pathAndQuery) {
            return server.url().resolve(pathAndQuery);
        }

        @Override
        public void close() {
            server.close();
            reports.close();
        }
    }

    static Served serve(Path run, int workers, Function<Engine, Engine> wrap, Function<Limits, Limits> limits) {
        RunReports reports = open(run, workers, wrap);
        StringWriter log = new StringWriter();
        return new Served(Server.start(reports, "127.0.0.1", 0, limits.apply(Limits.defaults(workers)), new PrintWriter(log, true)),
                reports, log);
    }

    static Served serve(Path run) {
        return serve(run, 2, e -> e, l -> l);
    }

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code s} as a query value (application/x-www-form-urlencoded). */
    static String q(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
}
