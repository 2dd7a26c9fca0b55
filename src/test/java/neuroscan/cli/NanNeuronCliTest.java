package neuroscan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.engine.opencl.CL;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A model whose blocks.0.mlp.b_in[0] is NaN: neuron 0 is NaN everywhere, the others are fine, on every backend. */
class NanNeuronCliTest {
    @TempDir
    static Path tmp;
    static Path model;
    static final int DOCS = 40, K = 4;

    @BeforeAll
    static void model() throws Exception {
        model = CliFixtures.demoModel(tmp.resolve("nan-model"), (name, v) -> {
            if (name.equals("blocks.0.mlp.b_in")) v[0] = Float.NaN;
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "reference", "opencl"})
    void nanNeuronIsCountedReportedAndShownWithoutBreakingTheRun(String backend) throws Exception {
        if (backend.equals("opencl")) {
            Assumptions.assumeTrue(CL.unavailable().isEmpty(), () -> "OpenCL test skipped: " + CL.unavailable().orElse(""));
        }
        Path run = tmp.resolve("run-" + backend);
        var stderr = new java.io.ByteArrayOutputStream();
        var old = System.err;
        CliFixtures.Result r;
        System.setErr(new java.io.PrintStream(stderr, true, java.nio.charset.StandardCharsets.UTF_8));
        try {   // the scan's notes go to System.err
            r = CliFixtures.run("scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(),
                    "--max-docs", "" + DOCS, "--top-k", "" + K, "--out", run.toString(), "--backend", backend, "--quiet");
        } finally {
            System.setErr(old);
        }
        assertEquals(0, r.code(), r.err());
        String err = stderr.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(err.contains("warning: " + DOCS + " NaN document maxima left out of the store, in 1 neuron (neuron 0: " + DOCS + ")"), err);

        JsonNode m = new ObjectMapper().readTree(Files.readString(run.resolve("manifest.json")));
        assertEquals(DOCS, m.get("nan_skipped").asLong());
        assertEquals(1, m.get("nan_neurons").size(), m.toString());
        assertEquals(DOCS, m.get("nan_neurons").get("0").asLong());

        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        assertTrue(store.examples(0).isEmpty(), "neuron 0 has no finite example");
        for (int n = 1; n < store.neurons(); n++) {
            assertEquals(K, store.examples(n).size(), "neuron " + n);
            for (var e : store.examples(n)) assertTrue(e.pos() >= 0 && Float.isFinite(e.max()), "neuron " + n + ": " + e);
        }

        var show = CliFixtures.run("show", "--run", run.toString(), "--neuron", "0", "--backend", backend);
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("no finite activation (" + DOCS + " NaN)"), show.out());
        var json = CliFixtures.run("show", "--run", run.toString(), "--neuron", "0", "--format", "json", "--backend", backend);
        assertEquals(0, json.code(), json.err());
        assertEquals(DOCS, new ObjectMapper().readTree(json.out()).get("nan_count").asLong());
        var fine = CliFixtures.run("show", "--run", run.toString(), "--neuron", "1", "--format", "json", "--backend", backend);
        assertEquals(K, new ObjectMapper().readTree(fine.out()).get("examples").size());
        assertFalse(new ObjectMapper().readTree(fine.out()).has("nan_count"));

        Path site = tmp.resolve("site-" + backend);
        var s = CliFixtures.run("site", "--run", run.toString(), "--out", site.toString(), "--backend", backend);
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.isRegularFile(site.resolve("index.html")));
        assertTrue(Files.readString(site.resolve("0.html")).contains("no finite activation (" + DOCS + " NaN)"));
        assertTrue(Files.isRegularFile(site.resolve((store.neurons() - 1) + ".html")));
    }
}
