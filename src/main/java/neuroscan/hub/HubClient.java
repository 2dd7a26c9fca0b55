package neuroscan.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;
import neuroscan.Progress;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Downloads files from the Hugging Face hub into the huggingface_hub cache, the way
 * {@code hf_hub_download} does: a HEAD on {@code /resolve/} for the commit, etag and size (relative
 * redirects followed, a redirect to the CDN not), a GET of the blob, a relative symlink from the
 * snapshot, refs for branch names. On top: downloads resume from {@code blobs/{etag}.incomplete}
 * across runs, and LFS files (sha256 etag) are verified before they enter the cache.
 *
 * <p>Without network (or with {@code HF_HUB_OFFLINE}), cached files are served; anything else fails
 * with a {@link HubUnreachableException}. After the first connection failure the client stops trying
 * the network for the rest of its life, so a run with many files fails fast instead of timing out per file.
 */
public final class HubClient implements AutoCloseable {

    /**
     * Tuning; the defaults suit real use, tests shorten the waits.
     *
     * @param maxRetries      transient failures (connection cut, stall, 5xx) tolerated in a row per file
     * @param readTimeout     a download that receives nothing for this long counts as failed and resumes
     * @param progressMinBytes files at least this big get a progress bar
     */
    public record Options(Progress.Options progress, int maxRetries, Duration retryDelay, Duration connectTimeout,
                          Duration metadataTimeout, Duration readTimeout, long progressMinBytes) {
        public static Options defaults() {
            return new Options(Progress.Options.defaults(Progress.Mode.AUTO), 5, Duration.ofSeconds(1),
                    Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30), 5_000_000L);
        }

        public Options withProgress(Progress.Options p) {
            return new Options(p, maxRetries, retryDelay, connectTimeout, metadataTimeout, readTimeout, progressMinBytes);
        }

        public Options withRetries(int n, Duration delay) {
            return new Options(progress, n, delay, connectTimeout, metadataTimeout, readTimeout, progressMinBytes);
        }

        public Options withTimeouts(Duration connect, Duration metadata, Duration read) {
            return new Options(progress, maxRetries, retryDelay, connect, metadata, read, progressMinBytes);
        }

        public Options withProgressMinBytes(long n) {
            return new Options(progress, maxRetries, retryDelay, connectTimeout, metadataTimeout, readTimeout, n);
        }
    }

    /** A revision's commit and every file in it. */
    public record RepoInfo(String sha, List<String> files) {
    }

    private static final int MAX_REDIRECTS = 10;
    private static final int MAX_JSON_BYTES = 32 << 20;
    private static final List<String> HUB_HOSTS = List.of("huggingface.co", "hf.co");

    private final HubSettings settings;
    private final Options opts;
    private final HubCache cache;
    private final HttpClient http;
    private final URI endpoint;
    private final String userAgent;
    private volatile String unreachable; // why the network failed, once it has

    public HubClient(HubSettings settings, Options options) {
        this.settings = settings;
        this.opts = options;
        this.cache = new HubCache(settings.cacheDir());
        this.endpoint = URI.create(settings.endpoint() + "/");
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER) // followed by hand: the token must not go to the CDN
                .connectTimeout(options.connectTimeout())
                .build();
        String v = HubClient.class.getPackage().getImplementationVersion();
        this.userAgent = "neuroscan/" + (v == null ? "dev" : v) + "; java/" + Runtime.version().feature();
    }

    /** Settings from the process environment, default options. */
    public static HubClient fromEnvironment() {
        return new HubClient(HubSettings.fromEnvironment(), Options.defaults());
    }

    public HubSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        http.close();
    }

    // ------------------------------------------------------------------ files

    /** The cached path of {@code filename} in repo@revision, downloading it if needed (see class doc). */
    public Path download(RepoType type, String repoId, String revision, String filename) {
        return fetch(type, repoId, revision, filename, false).orElseThrow();
    }

    /**
     * Like {@link #download}, but a file the repo does not have (404) gives empty instead of an error,
     * and so does one that is neither cached nor reachable: for optional files such as
     * {@code special_tokens_map.json}.
     */
    public Optional<Path> downloadOptional(RepoType type, String repoId, String revision, String filename) {
        return fetch(type, repoId, revision, filename, true);
    }

    private Optional<Path> fetch(RepoType type, String repoId, String revision, String filename, boolean optional) {
        HubCache.checkRepoId(repoId);
        HubCache.checkRelative("revision", revision);
        HubCache.checkRelative("file name", filename);

        if (HubCache.isCommit(revision)) { // pinned and cached: no request at all
            Path p = cache.pointer(type, repoId, revision, filename);
            if (Files.exists(p)) return Optional.of(p);
            if (optional && Files.exists(cache.noExist(type, repoId, revision, filename))) return Optional.empty();
        }
        if (settings.offline() || unreachable != null) {
            return fromCache(type, repoId, revision, filename, optional, null);
        }

        URI url = resolveUrl(type, repoId, revision, filename);
        FileMetadata meta;
        try {
            meta = head(url);
        } catch (IOException e) {
            unreachable = HubErrors.networkReason(e, url);
            return fromCache(type, repoId, revision, filename, optional, e);
        } catch (HubErrors.HttpFailure f) {
            if (f.status == 404) {
                if (f.commit != null && HubCache.isCommit(f.commit)) {
                    cache.markMissing(type, repoId, f.commit, filename);
                    cache.writeRef(type, repoId, revision, f.commit);
                }
                if (optional) return Optional.empty();
                throw HubErrors.userError(f, settings, type, repoId, revision, filename);
            }
            // like Python: private repo without token, hub down... a cached copy still serves
            Optional<Path> cached = cache.cachedPointer(type, repoId, revision, filename);
            if (cached.isPresent()) return cached;
            throw HubErrors.userError(f, settings, type, repoId, revision, filename);
        } catch (FileMetadata.BadMetadata b) {
            Optional<Path> cached = cache.cachedPointer(type, repoId, revision, filename);
            if (cached.isPresent()) return cached;
            throw new NeuroscanException(b.getMessage());
        }

        Path pointer = cache.pointer(type, repoId, meta.commit(), filename);
        if (Files.exists(pointer)) {
            try {
                cache.writeRef(type, repoId, revision, meta.commit());
            } catch (NeuroscanException e) {
                // a read-only cache still serves what it has
            }
            return Optional.of(pointer);
        }
        cache.writeRef(type, repoId, revision, meta.commit());
        Path blob = cache.blob(type, repoId, meta.etag());
        try (BlobLock ignored = BlobLock.acquire(cache.lockFile(type, repoId, meta.etag()))) {
            if (!Files.exists(blob)) {
                new BlobDownload(this, meta.location(), sendsToken(meta.location()), meta.etag(), meta.size(), blob,
                        type.label() + " " + repoId + " " + filename, lastSegment(filename)).run();
            }
            if (!Files.exists(pointer)) cache.link(blob, pointer);
        }
        return Optional.of(pointer);
    }

    private Optional<Path> fromCache(RepoType type, String repoId, String revision, String filename, boolean optional,
                                     Throwable cause) {
        Optional<Path> cached = cache.cachedPointer(type, repoId, revision, filename);
        if (cached.isPresent() || optional) return cached;
        throw unreachableError(type, repoId, List.of(filename), cause);
    }

    private HubUnreachableException unreachableError(RepoType type, String repoId, List<String> what, Throwable cause) {
        return new HubUnreachableException(settings.endpoint(), settings.cacheDir(), type, repoId, what,
                settings.offline(), settings.offline() ? null : unreachable, cause);
    }

    // ------------------------------------------------------------------ listings

    /** Every file of repo@revision (repo paths, sorted). */
    public List<String> listFiles(RepoType type, String repoId, String revision) {
        return repoInfo(type, repoId, revision).files();
    }

    /**
     * {@code GET /api/{models|datasets}/{repo}/revision/{rev}}: the commit and its files. Offline or
     * unreachable, the cached snapshot of the revision stands in (it lists only what was downloaded).
     */
    public RepoInfo repoInfo(RepoType type, String repoId, String revision) {
        HubCache.checkRepoId(repoId);
        HubCache.checkRelative("revision", revision);
        if (settings.offline() || unreachable != null) return cachedInfo(type, repoId, revision, null);
        URI url = endpoint.resolve("api/" + type.plural() + "/" + repoId + "/revision/" + encode(revision, false));
        try {
            return parseInfo(url, getJson(url));
        } catch (IOException e) {
            unreachable = HubErrors.networkReason(e, url);
            return cachedInfo(type, repoId, revision, e);
        } catch (HubErrors.HttpFailure f) {
            if (f.status != 404) {
                Optional<String> commit = cache.commitFor(type, repoId, revision);
                if (commit.isPresent() && !cache.listSnapshot(type, repoId, commit.get()).isEmpty()) {
                    return cachedInfo(type, repoId, revision, null);
                }
            }
            throw HubErrors.userError(f, settings, type, repoId, revision, null);
        }
    }

    private RepoInfo cachedInfo(RepoType type, String repoId, String revision, Throwable cause) {
        Optional<String> commit = cache.commitFor(type, repoId, revision);
        List<String> files = commit.map(c -> cache.listSnapshot(type, repoId, c)).orElse(List.of());
        if (files.isEmpty()) throw unreachableError(type, repoId, List.of("file list of revision " + revision), cause);
        return new RepoInfo(commit.get(), files);
    }

    /** Files of one commit of a repo: {@code dir} is {@code snapshots/{commit}}. */
    public record Snapshot(String commit, Path dir, List<Path> files) {
    }

    /**
     * Like huggingface_hub's {@code snapshot_download(allow_patterns=...)}: lists repo@revision, records
     * refs/{revision}, and downloads the files {@code include} accepts at that exact commit. Offline,
     * the matching files of the cached snapshot. The files come in the listing's (sorted) order.
     */
    public Snapshot snapshot(RepoType type, String repoId, String revision, Predicate<String> include) {
        return snapshotSelect(type, repoId, revision, files -> files.stream().filter(include).toList());
    }

    /** {@link #snapshot(RepoType, String, String, Predicate)} where the choice needs the whole listing. */
    public Snapshot snapshotSelect(RepoType type, String repoId, String revision,
                                   Function<List<String>, List<String>> choose) {
        RepoInfo info = repoInfo(type, repoId, revision);
        List<String> wanted = choose.apply(info.files());
        if (!settings.offline() && unreachable == null) cache.writeRef(type, repoId, revision, info.sha());
        List<Path> out = new ArrayList<>(wanted.size());
        for (String f : wanted) out.add(download(type, repoId, info.sha(), f));
        return new Snapshot(info.sha(), cache.snapshot(type, repoId, info.sha()), List.copyOf(out));
    }

    // ------------------------------------------------------------------ HTTP

    URI resolveUrl(RepoType type, String repoId, String revision, String filename) {
        return endpoint.resolve(type.urlPrefix() + repoId + "/resolve/" + encode(revision, false) + "/" + encode(filename, true));
    }

    private FileMetadata head(URI url) throws IOException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest req = request(current, opts.metadataTimeout(), sendsToken(current))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<Void> r = send(req, HttpResponse.BodyHandlers.discarding());
            int s = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (s >= 300 && s < 400 && location.isPresent()) {
                URI target = resolveRedirect(current, location.get());
                // On the hub (a renamed repo): follow. Elsewhere (the LFS CDN): the metadata is on this
                // very response, and the GET will go straight to the target.
                if (sameHost(current, target) || isHubHost(target)) {
                    current = target;
                    continue;
                }
                return FileMetadata.parse(url, r.headers(), target, true);
            }
            if (s >= 300) throw new HubErrors.HttpFailure(current, s, r.headers());
            return FileMetadata.parse(url, r.headers(), current, false);
        }
        throw new NeuroscanException("too many redirects resolving " + url);
    }

    private JsonNode getJson(URI url) throws IOException {
        HttpRequest req = request(url, opts.metadataTimeout(), sendsToken(url)).GET().build();
        HttpResponse<InputStream> r = send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) throw new HubErrors.HttpFailure(url, r.statusCode(), r.headers());
            byte[] body = in.readNBytes(MAX_JSON_BYTES + 1);
            if (body.length > MAX_JSON_BYTES) throw new NeuroscanException(url + ": answer larger than " + MAX_JSON_BYTES + " bytes");
            try {
                return new ObjectMapper().readTree(body);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new NeuroscanException(url + ": not JSON (" + e.getOriginalMessage() + "); check HF_ENDPOINT");
            }
        }
    }

    private static RepoInfo parseInfo(URI url, JsonNode json) {
        String sha = json.path("sha").asText("");
        if (!HubCache.isCommit(sha)) throw new NeuroscanException(url + ": answer has no commit sha; check HF_ENDPOINT");
        List<String> files = new ArrayList<>();
        for (JsonNode s : json.path("siblings")) {
            String f = s.path("rfilename").asText("");
            try {
                HubCache.checkRelative("file name", f);
                files.add(f);
            } catch (NeuroscanException e) {
                // a name that cannot be a path under the snapshot folder is never downloadable: leave it out
            }
        }
        files.sort(null);
        return new RepoInfo(sha, List.copyOf(files));
    }

    HttpRequest.Builder request(URI url, Duration timeout, boolean withToken) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout)
                .header("User-Agent", userAgent)
                .header("Accept-Encoding", "identity"); // sizes must be the file's, not a compressed body's
        if (withToken && settings.token() != null) b.header("Authorization", "Bearer " + settings.token());
        return b;
    }

    <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NeuroscanException("interrupted while talking to " + req.uri().getHost());
        } catch (IllegalArgumentException e) { // a header the JDK refuses, e.g. a token with a newline
            throw new NeuroscanException("cannot send request to " + req.uri() + ": " + e.getMessage());
        }
    }

    Options options() {
        return opts;
    }

    /** The token goes to the hub only, never to the CDN a file redirects to (its URL is signed). */
    boolean sendsToken(URI url) {
        return sameHost(endpoint, url) || isHubHost(url);
    }

    static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost());
    }

    private static boolean isHubHost(URI u) {
        return u.getHost() != null && HUB_HOSTS.contains(u.getHost().toLowerCase(Locale.ROOT));
    }

    static URI resolveRedirect(URI from, String location) {
        try {
            return from.resolve(URI.create(location.strip()));
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(from + ": redirect to an invalid URL: " + location);
        }
    }

    /** Python's {@code quote}: keep unreserved characters (and '/' in file paths), percent-encode the rest. */
    static String encode(String s, boolean keepSlash) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || (keepSlash && c == '/')) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    private static String lastSegment(String filename) {
        return filename.substring(filename.lastIndexOf('/') + 1);
    }
}
