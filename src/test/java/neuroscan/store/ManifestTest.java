package neuroscan.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ManifestTest {
    @TempDir
    Path tmp;

    static final Manifest.Artifact MODEL = new Manifest.Artifact("gelu-1l", "bddc0e3", "0a1b2c3d4e5f6a7b8c9d");
    static final Manifest.Artifact TOK = new Manifest.Artifact("NeelNanda/gpt-neox-tokenizer-digits", "0f66715", null);
    static final Manifest.Artifact DATA = new Manifest.Artifact("NeelNanda/c4-10k", "refs/convert/parquet", "ffee");
    static final Manifest.Sources SRC = new Manifest.Sources(MODEL, TOK, DATA);

    static Manifest run(boolean complete, int docStart, int docEnd, boolean exhausted, String requested) {
        return new Manifest(Manifest.FORMAT, "0.1.0", complete, MODEL, TOK, DATA, StoreFile.HOOK, 1, 2048, 1024, 20, false, null,
                requested, docStart, docEnd, exhausted, docEnd - docStart, 123456, 0, null, "cpu (2 threads)", "host",
                new Manifest.Timings(1.5, 0.1, 20.25, 0.5, 0.3, 23, 1), "2025-01-01T00:00:00Z", complete ? "2025-01-01T00:01:00Z" : null);
    }

    @Test
    void writesPrettySnakeCaseJsonAndReadsItBack() throws Exception {
        Manifest m = run(true, 0, 10000, true, "0:");
        m.write(tmp);
        String text = Files.readString(tmp.resolve(Manifest.NAME));
        assertTrue(text.contains("\n  \"top_k\" : 20,"), text);
        JsonNode j = new ObjectMapper().readTree(text);
        for (String key : new String[]{"neuroscan_version", "model", "tokenizer", "dataset", "n_docs", "n_tokens", "include_padding",
                "doc_start", "doc_end", "dataset_exhausted", "backend", "topk_merge", "timings", "requested_range"}) {
            assertTrue(j.has(key), key);
        }
        assertEquals("ffee", j.get("dataset").get("sha256").asText());
        assertFalse(j.get("tokenizer").has("sha256"), "nulls are left out");
        assertFalse(j.has("pad_token"));
        assertEquals(20.25, j.get("timings").get("compute_s").asDouble());
        assertEquals("host", j.get("topk_merge").asText());
        assertEquals(m, Manifest.read(tmp));
    }

    @Test
    void topkMergeIsWrittenAndAnOlderManifestWithoutItReadsAsHost() throws Exception {
        Manifest m = run(true, 0, 10, false, "0:10");
        Manifest dev = new Manifest(m.format(), m.neuroscanVersion(), m.complete(), m.model(), m.tokenizer(), m.dataset(), m.hook(), m.nLayers(),
                m.dMlp(), m.nCtx(), m.topK(), m.includePadding(), m.padToken(), m.requestedRange(), m.docStart(), m.docEnd(),
                m.datasetExhausted(), m.nDocs(), m.nTokens(), m.nanSkipped(), m.nanNeurons(), m.backend(), "host, then device", m.timings(),
                m.created(), m.finished());
        dev.write(tmp);
        Path f = tmp.resolve(Manifest.NAME);
        assertTrue(Files.readString(f).contains("\n  \"topk_merge\" : \"host, then device\",\n"), Files.readString(f));
        assertEquals(dev, Manifest.read(tmp));
        assertEquals("host, then device", dev.withComplete(false, null).topkMerge(), "kept by withComplete");

        // a manifest from before the field: no topk_merge key at all
        Files.writeString(f, Files.readString(f).replaceFirst("\n  \"topk_merge\" : \"[^\"]*\",", ""));
        assertFalse(Files.readString(f).contains("topk_merge"));
        Manifest old = Manifest.read(tmp);
        assertEquals("host", old.topkMerge());
        assertEquals(Manifest.TOPK_MERGE_DEFAULT, old.topkMerge());
        assertEquals(m, old, "otherwise the same manifest");
        assertEquals("host", run(true, 0, 1, false, "0:1").withComplete(true, null).topkMerge());
    }

    @Test
    void unknownKeysAreIgnoredBadFilesAreOneLine() throws Exception {
        run(true, 0, 5, false, "0:5").write(tmp);
        Path f = tmp.resolve(Manifest.NAME);
        Files.writeString(f, Files.readString(f).replaceFirst("\\{", "{\"from_the_future\": 1,"));
        assertEquals(5, Manifest.read(tmp).docEnd());

        Files.writeString(f, Files.readString(f).replace("\"doc_end\"", "\"doc_ending\""));
        assertEquals(f + ": missing doc_end", assertThrows(NeuroscanException.class, () -> Manifest.read(tmp)).getMessage());

        Files.writeString(tmp.resolve(Manifest.NAME), "{\"format\": ");
        var e = assertThrows(NeuroscanException.class, () -> Manifest.read(tmp));
        assertTrue(e.getMessage().startsWith(tmp.resolve(Manifest.NAME) + ": malformed manifest"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        var missing = assertThrows(NeuroscanException.class, () -> Manifest.read(tmp.resolve("nope")));
        assertEquals(tmp.resolve("nope") + ": not a neuroscan run (no manifest.json)", missing.getMessage());
    }

    @Test
    void matchesOnlyTheSameScan() {
        Manifest full = run(true, 0, 10000, true, "0:");
        assertTrue(full.matches(new Manifest.Request(SRC, 20, false, DocRange.ALL)));
        assertTrue(full.matches(new Manifest.Request(SRC, 20, false, DocRange.parse("0:10000"))));
        assertTrue(full.matches(new Manifest.Request(SRC, 20, false, DocRange.parse("0:20000"))), "the dataset has only 10000");
        assertEquals("documents are 0:10000 (whole dataset), requested 0:5000",
                full.mismatch(new Manifest.Request(SRC, 20, false, DocRange.parse(":5000"))));
        assertEquals("top_k is 20, requested 10", full.mismatch(new Manifest.Request(SRC, 10, false, DocRange.ALL)));
        assertEquals("padding was not included, requested --include-padding",
                full.mismatch(new Manifest.Request(SRC, 20, true, DocRange.ALL)));

        // same model bytes under another name still match (sha256 decides); another sha256 does not
        var renamed = new Manifest.Sources(new Manifest.Artifact("/models/gelu", null, MODEL.sha256()), TOK, DATA);
        assertTrue(full.matches(new Manifest.Request(renamed, 20, false, DocRange.ALL)));
        var other = new Manifest.Sources(new Manifest.Artifact("gelu-1l", "bddc0e3", "999"), TOK, DATA);
        assertTrue(full.mismatch(new Manifest.Request(other, 20, false, DocRange.ALL)).startsWith("model is gelu-1l@bddc0e3"));
        // without sha256, id and revision decide
        var tokRev = new Manifest.Sources(MODEL, new Manifest.Artifact(TOK.id(), "main", null), DATA);
        assertTrue(full.mismatch(new Manifest.Request(tokRev, 20, false, DocRange.ALL)).startsWith("tokenizer is"));

        Manifest shard = run(true, 0, 5000, false, "0:5000");
        assertTrue(shard.matches(new Manifest.Request(SRC, 20, false, DocRange.parse("0:5000"))));
        assertFalse(shard.matches(new Manifest.Request(SRC, 20, false, DocRange.ALL)), "not the whole dataset");

        Manifest partial = run(false, 0, 3000, false, "0:");
        assertEquals("the scan is not finished", partial.mismatch(new Manifest.Request(SRC, 20, false, DocRange.ALL)));
        assertNull(partial.resumeMismatch(new Manifest.Request(SRC, 20, false, DocRange.ALL)));
        assertEquals("document range is 0:, requested 0:100",
                partial.resumeMismatch(new Manifest.Request(SRC, 20, false, DocRange.parse("0:100"))));
    }

    @Test
    void docRangeParsing() {
        assertEquals(new DocRange(3, 9), DocRange.parse("3:9"));
        assertEquals(new DocRange(3, DocRange.OPEN), DocRange.parse("3:"));
        assertEquals(new DocRange(0, 9), DocRange.parse(":9"));
        assertEquals(new DocRange(3, 8), DocRange.parse("3:").limit(5));
        assertEquals(new DocRange(3, 5), DocRange.parse("3:5").limit(50));
        assertEquals("3:", DocRange.parse("3:").toString());
        assertEquals("--doc-range 9:3: need 0 <= A <= B", assertThrows(NeuroscanException.class, () -> DocRange.parse("9:3")).getMessage());
        assertEquals("--doc-range x:3: expected A:B with whole numbers", assertThrows(NeuroscanException.class, () -> DocRange.parse("x:3")).getMessage());
        assertEquals("--doc-range 7: expected A:B, A: or :B", assertThrows(NeuroscanException.class, () -> DocRange.parse("7")).getMessage());
    }
}
