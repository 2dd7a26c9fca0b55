package neuroscan.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parsing a neuroscope page. The fixture is written by make_neuroscope_fixture.py (beside it), which
 * also writes what the page holds as plain JSON: that file is the oracle.
 */
class NeuroscopePageTest {

    static String fixture() throws IOException {
        return resource("neuroscope-424.html");
    }

    static String resource(String name) throws IOException {
        try (InputStream in = NeuroscopePageTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void parsesEveryExampleLikeTheGeneratorWroteIt() throws Exception {
        JsonNode want = new ObjectMapper().readTree(resource("neuroscope-424.expected.json"));
        NeuroscopePage page = NeuroscopePage.parse(fixture(), "424.html");
        assertEquals(0, page.layer());
        assertEquals(424, page.neuron());
        assertEquals("GELU Model: 1 Layers, 2048 Neurons per Layer", page.model());
        assertEquals("80% C4 (Web Text) and 20% Python Code", page.dataset());
        assertEquals(want.get("texts").size(), page.texts().size());
        for (int i = 0; i < page.texts().size(); i++) {
            var t = page.texts().get(i);
            JsonNode w = want.get("texts").get(i);
            assertEquals(i, t.index());
            assertEquals(w.get("index").asLong(), t.dataIndex());
            assertEquals(w.get("source").asText(), t.dataSource());
            assertEquals(w.get("max_pos").asInt(), t.maxTokenIndex());
            assertEquals(w.get("max_token").asText(), t.maxToken());
            assertEquals(w.get("max").asDouble(), t.maxAct(), 5e-5, "h4 lines have 4 decimals");
            assertEquals(w.get("min").asDouble(), t.minAct(), 5e-5);
            assertEquals(want.get("range").asDouble(), t.maxRange(), 5e-5);
            assertEquals(-want.get("range").asDouble(), t.minRange(), 5e-5);
            List<String> tokens = new ArrayList<>();
            w.get("tokens").forEach(x -> tokens.add(x.asText()));
            float[] values = new float[w.get("values").size()];
            for (int k = 0; k < values.length; k++) values[k] = (float) w.get("values").get(k).asDouble();
            assertEquals(tokens, t.full().tokens());
            assertArrayEquals(values, t.full().values());
            int from = w.get("window_start").asInt(), to = w.get("window_end").asInt();
            assertEquals(tokens.subList(from, to), t.window().tokens());
            assertEquals(w.get("max_pos").asInt() - from, t.windowMax());
        }
        assertEquals(61, page.texts().getFirst().window().tokens().size(), "text 0's window: tokens 35..95");
        assertEquals(103, page.texts().getFirst().full().tokens().size());
        assertEquals(" caf\u00E9", page.texts().get(3).full().tokens().get(25), "json.dumps' \\u00e9 decoded");
    }

    @Test
    void parsesTheDirectLogitEffect() throws Exception {
        JsonNode want = new ObjectMapper().readTree(resource("neuroscope-424.expected.json"));
        var logits = NeuroscopePage.parse(fixture(), "424.html").logits();
        assertEquals(10, logits.top().size());
        assertEquals(5, logits.bottom().size());
        for (int k = 0; k < 10; k++) {
            assertEquals(want.get("top").get(k).get(0).asText(), logits.top().get(k).token());
            assertEquals(want.get("top").get(k).get(1).asDouble(), logits.top().get(k).value(), 1e-6);
        }
        assertEquals("\n", logits.top().get(7).token(), "a raw newline token");
        assertEquals(-0.4402f, logits.bottom().getFirst().value(), 1e-6);
    }

    private static String parseError(String html) {
        return assertThrows(NeuroscanException.class, () -> NeuroscopePage.parse(html, "424.html")).getMessage();
    }

    @Test
    void malformedPagesGiveOneClearLine() throws Exception {
        String page = fixture();
        assertEquals("424.html: no ColoredTokens examples found: not a neuroscope neuron page",
                parseError("<html><body>Not found</body></html>"));
        assertEquals("424.html: ColoredTokens calls but no <h2>Text #i</h2> headings: not a neuroscope neuron page",
                parseError(page.replace("<h2>Text #", "<h2>Example #")));
        assertEquals("424.html: Text #0: no \"Max Act\" line", parseError(page.replaceFirst("Max Act:", "Peak:")));
        assertEquals("424.html: Text #1: no \"Max Activating Token Index\" line",
                parseError(page.replace("<h4>Max Activating Token Index: <b>9</b>", "<h4>Max token: <b>9</b>")));
        String cut = page.substring(0, page.indexOf("\"values\"", page.indexOf("<h2>Text #3</h2>")));
        assertTrue(parseError(cut).startsWith("424.html: Text #3: malformed ColoredTokens data: "), parseError(cut));
        String shorter = page.replaceFirst("\"values\": \\[-?[0-9.]+, ", "\"values\": [");
        assertEquals("424.html: Text #0: 61 tokens but 60 values", parseError(shorter));
        assertEquals("424.html: Text #2: no ColoredTokens tokens", parseError(noCalls(page, 2)));
        for (String bad : List.of(shorter, cut)) assertEquals(1, parseError(bad).lines().count());
    }

    private static String noCalls(String page, int text) {
        int from = page.indexOf("<h2>Text #" + text + "</h2>"), to = page.indexOf("<h2>Text #" + (text + 1) + "</h2>");
        return page.substring(0, from) + page.substring(from, to).replace("ColoredTokens,", "Other,") + page.substring(to);
    }

    /** Neuroscope does not escape "</script>" inside its JSON; we read the JSON, not the HTML, so it survives. */
    @Test
    void markupInsideTokensIsJustText() throws Exception {
        String page = fixture().replace("\" RES\"", "\"</script><script>alert(1)</script>\"");
        var t = NeuroscopePage.parse(page, "424.html").texts().getFirst();
        assertEquals("</script><script>alert(1)</script>", t.full().tokens().get(87));
        assertEquals("</script><script>alert(1)</script>", t.window().tokens().get(52));
    }

    @Test
    void onlyTheWindowIsEnough() throws Exception {
        // A page whose examples carry just one render() call: it is taken as the window.
        String page = fixture();
        StringBuilder sb = new StringBuilder();
        int at = 0;
        while (true) {
            int full = page.indexOf("<h3>Full Text #", at);
            if (full < 0) break;
            int end = page.indexOf("</details>", full);
            sb.append(page, at, full);
            at = end;
        }
        sb.append(page.substring(at));
        var t = NeuroscopePage.parse(sb.toString(), "424.html").texts().getFirst();
        assertNull(t.full());
        assertEquals(" MAY", t.maxToken());
        assertEquals(50, t.windowMax());
    }

    @Test
    void loadsFromAFileAndOverHttp(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("424.html");
        Files.writeString(file, fixture());
        assertEquals(4, NeuroscopePage.load(file.toString(), Duration.ofSeconds(5)).texts().size());
        var e = assertThrows(NeuroscanException.class, () -> NeuroscopePage.load(dir.resolve("nope.html").toString(), Duration.ofSeconds(1)));
        assertEquals(dir.resolve("nope.html") + ": cannot read: no such file or directory", e.getMessage());

        byte[] body = fixture().getBytes(StandardCharsets.UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/gelu-1l/0/424.html", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (var out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/slow.html", ex -> {
            try {
                Thread.sleep(2000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        var pool = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fixture-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            var page = NeuroscopePage.load(base + "/gelu-1l/0/424.html", Duration.ofSeconds(5));
            assertEquals("424.html", page.source());
            assertEquals(4, page.texts().size());
            e = assertThrows(NeuroscanException.class, () -> NeuroscopePage.load(base + "/gelu-1l/0/425.html", Duration.ofSeconds(5)));
            assertEquals(base + "/gelu-1l/0/425.html: HTTP 404", e.getMessage());
            e = assertThrows(NeuroscanException.class, () -> NeuroscopePage.load(base + "/slow.html", Duration.ofMillis(300)));
            assertEquals(base + "/slow.html: no answer within 300 ms", e.getMessage());
        } finally {
            server.stop(0);
            pool.shutdownNow();
        }
    }

    @Test
    void neuroscopeUrl() {
        assertEquals("https://neuroscope.io/gelu-1l/0/424.html", NeuroscopePage.url("gelu-1l", 0, 424));
    }
}
