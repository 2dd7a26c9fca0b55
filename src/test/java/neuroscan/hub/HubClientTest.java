package neuroscan.hub;

import neuroscan.NeuroscanException;
import neuroscan.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static neuroscan.hub.FakeHub.commitId;
import static neuroscan.hub.FakeHub.files;
import static neuroscan.hub.FakeHub.lfs;
import static neuroscan.hub.FakeHub.random;
import static neuroscan.hub.FakeHub.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubClientTest {
    static final String REPO = "org/tiny-model";
    static final String C1 = commitId("c1");
    static final String CONFIG = "{\"d_model\": 4}\n";
    static final byte[] WEIGHTS = random(700_000, 1);

    @TempDir
    Path tmp;
    FakeHub fake;
    Path cache;

    @BeforeEach
    void start() throws IOException {
        fake = new FakeHub();
        cache = tmp.resolve("hub");
        fake.repo(RepoType.MODEL, REPO, false).commit(C1, "main",
                files("config.json", text(CONFIG), "weights/model.bin", lfs(WEIGHTS)));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    /** Settings the way a user sets them: through the variables, never the process environment. */
    HubClient client(Map<String, String> extraEnv) {
        var env = new java.util.HashMap<>(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint(),
                "HF_HOME", tmp.resolve("hfhome").toString()));
        env.putAll(extraEnv);
        return client(HubSettings.fromEnvironment(env, tmp));
    }

    HubClient client(HubSettings s) {
        return new HubClient(s, HubClient.Options.defaults().withProgress(Progress.Options.quiet())
                .withRetries(0, Duration.ZERO)
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    Path repoDir() {
        return cache.resolve("models--org--tiny-model");
    }

    long count(String server, String method) {
        return fake.requests().stream().filter(r -> r.server().equals(server) && r.method().equals(method)).count();
    }

    @Test
    void freshDownloadWritesThePythonCacheLayout() throws IOException {
        try (HubClient hub = client(Map.of())) {
            Path config = hub.download(RepoType.MODEL, REPO, "main", "config.json");
            Path weights = hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin");

            assertEquals(repoDir().resolve("snapshots").resolve(C1).resolve("config.json"), config);
            assertEquals(CONFIG, Files.readString(config));
            String gitSha = FakeHub.text(CONFIG).gitSha1();
            assertTrue(Files.isSymbolicLink(config));
            assertEquals(Path.of("../../blobs/" + gitSha), Files.readSymbolicLink(config));

            // nested name: one more ../ ; the blob is named by the LFS sha256
            String sha = FakeHub.lfs(WEIGHTS).sha256();
            assertEquals(Path.of("../../../blobs/" + sha), Files.readSymbolicLink(weights));
            assertArrayEquals(WEIGHTS, Files.readAllBytes(weights));
            assertArrayEquals(WEIGHTS, Files.readAllBytes(repoDir().resolve("blobs").resolve(sha)));

            // the branch is recorded as Python writes it: the bare commit, no newline
            assertEquals(C1, Files.readString(repoDir().resolve("refs/main")));
            assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha + ".incomplete")));

            // HEAD on the hub for each file; the LFS bytes come from the CDN it redirected to
            assertEquals(2, count("hub", "HEAD"));
            assertEquals(1, count("hub", "GET"));
            assertEquals(1, count("cdn", "GET"));
        }
    }

    @Test
    void pinnedCommitInCacheCostsNoRequest() {
        try (HubClient hub = client(Map.of())) {
            Path first = hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin");
            assertFalse(Files.exists(repoDir().resolve("refs")), "a commit revision writes no ref");
            fake.clearLog();
            Path again = hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin");
            assertEquals(first, again);
            assertEquals(List.of(), fake.requests());
        }
    }

    @Test
    void branchRevisionInCacheCostsOneHeadAndNoDownload() {
        try (HubClient hub = client(Map.of())) {
            hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin");
            fake.clearLog();
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin")));
            assertEquals(1, fake.requests().size());
            assertEquals("HEAD", fake.requests().getFirst().method());
        }
    }

    @Test
    void aBlobAlreadyCachedUnderAnotherCommitIsLinkedNotDownloaded() {
        String c2 = commitId("c2");
        fake.repo(RepoType.MODEL, REPO, false).commit(C1, null, files("weights/model.bin", lfs(WEIGHTS)))
                .commit(c2, "main", files("weights/model.bin", lfs(WEIGHTS)));
        try (HubClient hub = client(Map.of())) {
            hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin");
            fake.clearLog();
            Path p = hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin");
            assertEquals(repoDir().resolve("snapshots").resolve(c2).resolve("weights/model.bin"), p);
            assertArrayEquals(WEIGHTS, read(p));
            assertEquals(0, count("cdn", "GET"));
        }
    }

    @Test
    void offlineServesTheCacheWithoutAnyRequest() {
        Path online;
        try (HubClient hub = client(Map.of())) {
            online = hub.download(RepoType.MODEL, REPO, "main", "config.json");
        }
        fake.clearLog();
        try (HubClient hub = client(Map.of("HF_HUB_OFFLINE", "1"))) {
            assertEquals(online, hub.download(RepoType.MODEL, REPO, "main", "config.json"));
            assertEquals(online, hub.download(RepoType.MODEL, REPO, C1, "config.json"));
            assertEquals(List.of("config.json"), hub.listFiles(RepoType.MODEL, REPO, "main"));

            var e = assertThrows(HubUnreachableException.class,
                    () -> hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin"));
            assertTrue(e.offline());
            assertEquals("HF_HUB_OFFLINE is set and model org/tiny-model (weights/model.bin) is not in the cache " + cache
                    + "; unset HF_HUB_OFFLINE, or download it elsewhere and pass a local path", e.getMessage());
            assertTrue(hub.downloadOptional(RepoType.MODEL, REPO, "main", "weights/model.bin").isEmpty());
        }
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void missingFileRepoAndRevisionAreNamed() {
        try (HubClient hub = client(Map.of())) {
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "main", "nope.json"));
            assertEquals("not found on " + fake.endpoint() + ": model repo org/tiny-model / file nope.json / revision main"
                    + " (no such file at that revision)", e.getMessage());
            // remembered the way Python does, so optional files cost nothing next time at this commit
            assertTrue(Files.exists(repoDir().resolve(".no_exist").resolve(C1).resolve("nope.json")));
            fake.clearLog();
            assertTrue(hub.downloadOptional(RepoType.MODEL, REPO, C1, "nope.json").isEmpty());
            assertEquals(List.of(), fake.requests());

            e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, "org/absent", "main", "a.json"));
            assertTrue(e.getMessage().endsWith("model repo org/absent / file a.json / revision main (no such repo)"), e.getMessage());
            e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "v9", "config.json"));
            assertTrue(e.getMessage().endsWith("/ revision v9 (no such revision)"), e.getMessage());
        }
    }

    @Test
    void privateRepoNeedsTheToken() throws IOException {
        fake.repo(RepoType.MODEL, "org/secret", true).commit(C1, "main", files("w.bin", lfs(WEIGHTS), "config.json", text("{}")));
        try (HubClient hub = client(Map.of())) {
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, "org/secret", "main", "w.bin"));
            assertEquals("model repo org/secret requires authentication: set HF_TOKEN (or run `huggingface-cli login`)",
                    e.getMessage());
        }
        try (HubClient hub = client(Map.of("HF_TOKEN", "hf_wrong"))) {
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, "org/secret", "main", "w.bin"));
            assertTrue(e.getMessage().startsWith("access to model repo org/secret denied with the given token (HTTP 401)"), e.getMessage());
        }
        fake.clearLog();
        try (HubClient hub = client(Map.of("HF_TOKEN", FakeHub.TOKEN))) {
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, "org/secret", "main", "w.bin")));
            assertEquals(List.of("config.json", "w.bin"), hub.listFiles(RepoType.MODEL, "org/secret", "main"));
        }
        // the token goes to the hub, never to the CDN host the LFS file redirects to
        for (var r : fake.requests()) {
            if (r.server().equals("hub")) assertEquals("Bearer " + FakeHub.TOKEN, r.auth(), r.toString());
            else assertNull(r.auth(), r.toString());
        }
        // the token file under HF_HOME works too
        Files.createDirectories(tmp.resolve("hfhome"));
        Files.writeString(tmp.resolve("hfhome/token"), FakeHub.TOKEN + "\n");
        try (HubClient hub = client(Map.of())) {
            assertEquals(List.of("config.json", "w.bin"), hub.listFiles(RepoType.MODEL, "org/secret", "main"));
        }
    }

    @Test
    void interruptedDownloadResumesWithRangeOnTheNextRun() throws IOException {
        fake.cutAfter = 300_000;
        fake.cutsLeft.set(1);
        String sha = FakeHub.lfs(WEIGHTS).sha256();
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        try (HubClient hub = client(Map.of())) { // no retries: the first run fails
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin"));
            assertTrue(e.getMessage().startsWith("model org/tiny-model weights/model.bin: download interrupted after "), e.getMessage());
            assertTrue(e.getMessage().contains(" of 700.0 KB (") && e.getMessage().endsWith("); run again to resume"),
                    e.getMessage());
        }
        long kept = Files.size(part);
        assertTrue(kept > 0 && kept <= 300_000, "kept " + kept);
        assertFalse(Files.exists(repoDir().resolve("snapshots")));
        assertArrayEquals(Arrays.copyOf(WEIGHTS, (int) kept), Files.readAllBytes(part));

        fake.clearLog();
        try (HubClient hub = client(Map.of())) {
            Path p = hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin");
            assertArrayEquals(WEIGHTS, Files.readAllBytes(p));
        }
        var gets = fake.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertEquals(1, gets.size());
        assertEquals("bytes=" + kept + "-", gets.getFirst().range());
        assertFalse(Files.exists(part));
    }

    @Test
    void aCutConnectionIsResumedWithinTheSameRunWhenRetriesAreAllowed() throws IOException {
        fake.cutAfter = 200_000;
        fake.cutsLeft.set(2);
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint()), tmp);
        try (HubClient hub = new HubClient(s, HubClient.Options.defaults().withProgress(Progress.Options.quiet())
                .withRetries(3, Duration.ZERO))) {
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin")));
        }
        var ranges = fake.requests().stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Req::range).toList();
        assertEquals(3, ranges.size());
        assertNull(ranges.get(0));
        assertTrue(ranges.get(1).matches("bytes=\\d+-") && ranges.get(2).matches("bytes=\\d+-"), ranges.toString());
    }

    @Test
    void aStalledConnectionIsAbandonedAndResumed() throws IOException {
        fake.stallAfter = 100_000;
        fake.stallsLeft.set(1);
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint()), tmp);
        try (HubClient hub = new HubClient(s, HubClient.Options.defaults().withProgress(Progress.Options.quiet())
                .withRetries(2, Duration.ZERO).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofMillis(300)))) {
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin")));
        }
        var ranges = fake.requests().stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Req::range).toList();
        assertEquals(2, ranges.size(), ranges.toString());
        assertEquals("bytes=100000-", ranges.get(1));
    }

    @Test
    void aServerIgnoringRangeMakesTheDownloadStartOver() throws IOException {
        String sha = FakeHub.lfs(WEIGHTS).sha256();
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(WEIGHTS, 1234));
        fake.ignoreRange = true;
        try (HubClient hub = client(Map.of())) {
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin")));
        }
        assertEquals("bytes=1234-", fake.requests().stream().filter(r -> r.server().equals("cdn")).findFirst().orElseThrow().range());
    }

    @Test
    void aChecksumMismatchIsRefusedAndNothingIsCached() throws IOException {
        fake.corrupt = true;
        String sha = FakeHub.lfs(WEIGHTS).sha256();
        try (HubClient hub = client(Map.of())) {
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin"));
            assertTrue(e.getMessage().startsWith("model org/tiny-model weights/model.bin: checksum mismatch: expected sha256 "
                    + sha + ", got "), e.getMessage());
            assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha)));
            assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha + ".incomplete")));
            assertFalse(Files.exists(repoDir().resolve("snapshots").resolve(C1).resolve("weights/model.bin")));

            fake.corrupt = false; // the next attempt starts clean and succeeds
            assertArrayEquals(WEIGHTS, read(hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin")));
        }
    }

    @Test
    void hubErrorsFallBackToTheCacheElseOneLine() {
        try (HubClient hub = client(Map.of())) {
            hub.download(RepoType.MODEL, REPO, "main", "config.json");
            fake.hubDown = 503;
            assertEquals(CONFIG, str(hub.download(RepoType.MODEL, REPO, "main", "config.json")));
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin"));
            assertEquals("HTTP 503 from " + fake.endpoint() + "/org/tiny-model/resolve/main/weights/model.bin: the hub is down"
                    + " for maintenance", e.getMessage());
        }
    }

    @Test
    void bigFilesShowProgressSmallOnesDoNot() {
        var out = new java.io.StringWriter();
        var progress = new Progress.Options(Progress.Mode.LINES, out, System::nanoTime, Duration.ofHours(1), false);
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint()), tmp);
        try (HubClient hub = new HubClient(s, HubClient.Options.defaults().withProgress(progress).withProgressMinBytes(500_000))) {
            hub.download(RepoType.MODEL, REPO, "main", "config.json");
            assertEquals("", out.toString());
            hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin");
        }
        assertTrue(out.toString().matches("model\\.bin: 700\\.0 KB in \\d+\\.\\d s \\(.+/s\\)\n"), out.toString());
    }

    @Test
    void noNetworkGivesOneClearMessageAndServesWhatIsCached() throws IOException {
        try (HubClient hub = client(Map.of())) {
            hub.download(RepoType.MODEL, REPO, "main", "config.json");
        }
        String closed = "http://127.0.0.1:" + closedPort();
        try (HubClient hub = client(Map.of("HF_ENDPOINT", closed))) {
            // cached under the branch: served through refs/main
            assertEquals(CONFIG, Files.readString(hub.download(RepoType.MODEL, REPO, "main", "config.json")));
            var e = assertThrows(HubUnreachableException.class,
                    () -> hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin"));
            assertFalse(e.offline());
            assertEquals("cannot reach " + closed + " (connection refused) to fetch org/tiny-model (weights/model.bin);"
                    + " download it elsewhere and pass a local path", e.getMessage());
            assertEquals(List.of("config.json"), hub.listFiles(RepoType.MODEL, REPO, "main"));
        }
    }

    @Test
    void datasetRevisionsAreUrlEncodedAndRecordedAsNestedRefs() throws IOException {
        String conv = commitId("convert");
        fake.repo(RepoType.DATASET, "org/ds", false).commit(conv, "refs/convert/parquet",
                files("default/train/0000.parquet", lfs(random(1000, 2)), "default/train/0001.parquet", lfs(random(10, 3))));
        try (HubClient hub = client(Map.of())) {
            assertEquals(List.of("default/train/0000.parquet", "default/train/0001.parquet"),
                    hub.listFiles(RepoType.DATASET, "org/ds", "refs/convert/parquet"));
            var snap = hub.snapshot(RepoType.DATASET, "org/ds", "refs/convert/parquet", f -> f.endsWith("0001.parquet"));
            assertEquals(conv, snap.commit());
            assertEquals(List.of(cache.resolve("datasets--org--ds/snapshots/" + conv + "/default/train/0001.parquet")), snap.files());
        }
        assertEquals(conv, Files.readString(cache.resolve("datasets--org--ds/refs/refs/convert/parquet")));
        var paths = fake.requests().stream().filter(r -> r.server().equals("hub")).map(FakeHub.Req::rawPath).toList();
        assertTrue(paths.contains("/api/datasets/org/ds/revision/refs%2Fconvert%2Fparquet"), paths.toString());
        assertTrue(paths.contains("/datasets/org/ds/resolve/" + conv + "/default/train/0001.parquet"), paths.toString());

        fake.clearLog();
        try (HubClient hub = client(Map.of())) {
            hub.download(RepoType.DATASET, "org/ds", "refs/convert/parquet", "default/train/0000.parquet");
        }
        assertTrue(fake.requests().getFirst().rawPath().startsWith("/datasets/org/ds/resolve/refs%2Fconvert%2Fparquet/"));
    }

    @Test
    void namesThatCouldEscapeTheCacheAreRefusedBeforeAnyRequest() {
        try (HubClient hub = client(Map.of())) {
            for (String bad : List.of("../x", "a/../../b", "/etc/passwd", "a\\b", "")) {
                assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "main", bad), bad);
            }
            assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, REPO, "../main", "config.json"));
            var e = assertThrows(NeuroscanException.class, () -> hub.download(RepoType.MODEL, "org/../x", "main", "c"));
            assertTrue(e.getMessage().startsWith("invalid Hugging Face repo id 'org/../x'"), e.getMessage());
        }
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void urlsFollowHuggingfaceHub() {
        try (HubClient hub = client(Map.of())) {
            assertEquals(fake.endpoint() + "/org/m/resolve/main/a%20b/c.json",
                    hub.resolveUrl(RepoType.MODEL, "org/m", "main", "a b/c.json").toString());
            assertEquals(fake.endpoint() + "/datasets/org/d/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet",
                    hub.resolveUrl(RepoType.DATASET, "org/d", "refs/convert/parquet", "default/train/0000.parquet").toString());
        }
        assertEquals("abc", FileMetadata.normalizeEtag("W/\"abc\""));
        assertEquals("abc", FileMetadata.normalizeEtag("\"abc\""));
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static String str(Path p) {
        return new String(read(p), StandardCharsets.UTF_8);
    }
}
