package neuroscan.spark;

import neuroscan.NeuroscanException;
import neuroscan.cli.Main;
import neuroscan.model.ModelConfig;
import neuroscan.model.TorchCheckpointWriter;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The scan as a Spark job on embedded Spark (local[2], one context for the class): byte-identical to one scan. */
class SparkScanTest {
    static final Path TOKENIZER = Path.of("src/test/fixtures/data/tokenizer");
    static final Path PARQUET = Path.of("src/test/fixtures/data/datasets/c4-mini.parquet");   // 4500 rows
    static final ModelConfig DEMO = new ModelConfig(1, 32, 4, 8, 64, 48, 300, "gelu", "LN", 1e-5, null);

    @TempDir
    static Path tmp;
    static Path model;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws IOException {
        model = Files.createDirectories(tmp.resolve("model"));
        demoModel(model);
        sc = new JavaSparkContext(SparkScan.conf("local[2]"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
    }

    static Path demoModel(Path dir) throws IOException {
        TorchCheckpointWriter.writeRandom(dir, DEMO, 424);
        for (String f : new String[]{"tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"}) {
            Files.copy(TOKENIZER.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    record Result(int code, String out, String err) {
    }

    static List<String> common(String out, String... more) {
        List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--dataset", PARQUET.toString(),
                "--backend", "cpu", "--threads", "1", "--out", tmp.resolve(out).toString()));
        a.addAll(List.of(more));
        if (!a.contains("--top-k")) a.addAll(List.of("--top-k", "5"));
        return a;
    }

    static Result scan(String out, String... more) {
        List<String> a = new ArrayList<>(List.of("scan", "--quiet"));
        a.addAll(common(out, more));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(a.toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        return new Result(rc, o.toString(), e.toString());
    }

    static Result spark(String out, String... more) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = SparkScan.run(sc, common(out, more).toArray(String[]::new), new PrintWriter(o, true), new PrintWriter(e, true));
        return new Result(rc, o.toString(), e.toString());
    }

    static void assertSameRun(String single, String spark) throws IOException {
        for (String f : new String[]{StoreFile.NAME, TokenCache.NAME}) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve(single).resolve(f)), Files.readAllBytes(tmp.resolve(spark).resolve(f)), f);
        }
        Manifest a = Manifest.read(tmp.resolve(single)), b = Manifest.read(tmp.resolve(spark));
        assertEquals(a.docs(), b.docs());
        assertEquals(a.requestedRange(), b.requestedRange());
        assertEquals(a.datasetExhausted(), b.datasetExhausted());
        assertEquals(a.nTokens(), b.nTokens());
        assertTrue(b.complete());
        assertTrue(b.matches(new Manifest.Request(a.sources(), a.topK(), a.includePadding(), DocRange.parse(a.requestedRange()))),
                "the Spark run serves as the scan's run");
    }

    @Test
    void fourAndSevenShardsAreByteIdenticalToOneScan() throws IOException {
        assertEquals(0, scan("single", "--doc-range", "100:400").code());
        Result r4 = spark("spark4", "--doc-range", "100:400", "--shards", "4");
        assertEquals(0, r4.code(), r4.err());
        assertSameRun("single", "spark4");
        assertTrue(r4.err().contains("neuroscan-spark: shard 3/4 (documents 250:325) done in "), r4.err());
        assertEquals(4, r4.err().lines().filter(l -> l.matches("neuroscan-spark: shard \\d/4 .* done in .* \\[\\d/4]")).count(), r4.err());
        assertTrue(r4.out().startsWith("neuroscan-spark: scanned documents 100:400 (300 documents, "), r4.out());

        Result r7 = spark("spark7", "--doc-range", "100:400", "--shards", "7", "--quiet");
        assertEquals(0, r7.code(), r7.err());
        assertEquals("", r7.err());
        assertSameRun("single", "spark7");
    }

    @Test
    void openRangeAndMoreShardsThanDocuments() throws IOException {
        assertEquals(0, scan("tail", "--doc-range", "4490:").code());
        Result r = spark("tail-spark", "--doc-range", "4490:", "--shards", "7");
        assertEquals(0, r.code(), r.err());
        assertSameRun("tail", "tail-spark");
        assertTrue(Manifest.read(tmp.resolve("tail-spark")).datasetExhausted());

        assertEquals(0, scan("three", "--doc-range", "10:13").code());
        r = spark("three-spark", "--doc-range", "10:13", "--shards", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("in 3 shards") && r.err().contains("(--shards 5 is more than the documents)"), r.err());
        assertSameRun("three", "three-spark");

        r = spark("past", "--doc-range", "5000:", "--shards", "2");
        assertEquals(1, r.code());
        assertEquals("neuroscan-spark: nothing to scan: the dataset has 4500 documents and the range starts at 5000", r.err().strip());
        assertFalse(Files.exists(tmp.resolve("past")));
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheRunIsStillIdentical() throws IOException {
        assertEquals(0, scan("retry-single", "--doc-range", "0:200").code());
        Result r = spark("retry", "--doc-range", "0:200", "--shards", "4", "--fail-first-attempt-of-shard", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("neuroscan-spark: shard 2/4 (documents 50:100) attempt 1 failed"), r.err());
        assertSameRun("retry-single", "retry");
    }

    @Test
    void aFailedTaskIsOneLineNamingTheShard() {
        Result r = spark("bad", "--doc-range", "0:20", "--shards", "2", "--quiet", "--tokenizer", tmp.resolve("no-such-tokenizer").toString());
        assertEquals(1, r.code());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.matches("neuroscan-spark: shard [12]/2 \\(documents (0:10|10:20)\\): .*no-such-tokenizer.*"), err);
        assertFalse(Files.exists(tmp.resolve("bad")));

        r = spark("bad2", "--shards", "2", "--resume");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("neuroscan-spark: --resume: "), r.err());
        r = spark("bad3", "--shards", "0");
        assertEquals(2, r.code());
        r = spark("bad4", "--shards", "2", "--top-k", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("neuroscan-spark: Invalid value for option '--top-k'"), r.err());
    }

    @Test
    void shardsWhoseManifestsDisagreeAreRefusedByName() {
        assertEquals(0, scan("k5", "--doc-range", "0:10").code());
        assertEquals(0, scan("k4", "--doc-range", "10:20", "--top-k", "4").code());
        var shards = SparkScan.shards(DocRange.parse("0:20"), 4500, 2, null);
        var e = assertThrows(NeuroscanException.class, () -> SparkScan.checkAgree(shards, List.of(tmp.resolve("k5"), tmp.resolve("k4"))));
        assertEquals("shard 1/2 (documents 0:10) and shard 2/2 (documents 10:20) disagree: different top_k (5 vs 4); "
                + "every executor must see the same model, tokenizer and dataset", e.getMessage());
    }

    @Test
    void localMastersRetryLikeAClusterAndHelpPrintsTheScanOptions() {
        assertEquals("local[2,4]", SparkScan.withRetries("local[2]", 4));
        assertEquals("local[*,4]", SparkScan.withRetries("local[*]", 4));
        assertEquals("local[1,3]", SparkScan.withRetries("local", 3));
        assertEquals("local[2,2]", SparkScan.withRetries("local[2,2]", 4));
        assertEquals("local-cluster[2,1,1024]", SparkScan.withRetries("local-cluster[2,1,1024]", 4));
        StringWriter o = new StringWriter();
        assertEquals(0, SparkScan.run(new String[]{"--help"}, new PrintWriter(o, true), new PrintWriter(new StringWriter(), true)));
        assertTrue(o.toString().contains("--shards N") && o.toString().contains("--doc-range=A:B"), o.toString());
    }
}
