package neuroscan.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback stand-in for huggingface.co, speaking its URL layout and headers: HEAD/GET on
 * {@code /{repo}/resolve/{rev}/{file}} (and {@code /datasets/...}) with X-Repo-Commit and ETag,
 * LFS files answered by a 302 to a second server (the "CDN", on 127.0.0.2 so its host differs, as
 * the real CDN's does) with X-Linked-Etag/X-Linked-Size, Range requests, 401 for private repos
 * without the token, 404 with X-Error-Code, and {@code /api/{models|datasets}/{repo}/revision/{rev}}.
 * Faults (cut connection, stall, ignored Range, corrupt bytes) are switched on per test.
 */
final class FakeHub implements AutoCloseable {
    static final String TOKEN = "hf_fake_token_123";

    record Req(String server, String method, String rawPath, String range, String auth) {
    }

    record Blob(byte[] data, boolean lfs) {
        String sha256() {
            return hex(digest("SHA-256", data));
        }

        /** git's object id of the file: what the hub sends as ETag for a regular (non-LFS) file. */
        String gitSha1() {
            byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[header.length + data.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(data, 0, all, header.length, data.length);
            return hex(digest("SHA-1", all));
        }

        String etag() {
            return lfs ? sha256() : gitSha1();
        }
    }

    static final class Repo {
        final RepoType type;
        final String id;
        final boolean isPrivate;
        final Map<String, String> refs = new ConcurrentHashMap<>();
        final Map<String, Map<String, Blob>> commits = new ConcurrentHashMap<>();

        Repo(RepoType type, String id, boolean isPrivate) {
            this.type = type;
            this.id = id;
            this.isPrivate = isPrivate;
        }

        /** Adds a commit with these files and points {@code ref} (a branch, or null) at it. */
        Repo commit(String sha, String ref, Map<String, Blob> files) {
            commits.put(sha, new TreeMap<>(files));
            if (ref != null) refs.put(ref, sha);
            return this;
        }

        String resolve(String rev) {
            if (commits.containsKey(rev)) return rev;
            return refs.get(rev);
        }
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final List<Req> log = new ArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);

    // faults on CDN blob GETs
    final AtomicInteger cutsLeft = new AtomicInteger();
    volatile int cutAfter = -1;
    final AtomicInteger stallsLeft = new AtomicInteger();
    volatile int stallAfter = -1;
    volatile boolean ignoreRange;
    volatile boolean corrupt;
    /** When set, every hub request (not the CDN) gets this status, as when the hub is down. */
    volatile int hubDown;

    FakeHub() throws IOException {
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-hub");
            t.setDaemon(true);
            return t;
        });
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.2", 0), 0);
        hub.createContext("/", ex -> handle(ex, "hub"));
        cdn.createContext("/", ex -> handle(ex, "cdn"));
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.start();
        cdn.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    private String cdnBase() {
        return "http://127.0.0.2:" + cdn.getAddress().getPort();
    }

    Repo repo(RepoType type, String id, boolean isPrivate) {
        Repo r = new Repo(type, id, isPrivate);
        repos.put(type.plural() + "/" + id, r);
        return r;
    }

    List<Req> requests() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    void clearLog() {
        synchronized (log) {
            log.clear();
        }
    }

    @Override
    public void close() {
        release.countDown();
        hub.stop(0);
        cdn.stop(0);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ handlers

    private void handle(HttpExchange ex, String server) throws IOException {
        String raw = ex.getRequestURI().getRawPath();
        synchronized (log) {
            log.add(new Req(server, ex.getRequestMethod(), raw, ex.getRequestHeaders().getFirst("Range"),
                    ex.getRequestHeaders().getFirst("Authorization")));
        }
        try (ex) {
            if (server.equals("hub") && hubDown != 0) {
                ex.getResponseHeaders().set("X-Error-Message", "the hub is down\tfor maintenance");
                ex.sendResponseHeaders(hubDown, -1);
            } else if (server.equals("cdn")) cdnBlob(ex, raw);
            else if (raw.startsWith("/api/")) api(ex, raw);
            else resolve(ex, raw);
        }
    }

    private boolean authorized(HttpExchange ex, Repo r) {
        return !r.isPrivate || ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void resolve(HttpExchange ex, String raw) throws IOException {
        RepoType type = raw.startsWith("/datasets/") ? RepoType.DATASET : RepoType.MODEL;
        String rest = raw.substring(type == RepoType.DATASET ? "/datasets/".length() : 1);
        int i = rest.indexOf("/resolve/");
        if (i < 0) {
            status(ex, 404, null, null);
            return;
        }
        Repo r = repos.get(type.plural() + "/" + rest.substring(0, i));
        String after = rest.substring(i + "/resolve/".length());
        int slash = after.indexOf('/');
        String rev = decode(after.substring(0, slash));
        String file = decode(after.substring(slash + 1));
        if (r == null) {
            status(ex, 404, "RepoNotFound", null);
            return;
        }
        if (!authorized(ex, r)) {
            status(ex, 401, null, null);
            return;
        }
        String commit = r.resolve(rev);
        if (commit == null) {
            status(ex, 404, "RevisionNotFound", null);
            return;
        }
        Blob b = r.commits.get(commit).get(file);
        if (b == null) {
            status(ex, 404, "EntryNotFound", commit);
            return;
        }
        var h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", commit);
        if (b.lfs()) {
            // like the hub: the metadata of the LFS object on a redirect to the CDN
            h.set("X-Linked-Etag", "\"" + b.sha256() + "\"");
            h.set("X-Linked-Size", Long.toString(b.data().length));
            h.set("ETag", "\"" + b.gitSha1() + "\"");
            h.set("Location", cdnBase() + "/blobs/" + b.sha256() + "?signature=abc");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + b.gitSha1() + "\"");
        serveBytes(ex, b.data(), false);
    }

    private void api(HttpExchange ex, String raw) throws IOException {
        RepoType type = raw.startsWith("/api/datasets/") ? RepoType.DATASET : RepoType.MODEL;
        String rest = raw.substring(("/api/" + type.plural() + "/").length());
        int i = rest.indexOf("/revision/");
        Repo r = i < 0 ? null : repos.get(type.plural() + "/" + rest.substring(0, i));
        if (r == null) {
            status(ex, 404, "RepoNotFound", null);
            return;
        }
        if (!authorized(ex, r)) {
            status(ex, 401, null, null);
            return;
        }
        String commit = r.resolve(decode(rest.substring(i + "/revision/".length())));
        if (commit == null) {
            status(ex, 404, "RevisionNotFound", null);
            return;
        }
        ObjectMapper m = new ObjectMapper();
        ObjectNode json = m.createObjectNode().put("id", r.id).put("sha", commit).put("private", r.isPrivate);
        ArrayNode siblings = json.putArray("siblings");
        for (String f : r.commits.get(commit).keySet()) siblings.addObject().put("rfilename", f);
        byte[] body = m.writeValueAsBytes(json);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private void cdnBlob(HttpExchange ex, String raw) throws IOException {
        String sha = raw.substring(raw.lastIndexOf('/') + 1);
        Blob found = null;
        for (Repo r : repos.values()) {
            for (var files : r.commits.values()) {
                for (Blob b : files.values()) if (b.lfs() && b.sha256().equals(sha)) found = b;
            }
        }
        if (found == null) {
            status(ex, 404, null, null);
            return;
        }
        byte[] data = found.data();
        if (corrupt) {
            data = data.clone();
            data[data.length / 2] ^= 0x5a;
        }
        serveBytes(ex, data, true);
    }

    /** The body, honouring {@code Range: bytes=N-} unless told not to, with the switched-on faults. */
    private void serveBytes(HttpExchange ex, byte[] data, boolean faults) throws IOException {
        int start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        int status = 200;
        if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
            start = Integer.parseInt(range.substring(6, range.length() - 1));
            if (start >= data.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            status = 206;
            ex.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
        }
        int n = data.length - start;
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(n));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, n == 0 ? -1 : n);
        OutputStream out = ex.getResponseBody();
        if (faults && cutAfter >= 0 && n > cutAfter && cutsLeft.getAndDecrement() > 0) {
            out.write(data, start, cutAfter);
            out.flush();
            // an exception out of the handler makes the server drop the connection mid-body
            throw new IOException("fake hub: cutting the connection after " + cutAfter + " bytes");
        }
        if (faults && stallAfter >= 0 && n > stallAfter && stallsLeft.getAndDecrement() > 0) {
            out.write(data, start, stallAfter);
            out.flush();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("fake hub: stalled connection released");
        }
        out.write(data, start, n);
    }

    private static void status(HttpExchange ex, int code, String errorCode, String commit) throws IOException {
        if (errorCode != null) ex.getResponseHeaders().set("X-Error-Code", errorCode);
        if (commit != null) ex.getResponseHeaders().set("X-Repo-Commit", commit);
        ex.sendResponseHeaders(code, -1);
    }

    // ------------------------------------------------------------------ helpers for tests

    static Blob text(String s) {
        return new Blob(s.getBytes(StandardCharsets.UTF_8), false);
    }

    static Blob lfs(byte[] data) {
        return new Blob(data, true);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A 40-hex commit id derived from a name, so tests read well. */
    static String commitId(String name) {
        return hex(digest("SHA-1", name.getBytes(StandardCharsets.UTF_8)));
    }

    static Map<String, Blob> files(Object... pairs) {
        Map<String, Blob> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((String) pairs[i], (Blob) pairs[i + 1]);
        return m;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static byte[] digest(String alg, byte[] data) {
        try {
            return MessageDigest.getInstance(alg).digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
