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

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static neuroscan.serve.ServeFixtures.get;
import static neuroscan.serve.ServeFixtures.q;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server over plain HTTP: the API against the reference forward pass and {@code neuroscan trace}'s own
 * output, the pages against the files {@code neuroscan site} writes, and every kind of bad request.
 */
class ServeApiTest {
    @TempDir
    static Path tmp;
    static Path run;
    static ServeFixtures.Served served;
    static LoadedModel model;
    static Tokenizer tokenizer;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TEXT = "THE QUICK brown fox\n\tjumps <b>&amp;</b> \u00e9\"\u2028";

    @BeforeAll
    static void start() throws Exception {
        run = ServeFixtures.run(tmp);
        served = ServeFixtures.serve(run);
        model = ModelLoader.load(ServeFixtures.model(run));
        tokenizer = Tokenizer.load(ServeFixtures.model(run));
    }

    @AfterAll
    static void stop() {
        if (served != null) served.close();
        if (tokenizer != null) tokenizer.close();
    }

    static int dMlp() {
        return model.cfg().dMlp();
    }

    /** The oracle: the reference forward pass over [BOS] + tokenizer(text). */
    static float[] reference(int[] ids) {
        return new ReferenceForward(model.weights()).activations(ids);
    }

    @Test
    void apiTraceIsTraceJsonAndTheReferenceForward() throws Exception {
        var r = get(served.uri("/api/trace?neuron=7&text=" + q(TEXT)));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        var cli = CliFixtures.run("trace", "--model", ServeFixtures.model(run).toString(), "--neuron", "7", "--text", TEXT,
                "--format", "json", "--backend", "reference");
        assertEquals(0, cli.code(), cli.err());
        assertEquals(cli.out().strip(), r.body(), "the API's JSON is trace --format json's");

        JsonNode j = JSON.readTree(r.body());
        int[] ids = tokenizer.toTokens(TEXT, model.cfg().nCtx());
        float[] post = reference(ids);
        assertEquals(ids.length, j.get("activations").size());
        for (int p = 0; p < ids.length; p++) {
            assertEquals(ids[p], j.get("token_ids").get(p).asInt());
            assertEquals(post[p * dMlp() + 7], j.get("activations").get(p).floatValue(), 0f, "position " + p);
        }
        assertFalse(r.headers().firstValue("Neuroscan-Truncated").isPresent());
    }

    @Test
    void aTextPastTheContextIsCutAndSaysSo() throws Exception {
        String longText = "word ".repeat(200);
        var r = get(served.uri("/api/trace?neuron=3&text=" + q(longText)));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("true", r.headers().firstValue("Neuroscan-Truncated").orElseThrow());
        assertEquals(model.cfg().nCtx(), JSON.readTree(r.body()).get("activations").size());
    }

    /** Brute force: every neuron's max over the text's tokens, a full sort (max desc, neuron asc). */
    @Test
    void apiNeuronsIsBruteForce() throws Exception {
        int top = 9;
        var r = get(served.uri("/api/neurons?top=" + top + "&text=" + q(TEXT)));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = JSON.readTree(r.body());
        int[] ids = tokenizer.toTokens(TEXT, model.cfg().nCtx());
        String[] display = tokenizer.displayTokens(ids);
        float[] post = reference(ids);
        record Peak(int n, float max, int pos) {
        }
        List<Peak> all = new ArrayList<>();
        for (int n = 0; n < dMlp(); n++) {
            int best = 0;
            for (int p = 1; p < ids.length; p++) if (post[p * dMlp() + n] > post[best * dMlp() + n]) best = p;
            all.add(new Peak(n, post[best * dMlp() + n], best));
        }
        all.sort(Comparator.comparing(Peak::max).reversed().thenComparing(Peak::n));
        TopK store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        assertEquals(top, j.get("neurons").size());
        for (int i = 0; i < top; i++) {
            JsonNode n = j.get("neurons").get(i);
            Peak want = all.get(i);
            assertEquals(want.n(), n.get("neuron").asInt(), "rank " + i);
            assertEquals(want.max(), n.get("max").floatValue(), 0f);
            assertEquals(want.pos(), n.get("pos").asInt());
            assertEquals(display[want.pos()], n.get("token").asText());
            assertEquals(store.examples(want.n()).getFirst().max(), n.get("top_max").floatValue(), 0f);
        }
        for (int p = 0; p < ids.length; p++) assertEquals(display[p], j.get("tokens").get(p).asText());
    }

    @Test
    void pagesAreTheBytesSiteWrites() throws Exception {
        Path site = tmp.resolve("site");
        var s = CliFixtures.run("site", "--run", run.toString(), "--out", site.toString(), "--backend", "reference", "--threads", "2");
        assertEquals(0, s.code(), s.err());
        for (String path : new String[]{"/", "/index.html"}) {
            var r = get(served.uri(path));
            assertEquals(200, r.statusCode());
            assertEquals(Files.readString(site.resolve("index.html")), r.body(), path);
            htmlHeaders(r);
        }
        for (int n = 0; n < dMlp(); n++) {
            var r = get(served.uri("/" + n + ".html"));
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(Files.readString(site.resolve(n + ".html")), r.body(), n + ".html");
        }
        var head = ServeFixtures.HTTP.send(HttpRequest.newBuilder(served.uri("/3.html")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        assertEquals(Files.size(site.resolve("3.html")), Long.parseLong(head.headers().firstValue("Content-Length").orElseThrow()));
    }

    static void htmlHeaders(HttpResponse<?> r) {
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElseThrow());
        String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.startsWith("default-src 'none';") && csp.contains("frame-ancestors 'none'")
                && csp.contains("connect-src 'self'") && !csp.contains("unsafe-eval") && !csp.contains("'unsafe-inline'; script"), csp);
        assertFalse(csp.matches(".*script-src[^;]*'unsafe-inline'.*"), csp);
    }

    record Bad(String target, int status, String says) {
    }

    @Test
    void badRequestsAre4xxWithAJsonError() throws Exception {
        int limit = Limits.MAX_TEXT_BYTES;
        List<Bad> bad = List.of(
                new Bad("/api/trace?neuron=64&text=x", 400, "neuron 64 is outside 0..63"),
                new Bad("/api/trace?neuron=-1&text=x", 400, "neuron -1 is outside 0..63"),
                new Bad("/api/trace?neuron=abc&text=x", 400, "neuron must be a whole number, not \"abc\""),
                new Bad("/api/trace?neuron=1e3&text=x", 400, "neuron must be a whole number"),
                new Bad("/api/trace?neuron=99999999999999999999&text=x", 400, "neuron must be a whole number"),
                new Bad("/api/trace?neuron=&text=x", 400, "neuron must be a whole number"),
                new Bad("/api/trace?text=x", 400, "missing parameter neuron"),
                new Bad("/api/trace?neuron=1", 400, "missing parameter text"),
                new Bad("/api/trace?neuron=1&text=x&neuron=2", 400, "parameter neuron given twice"),
                new Bad("/api/trace?neuron=1&text=x&%3Cscript%3E=1", 400, "unknown parameter \"<script>\""),
                new Bad("/api/trace?neuron=1&text=" + "a".repeat(limit + 1), 413, "text is " + (limit + 1) + " bytes; at most " + limit),
                new Bad("/api/trace?neuron=1&text=" + q("\u00e9".repeat(limit / 2 + 1)), 413, "text is " + (limit + 2) + " bytes"),
                new Bad("/api/trace?neuron=1&text=" + "a".repeat(Limits.MAX_URI_CHARS), 414, "request URI longer than"),
                new Bad("/api/neurons?text=x&top=0", 400, "top 0 is outside 1..64"),
                new Bad("/api/neurons?text=x&top=65", 400, "top 65 is outside 1..64"),
                new Bad("/api/neurons?top=3", 400, "missing parameter text"),
                new Bad("/trace?part=evil", 400, "part must be page or results"),
                new Bad("/trace?pick=x1", 400, "pick must be a whole number"),
                new Bad("/3.html?x=1", 400, "unknown parameter \"x\""),
                new Bad("/api/nope", 404, "not found"));
        for (Bad b : bad) {
            String[] r = raw(b.target(), "127.0.0.1");
            jsonError(status(r[0]), header(r[0], "Content-Type"), r[1], b);
            assertEquals("nosniff", header(r[0], "X-Content-Type-Options"));
        }
        // A request line that is not a URI at all never reaches our handler: the JDK's server answers 400 itself,
        // with a fixed text that repeats nothing of the request.
        for (String t : new String[]{"/api/trace?neuron=1&text=%zz<script>", "/%zz<script>.html"}) {
            String[] r = raw(t, "127.0.0.1");
            assertEquals(400, status(r[0]), t);
            assertFalse(r[1].contains("<script>") || r[1].contains("zz"), r[1]);
        }
        var post = ServeFixtures.HTTP.send(HttpRequest.newBuilder(served.uri("/api/trace?neuron=1&text=x"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        jsonError(post.statusCode(), post.headers().firstValue("Content-Type").orElse(""), post.body(),
                new Bad("POST", 405, "method \"POST\" not allowed"));
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
        // the server is still fine after all that
        assertEquals(200, get(served.uri("/api/trace?neuron=1&text=ok")).statusCode());
    }

    static void jsonError(int status, String type, String body, Bad b) throws Exception {
        assertEquals(b.status(), status, b.target() + ": " + body);
        assertEquals("application/json; charset=utf-8", type, b.target());
        JsonNode j = JSON.readTree(body);
        assertEquals(1, j.size(), body);
        assertTrue(j.get("error").asText().contains(b.says()), b.target() + ": " + body);
    }

    /** One raw HTTP/1.1 request, so the request line goes out exactly as written (no client normalizes it). */
    static String[] raw(String target, String host) throws Exception {
        try (Socket s = new Socket("127.0.0.1", served.server().port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String resp = all.toString(StandardCharsets.UTF_8);
            int split = resp.indexOf("\r\n\r\n");
            return new String[]{resp.substring(0, split), resp.substring(split + 4)};
        }
    }

    static int status(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    static String header(String head, String name) {
        for (String l : head.split("\r\n")) {
            if (l.toLowerCase().startsWith(name.toLowerCase() + ":")) return l.substring(name.length() + 1).strip();
        }
        return "";
    }

    @Test
    void nothingOutsideTheRunIsServed() throws Exception {
        String[] targets = {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
                "/..%2f..%2fetc%2fpasswd", "/%252e%252e%252fetc%252fpasswd", "/0.html/../../../etc/passwd", "//etc/passwd",
                "/%2fetc%2fpasswd", "/etc/passwd", "/api/trace/../../etc/passwd", "/manifest.json", "/store.safetensors",
                "/tokens.safetensors", "/run/manifest.json", "/index.html/", "/00.html", "/64.html", "/-1.html", "/%30.html",
                "/0.html%00", "/1.html.bak", "/0.HTML", "/..", "/./index.html", "/%5c..%5c..%5cetc%5cpasswd",
                "/9999999999.html", "/" + "9".repeat(30) + ".html"};
        for (String t : targets) {
            String[] r = raw(t, "127.0.0.1:" + served.server().port());
            jsonError(status(r[0]), header(r[0], "Content-Type"), r[1], new Bad(t, 404, "not found"));
            assertFalse(r[1].contains("root:") || r[1].contains("neuroscan-run"), t);
        }
        String[] ok = raw("/0.html", "localhost:" + served.server().port());
        assertEquals(200, status(ok[0]), ok[0]);
        // a page of another site whose name resolves here (DNS rebinding) gets nothing
        String[] rebound = raw("/0.html", "evil.example:" + served.server().port());
        jsonError(status(rebound[0]), header(rebound[0], "Content-Type"), rebound[1], new Bad("Host: evil.example", 403, "not this server's"));
    }

    @Test
    void jsonErrorsEscapeWhatTheRequestSent() throws Exception {
        var r = get(served.uri("/api/trace?neuron=" + q("\"<img src=x onerror=alert(1)>\u001b[2J") + "&text=x"));
        assertEquals(400, r.statusCode());
        JsonNode j = JSON.readTree(r.body());
        assertTrue(j.get("error").asText().contains("<img src=x"), r.body());
        assertFalse(r.body().contains("\u001b"), "control character escaped in the JSON");
        assertEquals("default-src 'none'; frame-ancestors 'none'", r.headers().firstValue("Content-Security-Policy").orElseThrow());
    }

    @Test
    void anotherNeuronOnACachedTextIsItsOwnColumn() throws Exception {
        JsonNode a = JSON.readTree(get(served.uri("/api/trace?neuron=2&text=" + q("cache me"))).body());
        JsonNode b = JSON.readTree(get(served.uri("/api/trace?neuron=5&text=" + q("cache me"))).body());
        int[] ids = tokenizer.toTokens("cache me", model.cfg().nCtx());
        float[] post = reference(ids);
        float[] wantA = new float[ids.length], wantB = new float[ids.length], gotA = new float[ids.length], gotB = new float[ids.length];
        for (int p = 0; p < ids.length; p++) {
            wantA[p] = post[p * dMlp() + 2];
            wantB[p] = post[p * dMlp() + 5];
            gotA[p] = a.get("activations").get(p).floatValue();
            gotB[p] = b.get("activations").get(p).floatValue();
        }
        assertArrayEquals(wantA, gotA);
        assertArrayEquals(wantB, gotB);
    }
}
