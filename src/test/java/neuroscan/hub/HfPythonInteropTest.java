package neuroscan.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static neuroscan.hub.FakeHub.commitId;
import static neuroscan.hub.FakeHub.files;
import static neuroscan.hub.FakeHub.lfs;
import static neuroscan.hub.FakeHub.random;
import static neuroscan.hub.FakeHub.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle is huggingface_hub itself: Python must read the cache we write (offline, through refs,
 * with scan_cache_dir finding nothing wrong), we must reuse what Python downloaded without a request,
 * and both must read the environment the same way. Skipped where Python lacks huggingface_hub
 * ({@code pip install huggingface_hub}; {@code NEUROSCAN_PYTHON} picks the interpreter).
 */
class HfPythonInteropTest {
    static final String REPO = "org/tiny-model";
    static final String C1 = commitId("c1");
    static final byte[] WEIGHTS = random(300_000, 11);
    static String python;

    @TempDir
    Path tmp;
    FakeHub fake;
    Path cache;

    static boolean pythonHasHub;

    @BeforeAll
    static void findPython() {
        python = System.getenv().getOrDefault("NEUROSCAN_PYTHON", "python3");
        try {
            Process p = new ProcessBuilder(python, "-c", "import huggingface_hub").redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            pythonHasHub = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            pythonHasHub = false;
        }
    }

    @BeforeEach
    void start() throws IOException {
        // per test, so each one is reported as skipped, with the reason
        Assumptions.assumeTrue(pythonHasHub, "huggingface_hub is not installed for " + python
                + " (pip install huggingface_hub, or set NEUROSCAN_PYTHON): skipping the Python interop check");
        fake = new FakeHub();
        cache = tmp.resolve("hub");
        fake.repo(RepoType.MODEL, REPO, false).commit(C1, "main",
                files("config.json", text("{\"a\": 1}"), "weights/model.bin", lfs(WEIGHTS)));
        fake.repo(RepoType.DATASET, "org/ds", false).commit(commitId("conv"), "refs/convert/parquet",
                files("default/train/0000.parquet", lfs(random(2000, 12))));
    }

    @AfterEach
    void stop() {
        if (fake != null) fake.close();
    }

    HubClient client(boolean offline) {
        return new HubClient(new HubSettings(fake.endpoint(), cache, null, offline),
                HubClient.Options.defaults().withProgress(Progress.Options.quiet()).withRetries(0, Duration.ZERO));
    }

    @Test
    void pythonReadsTheCacheWeWrite() throws Exception {
        Path cfg;
        Path w;
        try (HubClient hub = client(false)) {
            cfg = hub.download(RepoType.MODEL, REPO, "main", "config.json");
            w = hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin");
            hub.download(RepoType.DATASET, "org/ds", "refs/convert/parquet", "default/train/0000.parquet");
            hub.downloadOptional(RepoType.MODEL, REPO, "main", "absent.json");
        }
        fake.clearLog();
        JsonNode out = runPython("""
                import json, sys
                from huggingface_hub import hf_hub_download, scan_cache_dir, try_to_load_from_cache
                from huggingface_hub.file_download import _CACHED_NO_EXIST
                repo, commit = sys.argv[1], sys.argv[2]
                info = scan_cache_dir()
                print(json.dumps({
                    "cfg": hf_hub_download(repo, "config.json", revision="main"),
                    "w": hf_hub_download(repo, "weights/model.bin", revision="main"),
                    "pinned": hf_hub_download(repo, "weights/model.bin", revision=commit),
                    "ds": hf_hub_download("org/ds", "default/train/0000.parquet", repo_type="dataset",
                                          revision="refs/convert/parquet"),
                    "no_exist": try_to_load_from_cache(repo, "absent.json", revision="main") is _CACHED_NO_EXIST,
                    "warnings": [str(x) for x in info.warnings],
                    "repos": sorted([r.repo_type, r.repo_id, r.nb_files, sorted(r.refs)] for r in info.repos),
                }))
                """, Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"), REPO, C1);
        assertEquals(cfg.toString(), out.get("cfg").asText());
        assertEquals(w.toString(), out.get("w").asText());
        assertEquals(w.toString(), out.get("pinned").asText());
        assertEquals(cache.resolve("datasets--org--ds/snapshots/" + commitId("conv") + "/default/train/0000.parquet").toString(),
                out.get("ds").asText());
        assertTrue(out.get("no_exist").asBoolean());
        assertEquals("[]", out.get("warnings").toString());
        assertEquals("[[\"dataset\",\"org/ds\",1,[\"refs/convert/parquet\"]],[\"model\",\"org/tiny-model\",2,[\"main\"]]]",
                out.get("repos").toString());
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void weReuseWhatPythonDownloaded() throws Exception {
        JsonNode out = runPython("""
                import json, sys
                from huggingface_hub import hf_hub_download
                print(json.dumps({"w": hf_hub_download(sys.argv[1], "weights/model.bin", revision="main")}))
                """, Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint()), REPO);
        assertTrue(fake.requests().stream().anyMatch(r -> r.server().equals("cdn")), "Python fetched from the fake hub");
        fake.clearLog();
        try (HubClient hub = client(false)) {
            Path p = hub.download(RepoType.MODEL, REPO, C1, "weights/model.bin");
            assertEquals(out.get("w").asText(), p.toString());
            assertEquals(List.of(), fake.requests(), "pinned and cached: no request");
        }
        try (HubClient hub = client(true)) {
            assertEquals(out.get("w").asText(), hub.download(RepoType.MODEL, REPO, "main", "weights/model.bin").toString());
        }
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void environmentIsReadTheSameWay() throws Exception {
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve("hfh"));
        Files.writeString(home.resolve("hfh/token"), "hf_from_file\n");
        List<Map<String, String>> cases = List.of(
                Map.of(),
                Map.of("XDG_CACHE_HOME", tmp.resolve("xdg").toString(), "HF_TOKEN", " hf_a\n", "HF_HUB_OFFLINE", "yes"),
                Map.of("HF_HOME", "~/hfh", "HUGGINGFACE_HUB_CACHE", tmp.resolve("legacy").toString(),
                        "TRANSFORMERS_OFFLINE", "1", "HF_ENDPOINT", "https://mirror.example/"),
                Map.of("HF_HOME", "$SCR/h", "SCR", tmp.resolve("s").toString(), "HF_HUB_CACHE", tmp.resolve("new").toString(),
                        "HUGGINGFACE_HUB_CACHE", tmp.resolve("legacy").toString(), "HF_HUB_OFFLINE", "0",
                        "TRANSFORMERS_OFFLINE", "1"));
        for (Map<String, String> env : cases) {
            Map<String, String> withHome = new HashMap<>(env);
            withHome.put("HOME", home.toString());
            JsonNode py = runPython("""
                    import json
                    from huggingface_hub import constants, get_token
                    print(json.dumps({"cache": constants.HF_HUB_CACHE, "endpoint": constants.ENDPOINT,
                                      "offline": constants.HF_HUB_OFFLINE, "token": get_token()}))
                    """, withHome);
            HubSettings ours = HubSettings.fromEnvironment(withHome, home);
            assertEquals(py.get("cache").asText(), ours.cacheDir().toString(), env.toString());
            assertEquals(py.get("endpoint").asText(), ours.endpoint(), env.toString());
            assertEquals(py.get("offline").asBoolean(), ours.offline(), env.toString());
            assertEquals(py.get("token").isNull() ? null : py.get("token").asText(), ours.token(), env.toString());
        }
    }

    /** Runs a script with only the given HF variables set (and no way to reach anything but the fake hub). */
    private static JsonNode runPython(String script, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(python, "-c", script));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> e = pb.environment();
        e.keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGING") || k.startsWith("TRANSFORMERS_")
                || k.equals("XDG_CACHE_HOME"));
        e.put("HF_HUB_DISABLE_TELEMETRY", "1");
        e.put("HF_HUB_DISABLE_UPDATE_CHECK", "1");
        e.put("HF_HUB_DISABLE_XET", "1");
        e.putAll(env);
        Path outFile = Files.createTempFile("py", ".out");
        Path errFile = Files.createTempFile("py", ".err");
        try {
            Process p = pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("python did not finish in 60 s");
            }
            String out = Files.readString(outFile);
            assertEquals(0, p.exitValue(), () -> "python failed:\n" + readQuietly(errFile));
            return new ObjectMapper().readTree(out.strip().lines().reduce((a, b) -> b).orElse(""));
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(unreadable)";
        }
    }
}
