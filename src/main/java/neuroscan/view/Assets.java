package neuroscan.view;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The CSS and JavaScript inlined into every page (src/main/resources/neuroscan/view/), and the page's
 * Content-Security-Policy. The policy allows exactly our own inline scripts (by hash) and nothing from
 * the network, so even a string that escaped our escaping could neither run nor load anything.
 */
public final class Assets {
    private Assets() {
    }

    static final String PAGE_CSS = load("page.css");
    static final String PAGE_JS = load("page.js");
    static final String INDEX_JS = load("index.js");
    static final String TRACE_JS = load("trace.js");
    static final String TRACE_CSS = load("trace.css");

    private static String load(String name) {
        try (InputStream in = Assets.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource neuroscan/view/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A CSP that runs only the given inline scripts (exact text) and allows inline styles, nothing else. */
    static String csp(String... scripts) {
        return csp(false, scripts);
    }

    /**
     * The same, and with {@code sameOrigin} also requests (fetch) and form submissions to the page's own
     * origin: the interactive page of {@code serve}, which has one.
     */
    static String csp(boolean sameOrigin, String... scripts) {
        StringBuilder sb = new StringBuilder("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src");
        for (String s : scripts) sb.append(" 'sha256-").append(sha256(s)).append('\'');
        if (scripts.length == 0) sb.append(" 'none'");
        sb.append(sameOrigin ? "; connect-src 'self'" : "");
        return sb.append("; base-uri 'none'; form-action ").append(sameOrigin ? "'self'" : "'none'").toString();
    }

    /**
     * The policy {@code serve} sends as a header with every page: any of our pages' scripts, requests and
     * forms to the server only, and no framing. A page's own {@code <meta>} policy narrows it further
     * (a browser enforces both).
     */
    public static String servedCsp() {
        return csp(true, PAGE_JS, INDEX_JS, TRACE_JS) + "; frame-ancestors 'none'";
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A favicon that needs no request: a small blue square. */
    static final String FAVICON = "<link rel=\"icon\" href=\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'"
            + " viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%232f6fed'/%3E%3C/svg%3E\">";
}
