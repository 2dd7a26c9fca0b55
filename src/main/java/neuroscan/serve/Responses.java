package neuroscan.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import neuroscan.view.Assets;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Every response's headers and body. All responses: a Content-Type with its charset, {@code nosniff},
 * no caching, no referrer, no framing, same-origin only. HTML gets {@link Assets#servedCsp} (our own
 * scripts, requests and forms to this server, nothing else); JSON a policy that allows nothing.
 */
final class Responses {
    private Responses() {
    }

    static final String HTML = "text/html; charset=utf-8", JSON = "application/json; charset=utf-8";
    private static final String HTML_CSP = Assets.servedCsp(), JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static void send(HttpExchange ex, int status, String type, byte[] body, Map<String, String> extra) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", type);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Content-Security-Policy", type.equals(HTML) ? HTML_CSP : JSON_CSP);
        h.set("Cache-Control", "no-store");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        h.set("Cross-Origin-Opener-Policy", "same-origin");
        h.set("Cross-Origin-Resource-Policy", "same-origin");
        extra.forEach(h::set);
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) h.set("Content-Length", Integer.toString(body.length));
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static void html(HttpExchange ex, String html) throws IOException {
        send(ex, 200, HTML, html.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** {@code {"error": message}}: the message is the server's, with any request text in it JSON-escaped. */
    static void error(HttpExchange ex, HttpError e, Map<String, String> extra) throws IOException {
        byte[] body = MAPPER.writeValueAsBytes(Map.of("error", e.getMessage()));
        send(ex, e.status, JSON, body, extra);
    }
}
