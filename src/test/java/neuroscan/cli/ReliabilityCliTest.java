package neuroscan.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad sizes, corrupt inputs and hostile strings: one line on stderr, never a stack trace or "internal error". */
class ReliabilityCliTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void model() throws Exception {
        model = CliFixtures.demoModel(tmp.resolve("model"));
    }

    static void assertOneLine(CliFixtures.Result r, String expected) {
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("neuroscan: "), r.err());
        assertFalse(r.err().contains("internal error"), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    static CliFixtures.Result scan(String out, String... more) {
        String[] base = {"scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(), "--max-docs", "20",
                "--out", tmp.resolve(out).toString(), "--quiet", "--backend", "cpu"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliFixtures.run(all);
    }

    @Test
    void anImpossibleTopKIsRefusedBeforeAnythingIsAllocated() {
        var r = scan("huge-k", "--top-k", "2000000000");
        assertOneLine(r, "--top-k 2000000000 is too large: the store of 64 neurons would need");
        assertTrue(r.err().contains("use --top-k "), r.err());
        assertFalse(Files.exists(tmp.resolve("huge-k").resolve("store.safetensors")));
    }

    @Test
    void absurdThreadCountsAreRefused() {
        var r = scan("many-threads", "--threads", "100000");
        assertOneLine(r, "--threads 100000 is far more than this machine's");
        assertTrue(r.err().contains("use at most " + EngineOptions.maxThreads()), r.err());
    }

    @Test
    void outOfMemoryIsOneLineNamingWhatToChange() {
        String line = Main.oneLine(new OutOfMemoryError("Java heap space"));
        assertTrue(line.startsWith("out of memory (Java heap space; Java may use "), line);
        assertTrue(line.contains("lower --top-k or --threads") && line.contains("-Xmx"), line);
    }

    @Test
    void untrustedStringsInErrorLinesAreEscaped() throws Exception {
        Path run = tmp.resolve("hostile");
        Files.createDirectories(run);
        String hostile = "\u001b]0;PWNED\u0007\u001b[2J\r\nneuroscan: fake line\u202e";
        Files.writeString(run.resolve("manifest.json"), new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("format", hostile).toString());
        var r = CliFixtures.run("show", "--run", run.toString(), "--neuron", "0");
        assertOneLine(r, "not a neuroscan run manifest (format \\u001b]0;PWNED\\u0007\\u001b[2J\\r\\nneuroscan: fake line\\u202e");
        for (char c : new char[]{'\u001b', '\u0007', '\r', '\u202e'}) assertEquals(-1, r.err().indexOf(c), "raw control " + (int) c);
    }

    @Test
    void printableLineEscapesControlsAndKeepsText() {
        assertEquals("a\\u001b[2Jb \\n \u00e9\u4e2d", Printable.line("a\u001b[2Jb \n \u00e9\u4e2d"));
    }

    @Test
    void aTokenizerJsonOfDeeplyNestedArraysIsOneLineNamingIt() throws Exception {
        Path bad = tmp.resolve("nested-tokenizer");
        Files.createDirectories(bad);
        try (var files = Files.list(model)) {
            for (Path f : files.toList()) Files.copy(f, bad.resolve(f.getFileName()));
        }
        Files.writeString(bad.resolve("tokenizer.json"), "[".repeat(100_000) + "]".repeat(100_000));
        var r = CliFixtures.run("scan", "--model", bad.toString(), "--dataset", CliFixtures.PARQUET.toString(), "--max-docs", "5",
                "--out", tmp.resolve("nested-out").toString(), "--quiet", "--backend", "cpu");
        assertOneLine(r, bad.resolve("tokenizer.json") + ": malformed JSON");
    }

    /** A finished run of documents [from, from + 20), copied fresh for each corruption. */
    static Path finishedRun(String name, int from) throws Exception {
        Path run = tmp.resolve(name);
        var r = CliFixtures.run("scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(),
                "--doc-range", from + ":" + (from + 20), "--top-k", "3", "--out", run.toString(), "--quiet", "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        return run;
    }

    static void rewriteStore(Path run, int doc, int pos) {
        var s = neuroscan.store.StoreFile.read(run.resolve(neuroscan.store.StoreFile.NAME));
        var t = s.topK();
        int[] d = t.copyOfDoc(), p = t.copyOfPos();
        d[0] = doc;
        p[0] = pos;
        new neuroscan.store.StoreFile(neuroscan.store.TopK.of(t.k(), t.neurons(), t.copyOfMax(), d, p), s.docs(), s.includePadding())
                .write(run.resolve(neuroscan.store.StoreFile.NAME));
    }

    @Test
    void aStoreNamingADocumentOutsideItsRangeIsOneLine() throws Exception {
        Path run = finishedRun("corrupt-doc", 0);
        rewriteStore(run, Integer.MAX_VALUE, 0);
        var r = CliFixtures.run("show", "--run", run.toString(), "--neuron", "0", "--backend", "cpu");
        assertOneLine(r, run.resolve("store.safetensors") + ": corrupt store: rank 0 of neuron 0 names document 2147483647, outside");
        var s = CliFixtures.run("site", "--run", run.toString(), "--out", tmp.resolve("corrupt-site").toString(), "--backend", "cpu");
        assertOneLine(s, "corrupt store");
    }

    @Test
    void aStorePositionPastItsDocumentIsOneLine() throws Exception {
        Path run = finishedRun("corrupt-pos", 0);
        rewriteStore(run, neuroscan.store.StoreFile.read(run.resolve("store.safetensors")).topK().doc(0, 0), 100_000);
        var r = CliFixtures.run("show", "--run", run.toString(), "--neuron", "0", "--backend", "cpu");
        assertOneLine(r, run.resolve("store.safetensors") + ": corrupt store: rank 0 of neuron 0 puts the max of document");
        assertTrue(r.err().contains("at position 100000, past its "), r.err());
    }

    @Test
    void aTokenCacheFromAnotherShardIsOneLine() throws Exception {
        Path a = finishedRun("shard-a", 0), b = finishedRun("shard-b", 20);
        Files.copy(b.resolve("tokens.safetensors"), a.resolve("tokens.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        var r = CliFixtures.run("show", "--run", a.toString(), "--neuron", "0", "--backend", "cpu");
        assertOneLine(r, a.resolve("tokens.safetensors") + ": holds documents 20:40, manifest.json says 0:20 (a token cache from another run or shard?)");
    }
}
