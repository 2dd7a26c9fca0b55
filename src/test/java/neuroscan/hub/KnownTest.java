package neuroscan.hub;

import neuroscan.NeuroscanException;
import neuroscan.Progress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KnownTest {
    static final byte[] PTH = random(400_000, 7);
    static final byte[] SHARD0 = random(5000, 8);
    static final byte[] SHARD1 = random(3000, 9);

    @TempDir
    Path tmp;
    FakeHub fake;
    Path cache;

    @BeforeEach
    void start() throws IOException {
        fake = new FakeHub();
        cache = tmp.resolve("hub");
        // the real repos' layout, at their pinned commits, with small stand-in contents
        fake.repo(RepoType.MODEL, Known.GELU_1L.repoId(), false).commit(Known.GELU_1L.revision(), "main",
                files("config.json", text("{\"n_layers\": 1}"), "model_final.pth", lfs(PTH), "README.md", text("hi")));
        fake.repo(RepoType.MODEL, Known.GELU_1L.tokenizerRepo(), false).commit(Known.GELU_1L.tokenizerRevision(), "main",
                files("tokenizer.json", text("{\"model\": {}}"), "special_tokens_map.json", text("{}")));
        fake.repo(RepoType.DATASET, Known.C4_10K.repoId(), false).commit(commitId("c4"), "main",
                files("README.md", text("c4"), "data/train-00000-of-00002-aa.parquet", lfs(SHARD0),
                        "data/train-00001-of-00002-bb.parquet", lfs(SHARD1), "data/validation-00000-of-00001.parquet",
                        lfs(random(100, 10))));
    }

    @AfterEach
    void stop() {
        clients.forEach(HubClient::close);
        fake.close();
    }

    final List<HubClient> clients = new java.util.ArrayList<>();

    HubClient hub(String... extraEnv) {
        var env = new java.util.HashMap<>(Map.of("HF_HUB_CACHE", cache.toString(), "HF_ENDPOINT", fake.endpoint()));
        for (int i = 0; i < extraEnv.length; i += 2) env.put(extraEnv[i], extraEnv[i + 1]);
        HubClient c = new HubClient(HubSettings.fromEnvironment(env, tmp), HubClient.Options.defaults()
                .withProgress(Progress.Options.quiet()).withRetries(0, Duration.ZERO));
        clients.add(c);
        return c;
    }

    Known known(String... extraEnv) {
        return new Known(hub(extraEnv));
    }

    @Test
    void modelAliasFetchesThePinnedFilesOnceThenNeverAsksAgain() throws IOException {
        Path dir = known().resolveModelDir("gelu-1l");
        assertEquals(cache.resolve("models--NeelNanda--GELU_1L512W_C4_Code/snapshots/" + Known.GELU_1L.revision()), dir);
        assertArrayEquals(PTH, Files.readAllBytes(dir.resolve("model_final.pth")));
        assertFalse(Files.exists(dir.resolve("README.md")), "only the files neuroscan needs");

        fake.clearLog();
        assertEquals(dir, known().resolveModelDir("gelu-1l"));
        assertEquals(dir, known().resolveModelDir("NeelNanda/GELU_1L512W_C4_Code"), "the repo id maps to the pin");
        assertEquals(List.of(), fake.requests());

        var r = known().resolveModel("gelu-1l");
        assertEquals(Known.GELU_1L.revision(), r.commit());
        assertEquals(Known.GELU_1L.repoId(), r.repoId());
        assertFalse(r.local());
    }

    /** TransformerLens's names for the rest of the family: each its Neel repo, model_final.pth, gelu-1l's tokenizer. */
    @Test
    void theFamilyHasTransformerLensNames() throws IOException {
        Map<String, String> want = Map.of("gelu-2l", "NeelNanda/GELU_2L512W_C4_Code", "gelu-3l", "NeelNanda/GELU_3L512W_C4_Code",
                "gelu-4l", "NeelNanda/GELU_4L512W_C4_Code", "solu-1l", "NeelNanda/SoLU_1L512W_C4_Code",
                "solu-2l", "NeelNanda/SoLU_2L512W_C4_Code", "solu-3l", "NeelNanda/SoLU_3L512W_C4_Code",
                "solu-4l", "NeelNanda/SoLU_4L512W_C4_Code");
        want.forEach((alias, repo) -> {
            var m = Known.model(alias).orElseThrow();
            assertEquals(repo, m.repoId(), alias);
            assertEquals(List.of("config.json", "model_final.pth"), m.files());
            assertEquals(Known.GELU_1L.tokenizerRepo(), m.tokenizerRepo());
        });
        String commit = commitId("gelu2");
        fake.repo(RepoType.MODEL, "NeelNanda/GELU_2L512W_C4_Code", false).commit(commit, "main",
                files("config.json", text("{\"n_layers\": 2}"), "model_final.pth", lfs(PTH)));
        var r = known().resolveModel("gelu-2l");
        assertEquals(commit, r.commit(), "main, resolved to the commit the manifest records");
        assertArrayEquals(PTH, Files.readAllBytes(r.path().resolve("model_final.pth")));
    }

    @Test
    void tokenizerOptionalFilesMayBeAbsentAndTheirAbsenceIsRemembered() {
        Path dir = known().resolveTokenizerDir("gelu-1l");
        assertTrue(Files.exists(dir.resolve("tokenizer.json")));
        assertTrue(Files.exists(dir.resolve("special_tokens_map.json")));
        assertFalse(Files.exists(dir.resolve("tokenizer_config.json")));
        fake.clearLog();
        // config.json's tokenizer_name is the repo id: also pinned, also free once cached
        assertEquals(dir, known().resolveTokenizerDir("NeelNanda/gpt-neox-tokenizer-digits"));
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void datasetAliasGivesTheTrainShardsInOrderAndWorksOfflineAfterwards() {
        List<Path> files = known().resolveDatasetFiles("c4-10k");
        Path snap = cache.resolve("datasets--NeelNanda--c4-10k/snapshots/" + commitId("c4"));
        assertEquals(List.of(snap.resolve("data/train-00000-of-00002-aa.parquet"), snap.resolve("data/train-00001-of-00002-bb.parquet")),
                files);
        fake.clearLog();
        assertEquals(files, known("HF_HUB_OFFLINE", "1").resolveDatasetFiles("c4-10k"));
        assertEquals(files, known("HF_HUB_OFFLINE", "1").resolveDatasetFiles("NeelNanda/c4-10k"));
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void datasetWithoutParquetFallsBackToTheConvertedBranch() {
        String conv = commitId("conv");
        fake.repo(RepoType.DATASET, "org/jsonl-only", false).commit(commitId("j"), "main", files("data.jsonl", text("{}")))
                .commit(conv, "refs/convert/parquet", files("default/train/0000.parquet", lfs(SHARD0),
                        "default/train/0001.parquet", lfs(SHARD1), "default/test/0000.parquet", lfs(SHARD1),
                        "other/train/0000.parquet", lfs(SHARD1)));
        var r = known().resolveDataset("org/jsonl-only");
        assertEquals(Known.PARQUET_REVISION, r.revision());
        assertEquals(conv, r.commit());
        Path snap = cache.resolve("datasets--org--jsonl-only/snapshots/" + conv);
        assertEquals(List.of(snap.resolve("default/train/0000.parquet"), snap.resolve("default/train/0001.parquet")), r.files());

        fake.clearLog();
        assertEquals(r.files(), known("HF_HUB_OFFLINE", "1").resolveDatasetFiles("org/jsonl-only"));
        assertEquals(List.of(), fake.requests());

        // an explicit revision means exactly that revision
        var e = assertThrows(NeuroscanException.class, () -> known().resolveDatasetFiles("org/jsonl-only@main"));
        assertEquals("dataset org/jsonl-only has no parquet files for its train split at revision main", e.getMessage());
    }

    @Test
    void noNetworkNamesTheRepoTheFilesAndTheFlag() throws IOException {
        String closed = "http://127.0.0.1:" + HubClientTest.closedPort();
        var e = assertThrows(NeuroscanException.class, () -> known("HF_ENDPOINT", closed).resolveModelDir("gelu-1l"));
        assertEquals("cannot reach " + closed + " (connection refused) to fetch NeelNanda/GELU_1L512W_C4_Code"
                + " (config.json, model_final.pth); download them elsewhere and pass --model /path/to/dir", e.getMessage());

        e = assertThrows(NeuroscanException.class, () -> known("HF_ENDPOINT", closed).resolveDatasetFiles("c4-10k"));
        assertEquals("cannot reach " + closed + " (connection refused) to fetch NeelNanda/c4-10k (train split parquet files);"
                + " download them elsewhere and pass --dataset /path/to/file.parquet", e.getMessage());

        e = assertThrows(NeuroscanException.class, () -> known("HF_HUB_OFFLINE", "1").resolveTokenizerDir("gelu-1l"));
        assertEquals("HF_HUB_OFFLINE is set and model NeelNanda/gpt-neox-tokenizer-digits (tokenizer.json) is not in the cache "
                + cache + "; unset HF_HUB_OFFLINE, or download it elsewhere and pass --tokenizer /path/to/dir", e.getMessage());
    }

    @Test
    void aPartlyCachedModelNamesOnlyTheMissingFile() throws IOException {
        hub().download(RepoType.MODEL, Known.GELU_1L.repoId(), Known.GELU_1L.revision(), "config.json");
        String closed = "http://127.0.0.1:" + HubClientTest.closedPort();
        var e = assertThrows(NeuroscanException.class, () -> known("HF_ENDPOINT", closed).resolveModelDir("gelu-1l"));
        assertTrue(e.getMessage().contains("to fetch NeelNanda/GELU_1L512W_C4_Code (model_final.pth); download it elsewhere"),
                e.getMessage());
    }

    @Test
    void localPathsWinAndPathLookingNamesMustExist() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("my-model"));
        var r = known().resolveModel(dir.toString());
        assertTrue(r.local());
        assertEquals(dir, r.path());
        Path pq = Files.write(tmp.resolve("x.parquet"), new byte[]{1});
        assertEquals(List.of(pq), known().resolveDatasetFiles(pq.toString()));

        for (String s : List.of("/no/such/dir", "./rel", "~/nothing-here-neuroscan", "weights.pth", "runs/a/b")) {
            var e = assertThrows(NeuroscanException.class, () -> known().resolveModelDir(s), s);
            assertEquals("no such file: " + s, e.getMessage());
        }
        var e = assertThrows(NeuroscanException.class, () -> known().resolveModelDir("gelu1l"));
        assertEquals("unknown model 'gelu1l': not an alias (gelu-1l, gelu-2l, gelu-3l, gelu-4l, solu-1l, solu-2l, solu-3l, solu-4l), an existing path, or a Hugging Face repo id"
                + " org/name[@revision]", e.getMessage());
        assertEquals(List.of(), fake.requests());
    }

    @Test
    void genericModelRepoTakesConfigOneKindOfWeightsAndTokenizer() {
        fake.repo(RepoType.MODEL, "org/other", false).commit(commitId("o"), "main", files("config.json", text("{}"),
                "model.safetensors", lfs(SHARD0), "pytorch_model.bin", lfs(SHARD1), "tokenizer.json", text("{}"),
                "README.md", text("x")));
        var r = known().resolveModel("org/other@main");
        assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"),
                r.files().stream().map(p -> r.path().relativize(p).toString()).toList());
        assertEquals(commitId("o"), readRef("models--org--other"));
    }

    String readRef(String folder) {
        try {
            return Files.readString(cache.resolve(folder).resolve("refs/main"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void splitSelection() {
        assertEquals(List.of("data/train-00000-of-00002-a.parquet", "data/train-00001-of-00002-b.parquet"),
                Known.trainParquet(List.of("README.md", "data/train-00001-of-00002-b.parquet", "data/test-00000-of-00001.parquet",
                        "data/train-00000-of-00002-a.parquet")));
        assertEquals(List.of("a.parquet", "b.parquet"), Known.trainParquet(List.of("b.parquet", "a.parquet", "x.json")));
        assertEquals(List.of("train.parquet"), Known.trainParquet(List.of("train.parquet", "validation.parquet")));
        assertEquals(List.of("default/partial-train/0000.parquet"),
                Known.convertedTrainParquet(List.of("default/partial-train/0000.parquet", "default/test/0000.parquet")));
        assertEquals(List.of("en/train/0000.parquet"), Known.convertedTrainParquet(List.of("fr/train/0000.parquet", "en/train/0000.parquet")));
    }
}
