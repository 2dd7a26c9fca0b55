package neuroscan.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.cli.CliFixtures;
import neuroscan.data.Tokenizer;
import neuroscan.engine.ReferenceForward;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static neuroscan.serve.ServeFixtures.get;
import static neuroscan.serve.ServeFixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run of a 2-layer model served: every path {@code neuroscan site} writes ({@code index.html}, {@code L/index.html},
 * {@code L/N.html}) byte for byte, nothing else; {@code /api/trace?layer=L} against {@code trace --layer L} and the
 * reference forward; {@code /api/neurons} brute force over every layer's neurons.
 */
class ServeLayersTest {
    @TempDir
    static Path tmp;
    static Path run;
    static ServeFixtures.Served served;
    static LoadedModel model;
    static Tokenizer tokenizer;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TEXT = "THE QUICK brown fox jumps <b>over</b> it";

    @BeforeAll
    static void start() throws Exception {
        run = ServeFixtures.runTwoLayers(tmp);
        served = ServeFixtures.serve(run);
        model = ModelLoader.load(ServeFixtures.model(run));
        tokenizer = Tokenizer.load(ServeFixtures.model(run));
    }

    @AfterAll
    static void stop() {
        if (served != null) served.close();
        if (tokenizer != null) tokenizer.close();
    }

    @Test
    void everyFileSiteWritesIsServedByteForByte() throws Exception {
        Path site = tmp.resolve("site");
        var s = CliFixtures.run("site", "--run", run.toString(), "--out", site.toString(), "--backend", "reference", "--threads", "2");
        assertEquals(0, s.code(), s.err());
        List<Path> files;
        try (Stream<Path> w = Files.walk(site)) {
            files = w.filter(Files::isRegularFile).toList();
        }
        assertEquals(1 + 2 * (1 + ServeFixtures.TWO_LAYERS.dMlp()), files.size(), "the top index, and per layer an index and d_mlp pages");
        for (Path f : files) {
            String path = "/" + site.relativize(f).toString().replace('\\', '/');
            var r = get(served.uri(path));
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertEquals(Files.readString(f), r.body(), path);
        }
        assertEquals(Files.readString(site.resolve("index.html")), get(served.uri("/")).body());
        // the statistics ride along on the served pages: density, the histogram's inline SVG, the quantile intervals
        String page = get(served.uri("/1/5.html")).body();
        assertTrue(page.contains("id=\"density\"") && page.contains("<svg") && page.contains("id=\"quantiles\""), page);
        ServeApiTest.htmlHeaders(get(served.uri("/1/5.html")));
        // a single layer's paths, and non-canonical layer directories, are not this site's
        for (String t : new String[]{"/0.html", "/2/0.html", "/00/1.html", "/-1/0.html", "/0/48.html", "/0/", "/0", "/1/index.htm",
                "/0/1/2.html", "/%30/1.html"}) {
            var r = get(served.uri(t));
            assertEquals(404, r.statusCode(), t);
            assertEquals("{\"error\":\"not found\"}", r.body(), t);
        }
    }

    @Test
    void apiTraceOfALayerIsTraceLayerJsonAndTheReference() throws Exception {
        int[] ids = tokenizer.toTokens(TEXT, model.cfg().nCtx());
        float[] post = new ReferenceForward(model.weights()).hookPost(ids, 1);
        int dMlp = model.cfg().dMlp();
        for (int layer = 0; layer < 2; layer++) {
            var r = get(served.uri("/api/trace?layer=" + layer + "&neuron=11&text=" + q(TEXT)));
            assertEquals(200, r.statusCode(), r.body());
            var cli = CliFixtures.run("trace", "--model", ServeFixtures.model(run).toString(), "--layer", "" + layer, "--neuron", "11",
                    "--text", TEXT, "--format", "json", "--backend", "reference");
            assertEquals(0, cli.code(), cli.err());
            assertEquals(cli.out().strip(), r.body(), "layer " + layer);
            if (layer == 1) {
                JsonNode a = JSON.readTree(r.body()).get("activations");
                for (int p = 0; p < ids.length; p++) assertEquals(post[p * dMlp + 11], a.get(p).floatValue(), 1e-5f, "position " + p);
            }
        }
        // no layer: layer 0, as trace's default
        assertEquals(get(served.uri("/api/trace?layer=0&neuron=4&text=x")).body(), get(served.uri("/api/trace?neuron=4&text=x")).body());
        for (String bad : new String[]{"layer=2", "layer=-1", "layer=x", "layer=01&layer=1"}) {
            var r = get(served.uri("/api/trace?neuron=1&text=x&" + bad));
            assertEquals(400, r.statusCode(), bad);
            assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
            assertTrue(JSON.readTree(r.body()).get("error").asText().contains("layer"), r.body());
        }
        assertTrue(get(served.uri("/api/trace?neuron=1&text=x&layer=2")).body().contains("layer 2 is outside 0..1"));
        assertEquals(400, get(served.uri("/trace?layer=5&text=x")).statusCode());
        assertEquals(400, get(served.uri("/trace?pick=96&text=x")).statusCode(), "pick is a flat index below 2 * 48");
    }

    /** Brute force over both layers: each neuron's max over the text, sorted (max desc, flat index asc). */
    @Test
    void apiNeuronsRanksEveryLayer() throws Exception {
        int top = 12;
        var r = get(served.uri("/api/neurons?top=" + top + "&text=" + q(TEXT)));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = JSON.readTree(r.body());
        int[] ids = tokenizer.toTokens(TEXT, model.cfg().nCtx());
        var ref = new ReferenceForward(model.weights());
        int dMlp = model.cfg().dMlp();
        record Peak(int layer, int n, float max, int pos) {
        }
        List<Peak> all = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            float[] post = ref.hookPost(ids, l);
            for (int n = 0; n < dMlp; n++) {
                int best = 0;
                for (int p = 1; p < ids.length; p++) if (post[p * dMlp + n] > post[best * dMlp + n]) best = p;
                all.add(new Peak(l, n, post[best * dMlp + n], best));
            }
        }
        all.sort(Comparator.comparing(Peak::max).reversed().thenComparing(p -> p.layer() * dMlp + p.n()));
        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        String[] display = tokenizer.displayTokens(ids);
        assertEquals(top, j.get("neurons").size());
        for (int i = 0; i < top; i++) {
            JsonNode n = j.get("neurons").get(i);
            Peak want = all.get(i);
            assertEquals(want.layer(), n.get("layer").asInt(), "rank " + i);
            assertEquals(want.n(), n.get("neuron").asInt(), "rank " + i);
            assertEquals("L" + want.layer() + "N" + want.n(), n.get("label").asText());
            assertEquals(want.max(), n.get("max").floatValue(), 1e-5f);
            assertEquals(want.pos(), n.get("pos").asInt());
            assertEquals(display[want.pos()], n.get("token").asText());
            assertEquals(store.examples(want.layer() * dMlp + want.n()).getFirst().max(), n.get("top_max").floatValue(), 0f);
        }
        var most = get(served.uri("/api/neurons?top=" + Math.min(Limits.MAX_TOP, 2 * dMlp) + "&text=x"));
        assertEquals(200, most.statusCode(), "top may go past one layer's d_mlp: " + most.body());
    }

    @Test
    void theInteractivePageOffersTheLayers() throws Exception {
        String html = get(served.uri("/trace?layer=1&neuron=3&text=" + q(TEXT))).body();
        assertTrue(html.contains("<select id=\"layer\" name=\"layer\"><option value=\"0\">0</option><option value=\"1\" selected>1</option></select>"), html);
        assertTrue(html.contains("<a id=\"page\" href=\"1/3.html\">L1N3's page</a>"), html);
        assertTrue(html.contains("<h2>L1N3 on this text"), html);
        // picking neuron 3 of layer 1 by its flat index is the same page as asking for it
        String picked = get(served.uri("/trace?part=results&pick=" + (48 + 3) + "&text=" + q(TEXT))).body();
        assertEquals(get(served.uri("/trace?part=results&layer=1&neuron=3&text=" + q(TEXT))).body(), picked);
        // every listed neuron links to its page in its layer's directory, and its button sends its flat index
        var row = java.util.regex.Pattern.compile("<tr data-layer=\"(\\d)\" data-n=\"(\\d+)\"><td class=\"num\"><a href=\"(\\d)/(\\d+)\\.html\">L(\\d)N(\\d+)</a>"
                + ".*?name=\"pick\" value=\"(\\d+)\"");
        var m = row.matcher(picked);
        int rows = 0;
        for (; m.find(); rows++) {
            int l = Integer.parseInt(m.group(1)), n = Integer.parseInt(m.group(2));
            assertEquals(List.of(l, n, l, n, l * 48 + n), List.of(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)),
                    Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)), Integer.parseInt(m.group(7))), m.group());
        }
        assertEquals(10, rows, picked);
    }
}
