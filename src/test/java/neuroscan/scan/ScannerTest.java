package neuroscan.scan;

import neuroscan.data.Document;
import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.model.Weights;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

import static neuroscan.scan.ScanFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

class ScannerTest {
    static Weights weights;
    static List<String> texts;

    @TempDir
    Path tmp;

    @BeforeAll
    static void setUp() {
        weights = model(42);
        texts = corpus(5, 70);
        assertTrue(texts.stream().anyMatch(String::isEmpty), "corpus has empty documents");
        assertTrue(texts.stream().anyMatch(t -> t.split(" ").length >= N_CTX), "corpus has documents longer than n_ctx");
        assertTrue(texts.stream().distinct().count() < texts.size(), "corpus has duplicate documents (exact ties)");
    }

    /** Small windows and batches so a 70-document scan crosses many of each. */
    ScanOptions opts(String dir) {
        return ScanOptions.defaults(tmp.resolve(dir), N_CTX).withTopK(5).withWindowDocs(8).withBatch(60, 5)
                .withCheckpointEvery(16).withThreads(2).withQuiet(true);
    }

    Manifest scan(ScanOptions o) {
        return scan(new ReferenceEngine(weights), o, texts);
    }

    static Manifest scan(Engine e, ScanOptions o, List<String> docs) {
        return new Scanner(e, o, ScanListener.NONE).scan(SOURCES, documents(docs), ScanFixtures::tokenize);
    }

    static byte[] bytes(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    @Test
    void storeEqualsBruteForce() throws IOException {
        Manifest m = scan(opts("run"));
        StoreFile s = StoreFile.read(tmp.resolve("run").resolve(StoreFile.NAME));
        assertEquals(bruteForce(weights, texts, 0, texts.size(), 5, false), s.topK());
        assertEquals(new DocRange(0, texts.size()), s.docs());
        assertTrue(m.complete());
        assertTrue(m.datasetExhausted());
        assertEquals(texts.size(), m.nDocs());
        assertEquals(0, m.docStart());
        assertEquals(texts.size(), m.docEnd());
        long tokens = texts.stream().mapToLong(t -> tokenize(t).length).sum();
        assertEquals(tokens, m.nTokens());
        assertEquals(m, Manifest.read(tmp.resolve("run")));
        assertFalse(Files.exists(tmp.resolve("run").resolve(Checkpoint.DIR)), "checkpoint folder removed when done");

        TokenCache cache = TokenCache.open(tmp.resolve("run").resolve(TokenCache.NAME));
        assertEquals(new DocRange(0, texts.size()), cache.docs());
        for (int i = 0; i < texts.size(); i++) assertArrayEquals(tokenize(texts.get(i)), cache.doc(i), "doc " + i);
    }

    @Test
    void statsEqualBruteForceWithAndWithoutPadding() {
        scan(opts("stats"));
        var got = StoreFile.read(tmp.resolve("stats").resolve(StoreFile.NAME)).stats();
        assertNotNull(got, "a scan stores its statistics");
        var want = bruteForceStats(weights, texts, 0, texts.size(), false);
        assertEquals(want, got);
        long tokens = texts.stream().mapToLong(t -> tokenize(t).length).sum();
        assertEquals(tokens, got.tokens());
        int firing = 0, binsUsed = 0;
        for (int n = 0; n < D_MLP; n++) {
            if (got.positive(n) > 0 && got.positive(n) < tokens) firing++;
            for (long c : got.histogram(n)) if (c > 0) binsUsed++;
        }
        assertTrue(firing > D_MLP / 2, "densities strictly between 0 and 1: " + firing);
        assertTrue(binsUsed > 2 * D_MLP, "maxima spread over several bins: " + binsUsed);

        scan(opts("stats-pad").withPadding(true, PAD));
        var padded = StoreFile.read(tmp.resolve("stats-pad").resolve(StoreFile.NAME)).stats();
        assertEquals(bruteForceStats(weights, texts, 0, texts.size(), true), padded);
        assertEquals((long) N_CTX * texts.size(), padded.tokens(), "with padding every document scans n_ctx positions");
    }

    @Test
    void cpuEngineStatsEqualBruteForceOverItsOwnActivations() {
        try (var cpu = new neuroscan.engine.cpu.CpuEngine(weights, 2)) {
            scan(cpu, opts("cpu-stats"), texts);
            var got = StoreFile.read(tmp.resolve("cpu-stats").resolve(StoreFile.NAME)).stats();
            // hookPost is bitwise what the fused path folds, so the oracle over it is exact
            assertEquals(bruteForceStats(cpu::hookPost, texts, 0, texts.size(), false), got);
            var ref = bruteForceStats(weights, texts, 0, texts.size(), false);
            for (int n = 0; n < D_MLP; n++) assertEquals(ref.positive(n), got.positive(n), Math.max(2, ref.positive(n) / 1000), "density of neuron " + n);
        }
    }

    @Test
    void kLargerThanTheNumberOfDocuments() {
        List<String> few = texts.subList(0, 4);
        scan(new ReferenceEngine(weights), opts("few").withTopK(9), few);
        TopK t = StoreFile.read(tmp.resolve("few").resolve(StoreFile.NAME)).topK();
        assertEquals(bruteForce(weights, few, 0, 4, 9, false), t);
        assertEquals(-1, t.doc(4, 0));
        assertEquals(Float.NEGATIVE_INFINITY, t.max(8, D_MLP - 1));
    }

    @Test
    void includePaddingTakesTheMaxOverPadPositionsToo() {
        Manifest m = scan(opts("pad").withPadding(true, PAD));
        TopK padded = StoreFile.read(tmp.resolve("pad").resolve(StoreFile.NAME)).topK();
        assertEquals(bruteForce(weights, texts, 0, texts.size(), 5, true), padded);
        assertNotEquals(bruteForce(weights, texts, 0, texts.size(), 5, false), padded, "padding changes the answer");
        assertEquals(PAD, m.padToken());
        assertTrue(m.includePadding());
        // the token cache never holds padding
        assertArrayEquals(tokenize(texts.get(3)), TokenCache.open(tmp.resolve("pad").resolve(TokenCache.NAME)).doc(3));
    }

    @Test
    void docRangeKeepsGlobalIndicesAndMaxDocsCuts() {
        Manifest m = scan(opts("range").withRange(DocRange.parse("10:").limit(25)));
        StoreFile s = StoreFile.read(tmp.resolve("range").resolve(StoreFile.NAME));
        assertEquals(bruteForce(weights, texts, 10, 35, 5, false), s.topK());
        assertEquals(new DocRange(10, 35), s.docs());
        assertFalse(m.datasetExhausted());
        assertEquals(25, m.nDocs());
        assertEquals(new DocRange(10, 35), TokenCache.open(tmp.resolve("range").resolve(TokenCache.NAME)).docs());

        Manifest tail = scan(opts("tail").withRange(DocRange.parse("60:100")));
        assertTrue(tail.datasetExhausted());
        assertEquals(60, tail.docStart());
        assertEquals(texts.size(), tail.docEnd());
        assertTrue(tail.matches(new Manifest.Request(SOURCES, 5, false, DocRange.parse("60:"))));
        assertTrue(tail.matches(new Manifest.Request(SOURCES, 5, false, DocRange.parse("60:70"))));
        assertFalse(tail.matches(new Manifest.Request(SOURCES, 5, false, DocRange.parse("60:69"))));

        Manifest none = scan(opts("none").withRange(DocRange.parse("500:")));
        assertEquals(0, none.nDocs());
        assertEquals(-1, StoreFile.read(tmp.resolve("none").resolve(StoreFile.NAME)).topK().doc(0, 0));
    }

    @Test
    void storeBytesIndependentOfWindowsBatchesThreadsAndCheckpoints() throws IOException {
        scan(opts("a"));
        scan(opts("b").withWindowDocs(1).withBatch(1000, 64).withThreads(1).withCheckpointEvery(1));
        scan(opts("c").withWindowDocs(1000).withBatch(24, 1).withThreads(3).withCheckpointEvery(100_000));
        assertNotNull(StoreFile.read(tmp.resolve("a/store.safetensors")).stats(), "the bytes compared include the statistics");
        for (String other : new String[]{"b", "c"}) {
            assertArrayEquals(bytes(tmp.resolve("a/store.safetensors")), bytes(tmp.resolve(other + "/store.safetensors")), other);
            assertArrayEquals(bytes(tmp.resolve("a/tokens.safetensors")), bytes(tmp.resolve(other + "/tokens.safetensors")), other);
        }
    }

    @Test
    void rescanFromAnotherRunsTokenCacheSkipsTokenizing() throws IOException {
        scan(opts("first"));
        scan(opts("k3").withTopK(3));
        Scanner s = new Scanner(new ReferenceEngine(weights), opts("k3cached").withTopK(3), ScanListener.NONE);
        Manifest m = s.scan(SOURCES, tmp.resolve("first"));
        assertTrue(m.datasetExhausted());
        assertArrayEquals(bytes(tmp.resolve("k3/store.safetensors")), bytes(tmp.resolve("k3cached/store.safetensors")));
        assertArrayEquals(bytes(tmp.resolve("k3/tokens.safetensors")), bytes(tmp.resolve("k3cached/tokens.safetensors")));

        Scanner sub = new Scanner(new ReferenceEngine(weights), opts("sub").withRange(DocRange.parse("5:20")), ScanListener.NONE);
        sub.scan(SOURCES, tmp.resolve("first"));
        assertEquals(bruteForce(weights, texts, 5, 20, 5, false), StoreFile.read(tmp.resolve("sub/store.safetensors")).topK());

        Manifest.Sources otherTok = new Manifest.Sources(SOURCES.model(), new Manifest.Artifact("other-tok", "r", "ff"), SOURCES.dataset());
        var e = assertThrows(NeuroscanException.class, () -> new Scanner(new ReferenceEngine(weights), opts("x"), ScanListener.NONE)
                .scan(otherTok, tmp.resolve("first")));
        assertTrue(e.getMessage().contains("cannot reuse its tokens: its tokenizer is tiny-tok"), e.getMessage());
    }

    @Test
    void engineFailureThenResumeIsByteIdentical() throws IOException {
        scan(opts("ref"));
        Engine failing = slowed(new ReferenceEngine(weights), 0, 9);
        assertThrows(IllegalStateException.class, () -> scan(failing, opts("crash"), texts));
        Manifest partial = Manifest.read(tmp.resolve("crash"));
        assertFalse(partial.complete());
        assertTrue(Files.exists(tmp.resolve("crash/checkpoint/state.safetensors")), "a checkpoint was taken before the failure");
        StoreFile state = StoreFile.read(tmp.resolve("crash/checkpoint/state.safetensors"));
        assertEquals(bruteForceStats(weights, texts, 0, state.docs().end(), false), state.stats(), "the checkpoint holds the statistics so far");

        var again = assertThrows(NeuroscanException.class, () -> scan(opts("crash")));
        assertTrue(again.getMessage().endsWith("holds an unfinished scan; pass --resume to continue it, or choose another --out"), again.getMessage());
        var otherK = assertThrows(NeuroscanException.class, () -> scan(opts("crash").withTopK(6).withResume(true)));
        assertTrue(otherK.getMessage().contains("cannot resume: it holds a different scan (top_k is 5, requested 6)"), otherK.getMessage());

        List<Long> started = new ArrayList<>();
        Manifest m = new Scanner(new ReferenceEngine(weights), opts("crash").withResume(true), new ScanListener() {
            @Override
            public void started(long docsDone, long tokensDone, long docsTotal) {
                started.add(docsDone);
            }
        }).scan(SOURCES, documents(texts), ScanFixtures::tokenize);
        assertTrue(started.getFirst() > 0, "resumed from the checkpoint, not from scratch");
        assertEquals(2, m.timings().sessions());
        assertEquals(texts.size(), m.nDocs());
        assertArrayEquals(bytes(tmp.resolve("ref/store.safetensors")), bytes(tmp.resolve("crash/store.safetensors")));
        assertArrayEquals(bytes(tmp.resolve("ref/tokens.safetensors")), bytes(tmp.resolve("crash/tokens.safetensors")));
        assertEquals(Manifest.read(tmp.resolve("ref")).nTokens(), m.nTokens());

        // a finished run: --resume returns it untouched; without --resume it is refused
        assertEquals(m, scan(opts("crash").withResume(true)));
        var done = assertThrows(NeuroscanException.class, () -> scan(opts("crash")));
        assertTrue(done.getMessage().endsWith("already holds a finished run; choose another --out"), done.getMessage());
    }

    @Test
    void failedFinalWriteKeepsCheckpointAndResumes() throws IOException {
        scan(opts("ref"));
        Path out = tmp.resolve("blocked");
        // a non-empty directory where the store goes: the final rename fails (even for root)
        Files.createDirectories(out.resolve(StoreFile.NAME).resolve("x"));
        var e = assertThrows(NeuroscanException.class, () -> scan(opts("blocked")));
        assertTrue(e.getMessage().startsWith("cannot write " + out.resolve(StoreFile.NAME)), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Manifest.read(out).complete());
        assertTrue(Files.exists(out.resolve("checkpoint/state.safetensors")));
        Files.delete(out.resolve(StoreFile.NAME).resolve("x"));
        Files.delete(out.resolve(StoreFile.NAME));
        scan(opts("blocked").withResume(true));
        assertArrayEquals(bytes(tmp.resolve("ref/store.safetensors")), bytes(out.resolve(StoreFile.NAME)));
        try (var files = Files.list(out)) {
            assertEquals(List.of(".lock", "manifest.json", "store.safetensors", "tokens.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temp files or checkpoint left");
        }
    }

    @Test
    void aSecondScanIntoALockedRunDirectoryIsRefusedNamingTheHolder() throws IOException {
        Path out = tmp.resolve("locked");
        Files.createDirectories(out);
        // another process's lock, as the OS sees it: a lock on .lock held through another channel, its pid inside
        Files.writeString(out.resolve(RunLock.NAME), "4242\n");
        try (var ch = java.nio.channels.FileChannel.open(out.resolve(RunLock.NAME), java.nio.file.StandardOpenOption.WRITE);
             var held = ch.lock()) {
            var e = assertThrows(NeuroscanException.class, () -> scan(opts("locked")));
            assertEquals(out + ": another scan or merge (pid 4242) is writing this run directory; wait for it to finish or choose another --out",
                    e.getMessage());
            assertFalse(Manifest.exists(out), "the refused scan wrote nothing");
            assertFalse(Files.exists(out.resolve("checkpoint")));
        }
        // a scan of this process holding the directory
        try (RunLock mine = RunLock.acquire(out)) {
            var e = assertThrows(NeuroscanException.class, () -> scan(opts("locked")));
            assertTrue(e.getMessage().contains("(pid " + ProcessHandle.current().pid() + ", this process)"), e.getMessage());
            assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(out.resolve(RunLock.NAME)));
        }
        // released on exit: the scan runs, and a second one afterwards finds the finished run
        assertTrue(scan(opts("locked")).complete());
        assertTrue(scan(opts("locked").withResume(true)).complete());
    }

    @Test
    void unwritableOutDirIsAClearError() throws IOException {
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        var e = assertThrows(NeuroscanException.class, () -> scan(opts("afile")));
        assertEquals(file + ": exists and is not a directory", e.getMessage());
        var e2 = assertThrows(NeuroscanException.class, () -> scan(opts("afile/run")));
        assertTrue(e2.getMessage().startsWith(file.resolve("run") + ": "), e2.getMessage());
        assertEquals("x", Files.readString(file), "nothing clobbered");
    }

    @Test
    void tokenizerFailureSurfacesWithoutHanging() {
        Function<String, int[]> bad = t -> t.isEmpty() ? new int[0] : tokenize(t);
        var s = new Scanner(new ReferenceEngine(weights), opts("badtok"), ScanListener.NONE);
        var e = assertThrows(NeuroscanException.class, () -> s.scan(SOURCES, documents(texts), bad));
        assertTrue(e.getMessage().matches("document \\d+: the tokenizer returned no tokens \\(expected BOS first\\)"), e.getMessage());

        Iterator<Document> gap = List.of(new Document(0, "a"), new Document(2, "b")).iterator();
        var s2 = new Scanner(new ReferenceEngine(weights), opts("gap"), ScanListener.NONE);
        assertThrows(IllegalStateException.class, () -> s2.scan(SOURCES, gap, ScanFixtures::tokenize));
    }

    @Test
    void listenerSeesProgressAndCheckpoints() {
        List<long[]> progress = new ArrayList<>();
        List<Integer> checkpoints = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        new Scanner(new ReferenceEngine(weights), opts("listen").withQuiet(false), new ScanListener() {
            @Override
            public void progress(long docsDone, long tokensDone) {
                progress.add(new long[]{docsDone, tokensDone});
            }

            @Override
            public void checkpointed(long docsDone, int nextDoc) {
                checkpoints.add(nextDoc);
            }

            @Override
            public void note(String message) {
                notes.add(message);
            }
        }).scan(SOURCES, documents(texts), ScanFixtures::tokenize);
        assertEquals(texts.size(), progress.getLast()[0]);
        for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i)[0] > progress.get(i - 1)[0]);
        assertEquals(List.of(16, 32, 48, 64), checkpoints);   // windows of 8, every 16 documents
        assertTrue(notes.getLast().startsWith("scanned 70 documents"), notes.toString());
    }
}
