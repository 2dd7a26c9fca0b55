package neuroscan.store;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.model.Weights;
import neuroscan.scan.DeviceMergingEngine;
import neuroscan.scan.ScanFixtures;
import neuroscan.scan.ScanListener;
import neuroscan.scan.ScanOptions;
import neuroscan.scan.Scanner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Shards scanned separately and merged are byte-identical to one scan of their union. */
class MergeTest {
    static Weights weights;
    static List<String> texts;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void scans() {
        weights = ScanFixtures.model(8);
        texts = ScanFixtures.corpus(9, 50);
        scan("whole", "0:", 4, false, ScanFixtures.SOURCES);
        scan("a", "0:13", 4, false, ScanFixtures.SOURCES);     // cut off window boundaries on purpose
        scan("b", "13:30", 4, false, ScanFixtures.SOURCES);
        scan("c", "30:", 4, false, ScanFixtures.SOURCES);
        scan("c-device", "30:", 4, false, ScanFixtures.SOURCES, new DeviceMergingEngine(new ReferenceEngine(weights)));
        scan("k5", "30:", 5, false, ScanFixtures.SOURCES);
        scan("pad", "30:", 4, true, ScanFixtures.SOURCES);
        scan("b-again", "20:30", 4, false, ScanFixtures.SOURCES);
        scan("d", "31:", 4, false, ScanFixtures.SOURCES);
        var otherModel = new Manifest.Sources(new Manifest.Artifact("other", "r", "0123"), ScanFixtures.SOURCES.tokenizer(),
                ScanFixtures.SOURCES.dataset());
        scan("other", "30:", 4, false, otherModel);
    }

    static void scan(String dir, String range, int k, boolean padding, Manifest.Sources src) {
        scan(dir, range, k, padding, src, new ReferenceEngine(weights));
    }

    static void scan(String dir, String range, int k, boolean padding, Manifest.Sources src, Engine engine) {
        ScanOptions o = ScanOptions.defaults(tmp.resolve(dir), ScanFixtures.N_CTX).withTopK(k).withRange(DocRange.parse(range))
                .withPadding(padding, ScanFixtures.PAD).withWindowDocs(8).withBatch(48, 4).withThreads(2).withQuiet(true);
        new Scanner(engine, o, ScanListener.NONE).scan(src, ScanFixtures.documents(texts), ScanFixtures::tokenize);
    }

    static byte[] bytes(String dir, String file) throws IOException {
        return Files.readAllBytes(tmp.resolve(dir).resolve(file));
    }

    @Test
    void shardsMergeByteIdenticalToOneScan() throws IOException {
        Manifest m = Merge.merge(List.of(tmp.resolve("c"), tmp.resolve("a"), tmp.resolve("b")), tmp.resolve("merged"));
        assertArrayEquals(bytes("whole", StoreFile.NAME), bytes("merged", StoreFile.NAME));
        assertArrayEquals(bytes("whole", TokenCache.NAME), bytes("merged", TokenCache.NAME));
        assertEquals(ScanFixtures.bruteForce(weights, texts, 0, 50, 4, false),
                StoreFile.read(tmp.resolve("merged").resolve(StoreFile.NAME)).topK());
        assertEquals(ScanFixtures.bruteForceStats(weights, texts, 0, 50, false),
                StoreFile.read(tmp.resolve("merged").resolve(StoreFile.NAME)).stats(), "the shards' statistics add up to the union's");
        Manifest whole = Manifest.read(tmp.resolve("whole"));
        assertEquals(whole.docs(), m.docs());
        assertEquals(whole.nDocs(), m.nDocs());
        assertEquals(whole.nTokens(), m.nTokens());
        assertTrue(m.complete());
        assertTrue(m.datasetExhausted());
        assertEquals("0:", m.requestedRange());
        assertEquals(3, m.timings().sessions());
        assertTrue(m.matches(new Manifest.Request(ScanFixtures.SOURCES, 4, false, DocRange.ALL)), "reusable as the whole scan");
        assertEquals(m, Manifest.read(tmp.resolve("merged")));
        assertEquals("host", m.topkMerge());
        assertEquals("reference", m.backend());
    }

    @Test
    void topkMergeOfShardsThatDifferIsJoinedLikeBackend() throws IOException {
        assertEquals("device", Manifest.read(tmp.resolve("c-device")).topkMerge());
        assertArrayEquals(bytes("c", StoreFile.NAME), bytes("c-device", StoreFile.NAME));
        Manifest m = Merge.merge(List.of(tmp.resolve("c-device"), tmp.resolve("a"), tmp.resolve("b")), tmp.resolve("mixed"));
        assertEquals("host, device", m.topkMerge(), "in document order, each once");
        assertEquals("host, device", Manifest.read(tmp.resolve("mixed")).topkMerge());
        assertEquals("reference", m.backend());
        assertArrayEquals(bytes("whole", StoreFile.NAME), bytes("mixed", StoreFile.NAME));

        // a shard written before topk_merge existed counts as a host merge
        Path old = tmp.resolve("a-old");
        Files.createDirectories(old);
        for (String f : new String[]{StoreFile.NAME, TokenCache.NAME}) Files.copy(tmp.resolve("a").resolve(f), old.resolve(f));
        String json = Files.readString(tmp.resolve("a").resolve(Manifest.NAME));
        String stripped = json.replaceFirst("\n  \"topk_merge\" : \"host\",", "");
        assertNotEquals(json, stripped);
        Files.writeString(old.resolve(Manifest.NAME), stripped);
        Manifest fromOld = Merge.merge(List.of(old, tmp.resolve("b"), tmp.resolve("c")), tmp.resolve("from-old"));
        assertEquals("host", fromOld.topkMerge());
        assertArrayEquals(bytes("whole", StoreFile.NAME), bytes("from-old", StoreFile.NAME));
    }

    @Test
    void aShardWithoutStatisticsLeavesTheMergeWithoutThem() throws IOException {
        Path old = tmp.resolve("b-nostats");
        Files.createDirectories(old);
        for (String f : new String[]{TokenCache.NAME, Manifest.NAME}) Files.copy(tmp.resolve("b").resolve(f), old.resolve(f));
        StoreFile b = StoreFile.read(tmp.resolve("b").resolve(StoreFile.NAME));
        new StoreFile(b.topK(), b.docs(), b.includePadding()).write(old.resolve(StoreFile.NAME));   // as written before the statistics
        Merge.merge(List.of(tmp.resolve("a"), old, tmp.resolve("c")), tmp.resolve("merged-nostats"));
        StoreFile merged = StoreFile.read(tmp.resolve("merged-nostats").resolve(StoreFile.NAME));
        assertNull(merged.stats());
        assertEquals(StoreFile.read(tmp.resolve("whole").resolve(StoreFile.NAME)).topK(), merged.topK());
    }

    static String refusal(String out, String... runs) throws IOException {
        List<Path> paths = java.util.Arrays.stream(runs).map(tmp::resolve).toList();
        Path store = tmp.resolve(out).resolve(StoreFile.NAME);
        byte[] before = Files.exists(store) ? Files.readAllBytes(store) : null;
        var e = assertThrows(NeuroscanException.class, () -> Merge.merge(paths, tmp.resolve(out)));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        if (before == null) assertFalse(Files.exists(store), "nothing written");
        else assertArrayEquals(before, Files.readAllBytes(store), "existing store untouched");
        return e.getMessage();
    }

    @Test
    void refusesRunsThatAreNotShardsOfOneScan() throws IOException {
        Path b = tmp.resolve("b"), c = tmp.resolve("c");
        assertEquals(b + " and " + tmp.resolve("k5") + ": cannot merge: different top_k (4 vs 5)", refusal("x1", "b", "k5"));
        assertEquals(b + " and " + tmp.resolve("pad") + ": cannot merge: one includes padding and the other does not",
                refusal("x2", "b", "pad"));
        assertTrue(refusal("x3", "b", "other").startsWith(b + " and " + tmp.resolve("other") + ": cannot merge: different models (tiny-model@r1"));
        assertEquals(b + " (13:30) and " + tmp.resolve("b-again") + " (20:30) overlap at documents 20:30; merge needs disjoint ranges",
                refusal("x4", "a", "b", "b-again"));
        assertEquals(b + " (13:30) and " + tmp.resolve("d") + " (31:50) leave documents 30:31 unscanned; merge needs adjacent ranges",
                refusal("x5", "b", "d"));
        assertEquals(c + ": the output must be a new directory, not one of the runs", refusal("c", "b", "c"));
        assertEquals(tmp.resolve("whole") + ": already holds a run; choose another --out", refusal("whole", "a", "b"));
        assertEquals(tmp.resolve("nothing") + ": not a neuroscan run (no manifest.json)", refusal("x6", "a", "nothing"));
    }
}
