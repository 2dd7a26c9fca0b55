package neuroscan.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hardwood.InputFile;
import dev.hardwood.reader.ParquetFileReader;
import neuroscan.NeuroscanException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parquet fixtures were written by DuckDB (GenerateDatasets.java), not by the reader under test;
 * the rows DuckDB was given are also in c4-mini.jsonl.gz, read here with plain GZIP + Jackson.
 */
class DocumentSourcesTest {
    static final Path DIR = Path.of("src/test/fixtures/data/datasets");
    static final Path C4 = DIR.resolve("c4-mini.parquet");
    static final int ROWS = 4500;
    static List<String> given;

    @BeforeAll
    static void readWhatDuckDbWasGiven() throws IOException {
        given = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(DIR.resolve("c4-mini.jsonl.gz"))), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                JsonNode text = json.readTree(line).get("text");
                given.add(text.isNull() ? null : text.textValue());
            }
        }
    }

    static List<Document> readAll(DocumentSource source) {
        List<Document> docs = new ArrayList<>();
        try (source) {
            source.forEachRemaining(docs::add);
        }
        return docs;
    }

    static void assertTexts(List<String> expected, List<Document> docs) {
        assertEquals(expected.size(), docs.size());
        for (int i = 0; i < docs.size(); i++) {
            assertEquals(i, docs.get(i).index());
            assertEquals(expected.get(i), docs.get(i).text(), "document " + i);
        }
    }

    @Test
    void parquetFixtureHasSeveralSnappyRowGroups() throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(InputFile.of(C4))) {
            var meta = r.getFileMetaData();
            assertEquals(List.of(2048L, 2048L, 404L), meta.rowGroups().stream().map(g -> g.numRows()).toList());
            assertTrue(meta.createdBy().startsWith("DuckDB"), meta.createdBy());
            assertEquals("SNAPPY", meta.rowGroups().getFirst().columns().getFirst().metaData().codec().name());
        }
    }

    @Test
    void parquetGivesEveryRowInOrderWithNulls() {
        DocumentSource source = DocumentSources.open(C4, "text");
        assertEquals("parquet", source.format());
        assertEquals(OptionalLong.of(ROWS), source.count());
        List<Document> docs = readAll(source);
        assertTexts(given, docs);
        // the writer's hand-made rows, spelled out (GenerateDatasets.HAND)
        assertEquals("THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG", docs.get(0).text());
        assertEquals("", docs.get(1).text());
        assertNull(docs.get(2).text());
        assertEquals("Line one\nLine two\n\nLine four\n", docs.get(3).text());
        assertEquals("Unicode: é — 😀 中文 עברית", docs.get(4).text());
        assertEquals("Quotes \"double\" and 'single', a backslash \\ and a\ttab.", docs.get(5).text());
        assertTrue(docs.get(6).text().startsWith("Sentence 0 of a long document. Sentence 1 "));
        assertTrue(docs.get(6).text().length() >= 20_000);
        assertNull(docs.get(9).text());
        assertNull(docs.get(101).text());          // i % 101 == 0
        assertEquals("", docs.get(211).text());    // i % 211 == 0
        assertTrue(docs.get(2048).text().startsWith("Row 2048:")); // first row of the second row group
        assertTrue(docs.get(ROWS - 1).text().startsWith("Row 4499:"));
        // NULLs: hand rows 2 and 9, and generated rows 101, 202, ..., 4444 (44 of them)
        assertEquals(2 + 44, docs.stream().filter(d -> d.text() == null).count());
    }

    @Test
    void otherColumnsCanBeRead() {
        List<Document> urls = readAll(DocumentSources.open(C4, "url"));
        assertEquals(ROWS, urls.size());
        assertEquals("https://example.com/doc/0", urls.get(0).text());
        assertEquals("https://example.com/doc/4499", urls.get(ROWS - 1).text());
    }

    @Test
    void jsonlGzGivesTheSameDocuments() {
        DocumentSource source = DocumentSources.open(DIR.resolve("c4-mini.jsonl.gz"), "text");
        assertEquals("jsonl", source.format());
        assertEquals(OptionalLong.empty(), source.count());
        assertTexts(given, readAll(source));
    }

    @Test
    void directoryOfShardsReadsParquetFilesByName() {
        DocumentSource source = DocumentSources.open(DIR.resolve("shards"), null); // null column: "text"
        assertEquals(List.of(DIR.resolve("shards/train-00000-of-00002.parquet"),
                DIR.resolve("shards/train-00001-of-00002.parquet")), source.files()); // notes.md skipped
        assertEquals("text", source.column());
        assertEquals(OptionalLong.of(70), source.count());
        assertTexts(given.subList(0, 70), readAll(source));
    }

    @Test
    void filesAreReadInTheOrderGiven() {
        List<Path> reversed = List.of(DIR.resolve("shards/train-00001-of-00002.parquet"),
                DIR.resolve("shards/train-00000-of-00002.parquet"));
        List<String> expected = new ArrayList<>(given.subList(40, 70));
        expected.addAll(given.subList(0, 40));
        assertTexts(expected, readAll(DocumentSources.open(reversed, "text")));
    }

    @Test
    void jsonlHandMade() {
        assertTexts(Arrays.asList(
                "First document.",
                "",
                null,
                "Escapes: é 😀 \n newline \"q\" \\ slash",
                "Raw UTF-8: é 😀 中文",          // its line ends in CRLF
                "last line without newline"),
                readAll(DocumentSources.open(DIR.resolve("small.jsonl"), "text")));
    }

    @Test
    void folderOfTextFilesOneDocumentEach() {
        DocumentSource source = DocumentSources.open(DIR.resolve("txt"), "ignored");
        assertEquals("txt", source.format());
        assertEquals(OptionalLong.of(4), source.count());
        assertEquals(List.of("10.txt", "a.txt", "b.txt", "c-empty.txt"),
                source.files().stream().map(p -> p.getFileName().toString()).toList());
        assertTexts(List.of("Ten: é 😀", "Alpha\nsecond line\n", "Beta with a byte order mark", ""), readAll(source));
        assertTexts(List.of("Alpha\nsecond line\n"), readAll(DocumentSources.open(DIR.resolve("txt/a.txt"), "text")));
    }

    @Test
    void streamAndCloseMidway() {
        DocumentSource source = DocumentSources.open(C4, "text");
        assertEquals(List.of(0, 1, 2), source.stream().limit(3).map(Document::index).toList());
        assertTrue(source.hasNext());
        assertEquals(3, source.next().index());
        source.close();
        source.close(); // idempotent
        assertThrows(IllegalStateException.class, source::hasNext);
    }

    @Test
    void contentIdIsSha256OfTheFileOrOfTheListing() throws Exception {
        try (DocumentSource one = DocumentSources.open(C4, "text")) {
            assertEquals(sha256(Files.readAllBytes(C4)), one.contentId());
        }
        Path a = DIR.resolve("shards/train-00000-of-00002.parquet");
        Path b = DIR.resolve("shards/train-00001-of-00002.parquet");
        String listing = sha256(Files.readAllBytes(a)) + "  train-00000-of-00002.parquet\n"
                + sha256(Files.readAllBytes(b)) + "  train-00001-of-00002.parquet\n";
        try (DocumentSource two = DocumentSources.open(DIR.resolve("shards"), "text")) {
            assertEquals(sha256(listing.getBytes(StandardCharsets.UTF_8)), two.contentId());
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    // --- bad input: one line naming the file and the problem ---

    static String error(Runnable r) {
        NeuroscanException e = assertThrows(NeuroscanException.class, r::run);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    static void drain(Path path, String column) {
        try (DocumentSource s = DocumentSources.open(path, column)) {
            s.forEachRemaining(d -> { });
        }
    }

    @Test
    void missingColumnListsTheColumns() {
        assertEquals(C4 + ": no column 'txt' (columns: text, timestamp, url)",
                error(() -> DocumentSources.open(C4, "txt")));
        assertEquals(DIR.resolve("shards/train-00000-of-00002.parquet") + ": no column 'body' (columns: text, timestamp, url)",
                error(() -> DocumentSources.open(DIR.resolve("shards"), "body")));
    }

    @Test
    void nonStringColumnsAreRefused() {
        Path typed = DIR.resolve("typed.parquet");
        assertEquals(typed + ": column 'n' is INT64 (INT_64), not a string column", error(() -> DocumentSources.open(typed, "n")));
        assertEquals(typed + ": column 'blob' is binary (BYTE_ARRAY without a string annotation), not a string column",
                error(() -> DocumentSources.open(typed, "blob")));
        assertEquals(typed + ": column 'tags' is a list, not a string column", error(() -> DocumentSources.open(typed, "tags")));
        assertEquals(List.of("typed 0", "typed 1", "typed 2"),
                readAll(DocumentSources.open(typed, "text")).stream().map(Document::text).toList());
    }

    @Test
    void invalidUtf8InJsonlNamesLineAndByte() {
        Path bad = DIR.resolve("bad/invalid-utf8.jsonl");
        DocumentSource source = DocumentSources.open(bad, "text");
        assertEquals("fine", source.next().text());
        assertEquals(bad + ":2: invalid UTF-8 (byte 0xFF at byte 15 of the line)", error(source::hasNext));
        source.close();
    }

    @Test
    void invalidUtf8InTextFileNamesLineAndByte() {
        Path dir = DIR.resolve("bad/invalid-utf8");
        DocumentSource source = DocumentSources.open(dir, "text");
        assertEquals("fine\n", source.next().text());
        assertEquals(dir.resolve("truncated.txt") + ":2: invalid UTF-8 (byte 0xE2 at byte 8 of the line)",
                error(source::hasNext));
        source.close();
    }

    @Test
    void badJsonLines(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("x.jsonl");
        Files.writeString(f, "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n");
        assertTrue(error(() -> drain(f, "text")).startsWith(f + ":2: malformed JSON: "));
        Files.writeString(f, "{\"txt\": \"a\", \"id\": 1}\n");
        assertEquals(f + ":1: no key 'text' (keys: txt, id)", error(() -> drain(f, "text")));
        Files.writeString(f, "\n\n{\"text\": 5}\n");
        assertEquals(f + ":3: 'text' is a number, not a string", error(() -> drain(f, "text")));
        Files.writeString(f, "[1, 2]\n");
        assertEquals(f + ":1: expected a JSON object, found an array", error(() -> drain(f, "text")));
        Path gz = tmp.resolve("x.jsonl.gz");
        Files.writeString(gz, "{\"text\": \"not compressed\"}\n");
        assertEquals(gz + ": cannot read: Not in GZIP format", error(() -> drain(gz, "text")));
    }

    @Test
    void missingFilesAndUnknownFormats(@TempDir Path tmp) throws IOException {
        Path nope = tmp.resolve("c4.parquet");
        assertEquals(nope + ": no such file or directory", error(() -> DocumentSources.open(nope, "text")));
        assertEquals(nope + ": no such file", error(() -> DocumentSources.open(List.of(nope), "text")));
        Path csv = Files.writeString(tmp.resolve("data.csv"), "text\nhello\n");
        assertEquals(csv + ": unknown dataset format (expected .parquet, .jsonl, .jsonl.gz or .txt)",
                error(() -> DocumentSources.open(csv, "text")));
        assertEquals(tmp + ": no .parquet, .jsonl, .jsonl.gz or .txt files in this directory",
                error(() -> DocumentSources.open(tmp, "text")));
        Path fake = Files.writeString(tmp.resolve("fake.parquet"), "this is not parquet at all");
        assertTrue(error(() -> DocumentSources.open(fake, "text")).startsWith(fake + ": not a readable parquet file: "));
        assertEquals(DIR.resolve("small.jsonl") + ": is jsonl but " + C4 + " is parquet; a dataset has one format",
                error(() -> DocumentSources.open(List.of(C4, DIR.resolve("small.jsonl")), "text")));
        assertEquals("no dataset files given", error(() -> DocumentSources.open(List.of(), "text")));
    }
}
