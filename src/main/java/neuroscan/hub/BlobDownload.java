package neuroscan.hub;

import neuroscan.NeuroscanException;
import neuroscan.Progress;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One blob into {@code blobs/{etag}}: appended to {@code {etag}.incomplete} (so a later run resumes
 * with {@code Range}), retried on transient failures, checked against its sha256 when the etag is one
 * (LFS files), then renamed into place. The caller holds the {@link BlobLock}.
 */
final class BlobDownload {
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-\\d+/(\\d+|\\*)");

    private final HubClient client;
    private final HubClient.Options opts;
    private final URI url;
    private final boolean withToken;
    private final String etag;
    private final Path blob;
    private final Path part;
    private final String what;
    private final String label;
    private final MessageDigest sha;
    private long expected;
    private long have;
    private Progress progress;

    BlobDownload(HubClient client, URI url, boolean withToken, String etag, long expectedSize, Path blob, String what,
                 String label) {
        this.client = client;
        this.opts = client.options();
        this.url = url;
        this.withToken = withToken;
        this.etag = etag;
        this.expected = expectedSize;
        this.blob = blob;
        this.part = blob.resolveSibling(blob.getFileName() + ".incomplete");
        this.what = what;
        this.label = label;
        this.sha = HubCache.SHA256.matcher(etag).matches() ? sha256() : null;
    }

    void run() {
        try {
            Files.createDirectories(blob.getParent());
            have = Files.exists(part) ? Files.size(part) : 0;
            if (expected >= 0 && have > expected) truncate();
            if (sha != null && have > 0) hashPrefix();
        } catch (IOException e) {
            throw new NeuroscanException("cannot read " + part + ": " + AtomicFiles.describe(e), e);
        }
        if (expected >= opts.progressMinBytes()) progress = Progress.start(label, expected, "B", opts.progress()).skip(have);
        int failures = 0;
        try {
            while (expected < 0 || have < expected) {
                long before = have;
                try {
                    transfer();
                    if (expected < 0) break; // no announced size: the end of the body is the end of the file
                    if (have < expected) throw new IOException("connection closed early");
                } catch (IOException e) {
                    if (have > before) failures = 0; // it moves: keep going, as huggingface_hub does
                    if (++failures > opts.maxRetries()) {
                        throw new NeuroscanException(what + ": download interrupted after " + Progress.formatBytes(have)
                                + (expected >= 0 ? " of " + Progress.formatBytes(expected) : "") + " ("
                                + HubErrors.networkReason(e, url) + "); run again to resume", e);
                    }
                    sleep(opts.retryDelay());
                }
            }
        } finally {
            if (progress != null) progress.done();
        }
        finish();
    }

    private void transfer() throws IOException {
        HttpResponse<InputStream> r = get();
        try (InputStream body = r.body()) {
            int s = r.statusCode();
            if (s == 416 && have > 0) { // our partial file is longer than, or not a prefix of, this blob
                truncate();
                throw new IOException("the server refused to resume");
            }
            if (s == 200 && have > 0) {
                truncate(); // the server ignored Range and sends the whole file
            } else if (s == 206) {
                Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    truncate();
                    throw new IOException("the server resumed at the wrong offset");
                }
            } else if (s >= 500 || s == 408 || s == 429) {
                throw new IOException("HTTP " + s);
            } else if (s != 200) {
                throw new NeuroscanException(what + ": download failed: HTTP " + s + " from " + r.uri().getHost());
            }
            if (expected < 0 && s == 200) expected = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            copy(body);
        }
    }

    private HttpResponse<InputStream> get() throws IOException {
        URI current = url;
        boolean token = withToken;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            var req = client.request(current, opts.readTimeout(), token).GET();
            if (have > 0) req.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> r = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            var location = r.headers().firstValue("Location");
            if (r.statusCode() >= 300 && r.statusCode() < 400 && location.isPresent()) {
                r.body().close();
                URI target = HubClient.resolveRedirect(current, location.get());
                if (!HubClient.sameHost(current, target)) token = false;
                current = target;
                continue;
            }
            return r;
        }
        throw new NeuroscanException(what + ": too many redirects from " + url);
    }

    private void copy(InputStream body) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             StallGuard guard = new StallGuard(body, opts.readTimeout())) {
            try {
                int n;
                while ((n = body.read(buf)) > 0) {
                    guard.touch();
                    if (expected >= 0 && have + n > expected) {
                        truncate();
                        throw new NeuroscanException(what + ": the server sent more than the announced "
                                + expected + " bytes; the download was discarded");
                    }
                    write(out, buf, n);
                    if (sha != null) sha.update(buf, 0, n);
                    have += n;
                    if (progress != null) progress.advance(n);
                }
            } catch (IOException e) {
                if (guard.stalled()) throw new IOException("no data for " + opts.readTimeout().toSeconds() + " s", e);
                throw e;
            }
        }
    }

    /** A failed write (full disk) is not a network hiccup: no retry. */
    private void write(OutputStream out, byte[] buf, int n) {
        try {
            out.write(buf, 0, n);
        } catch (IOException e) {
            throw new NeuroscanException("cannot write " + part + ": " + AtomicFiles.describe(e), e);
        }
    }

    private void finish() {
        if (sha != null) {
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(etag)) {
                deleteQuietly(part);
                throw new NeuroscanException(what + ": checksum mismatch: expected sha256 " + etag + ", got " + got
                        + "; the download was discarded, run again");
            }
        }
        try {
            if (!Files.exists(part)) Files.createFile(part); // an empty file has no body to append
            try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(part, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, blob, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new NeuroscanException("cannot write " + blob + ": " + AtomicFiles.describe(e), e);
        }
    }

    private void truncate() throws IOException {
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(0);
        }
        if (progress != null) progress.skip(-have);
        if (sha != null) sha.reset();
        have = 0;
    }

    private void hashPrefix() throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(part), sha)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the checksum error is what matters
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NeuroscanException("interrupted");
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /**
     * java.net.http has no read timeout once the headers are in: a watcher closes a body that stays
     * silent too long, which wakes the blocked read with an IOException.
     */
    private static final class StallGuard implements AutoCloseable {
        private final InputStream in;
        private final long timeoutNanos;
        private final Thread watcher;
        private volatile long last = System.nanoTime();
        private volatile boolean closed;
        private volatile boolean stalled;

        StallGuard(InputStream in, Duration timeout) {
            this.in = in;
            this.timeoutNanos = timeout.toNanos();
            this.watcher = Thread.ofVirtual().name("neuroscan-download-watch").start(this::watch);
        }

        void touch() {
            last = System.nanoTime();
        }

        boolean stalled() {
            return stalled;
        }

        private void watch() {
            long tick = Math.clamp(timeoutNanos / 4, 10_000_000L, 1_000_000_000L);
            while (!closed) {
                try {
                    Thread.sleep(Duration.ofNanos(tick));
                } catch (InterruptedException e) {
                    return;
                }
                if (!closed && System.nanoTime() - last > timeoutNanos) {
                    stalled = true;
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // closing is all we want
                    }
                    return;
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            watcher.interrupt();
        }
    }
}
