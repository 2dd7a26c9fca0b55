package neuroscan.data;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against the hand-made fixture in src/test/fixtures/data/tokenizer (see make_tokenizer.py): byte
 * b has id 3 + b, merges get ids 259.. in rank order, <|endoftext|> 0, <|BOS|> 1, <|PAD|> 2.
 * Every expected id below is derived by hand from those merges and GPT-2's pre-tokenizer regex.
 */
class TokenizerTest {
    static final Path FIXTURE = Path.of("src/test/fixtures/data/tokenizer");
    static final int N_CTX = 1024;
    static Tokenizer tok;

    static int b(int byteValue) {
        return 3 + byteValue;
    }

    @BeforeAll
    static void load() {
        tok = Tokenizer.load(FIXTURE);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static void assertTokens(String text, int... expectedAfterBos) {
        int[] expected = new int[expectedAfterBos.length + 1];
        expected[0] = 1;
        System.arraycopy(expectedAfterBos, 0, expected, 1, expectedAfterBos.length);
        assertArrayEquals(expected, tok.toTokens(text, N_CTX), () -> "tokens of " + text.replace("\n", "\\n"));
    }

    @Test
    void mergesApplyInRankOrder() {
        assertTokens("the", b('t'), 260);                 // "he" merges, "Ġt" needs a space
        assertTokens(" the", 261);                        // Ġ+t (259), h+e (260), Ġt+he (261)
        assertTokens("THE QUICK", 263, 274);              // T+H, TH+E | Q+U, I+C, IC+K, Ġ+QU, ĠQU+ICK
        assertTokens("the THE", b('t'), 260, 264);
        assertTokens("  x", b(' '), b(' '), b('x'));      // "\s+(?!\S)" takes one space, " ?\p{L}+" " x"
        assertTokens("   x", 275, b(' '), b('x'));        // two spaces merge (275), the third joins "x"
    }

    @Test
    void newlinesFollowTheGpt2Regex() {
        // "\n\n" before a letter splits into "\n", "\n" (\s+(?!\S) backtracks), so the ĊĊ merge is unused ...
        assertTokens("a\n\nb", b('a'), b('\n'), b('\n'), b('b'));
        // ... but before " y" the whole "\n\n" is one piece and merges (265); the space joins "y".
        assertTokens("x\n\n y", b('x'), 265, b(' '), b('y'));
        assertTokens("end\n\n", b('e'), b('n'), b('d'), 265);
    }

    @Test
    void digitsAreSplitOneByOne() {
        // Digits(individual_digits) runs before ByteLevel, so the "2"+"0" merge (266) never applies.
        assertTokens("in 2023", b('i'), b('n'), b(' '), b('2'), b('0'), b('2'), b('3'));
        assertTokens("20", b('2'), b('0'));
    }

    @Test
    void multiByteCharactersSplitAcrossTokens() {
        assertTokens("é", b(0xC3), b(0xA9));                  // 2-byte character, no merge: two tokens
        assertTokens(" é", 268, b(0xA9));                     // "Ġ"+C3 merge takes the first byte only
        assertTokens("—", 267, b(0x94));                      // U+2014 = E2 80 94: merged E2 80, then 94
        assertTokens("😀", 269, b(0x98), b(0x80));             // U+1F600 = F0 9F 98 80
        assertTokens("e\u0301", b(0xC3), b(0xA9));            // NFC normalizer composes e + U+0301 to é
    }

    @Test
    void controlCharactersAndSpecialTokensInText() {
        assertTokens("\0", b(0));                              // NUL survives the JNI crossing
        assertTokens("a<|endoftext|>b", b('a'), 0, b('b'));   // added tokens match inside text, as in HF
        assertTokens("<|BOS|>", 1);
    }

    @Test
    void loneSurrogateBecomesReplacementCharacter() {
        int[] fffd = {1, b(0xEF), b(0xBF), b(0xBD), b('x')};   // U+FFFD = EF BF BD
        assertArrayEquals(fffd, tok.toTokens("\uD800x", N_CTX));
        assertArrayEquals(fffd, tok.toTokens("\uDC00x", N_CTX));
        assertArrayEquals(tok.toTokens("😀", N_CTX), tok.toTokens("\uD83D\uDE00", N_CTX));
    }

    @Test
    void nullAndEmptyTextAreJustBos() {
        assertArrayEquals(new int[]{1}, tok.toTokens(null, N_CTX));
        assertArrayEquals(new int[]{1}, tok.toTokens("", N_CTX));
    }

    @Test
    void truncationCountsTheBos() {
        String text = "THE THE THE THE"; // THE, ĠTHE, ĠTHE, ĠTHE
        assertArrayEquals(new int[]{1, 263, 264, 264, 264}, tok.toTokens(text, N_CTX));
        assertArrayEquals(new int[]{1, 263, 264, 264, 264}, tok.toTokens(text, 5));
        assertArrayEquals(new int[]{1, 263, 264}, tok.toTokens(text, 3));
        assertArrayEquals(new int[]{1}, tok.toTokens(text, 1));
        assertThrows(IllegalArgumentException.class, () -> tok.toTokens(text, 0));
    }

    @Test
    void specialIdsAndVocabSize() {
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.padId());
        assertEquals(0, tok.eosId());
        assertEquals(276, tok.vocabSize()); // 3 specials + 256 bytes + 17 merges
    }

    @Test
    void displayShowsRealText() {
        assertEquals(" the", tok.display(261));
        assertEquals("THE", tok.display(263));
        assertEquals(" ", tok.display(b(' ')));
        assertEquals("\n", tok.display(b('\n')));
        assertEquals("\n\n", tok.display(265));
        assertEquals("\t", tok.display(b('\t')));
        assertEquals("<|BOS|>", tok.display(1));
        assertEquals("<|endoftext|>", tok.display(0));
        assertEquals("<|PAD|>", tok.display(2));
        assertEquals("", tok.display(276));    // no such token: empty, as HF decode gives
        assertEquals("", tok.display(99_999));
        assertThrows(IllegalArgumentException.class, () -> tok.display(-1));
    }

    @Test
    void displayOfPartialCharactersUsesOneReplacementPerInvalidRun() {
        assertEquals("\uFFFD", tok.display(267));        // E2 80: a truncated 3-byte sequence
        assertEquals("\uFFFD", tok.display(b(0x94)));     // lone continuation byte
        assertEquals(" \uFFFD", tok.display(268));       // the valid space survives
        assertEquals("\uFFFD", tok.display(269));        // F0 9F
        assertEquals("\uFFFD", tok.display(b(0xC3)));
        assertEquals("\u007F", tok.display(b(0x7F)));    // DEL is valid UTF-8, shown as itself
    }

    @Test
    void displayTokensKeepsOneStringPerToken() {
        int[] ids = tok.toTokens("THE QUICK the\n😀", N_CTX);
        assertArrayEquals(new String[]{"<|BOS|>", "THE", " QUICK", " the", "\n", "\uFFFD", "\uFFFD", "\uFFFD"},
                tok.displayTokens(ids));
    }

    @Test
    void batchMatchesSingleAndIsSafeAcrossThreads() throws Exception {
        Random random = new Random(42);
        String alphabet = "THE QUICK the brown\n\n 2023 é—😀<|endoftext|>\0";
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(200);
            for (int j = 0; j < len; j++) {
                sb.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            texts.add(i % 50 == 0 ? null : sb.toString());
        }
        List<int[]> single = new ArrayList<>();
        for (String t : texts) {
            single.add(tok.toTokens(t, 64));
        }
        assertTrue(tok.toTokensBatch(List.of(), 64).isEmpty());
        List<int[]> batch = tok.toTokensBatch(texts, 64);
        assertEquals(texts.size(), batch.size());
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(single.get(i), batch.get(i), "text " + i);
            assertTrue(single.get(i).length <= 64 && single.get(i)[0] == 1);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                futures.add(pool.submit(() -> {
                    for (int rep = 0; rep < 5; rep++) {
                        for (int i = offset; i < texts.size(); i += 3) {
                            assertArrayEquals(single.get(i), tok.toTokens(texts.get(i), 64));
                            tok.displayTokens(single.get(i));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // --- where the special tokens come from ---

    private static Path copyTokenizerJson(Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        return dir;
    }

    @Test
    void withoutConfigFilesEverySpecialDefaultsToEndOfText(@TempDir Path dir) throws IOException {
        try (Tokenizer t = Tokenizer.load(copyTokenizerJson(dir))) {
            assertEquals(0, t.bosId());  // TransformerLens: bos = eos = "<|endoftext|>", pad = eos
            assertEquals(0, t.padId());
            assertEquals(0, t.eosId());
            assertArrayEquals(new int[]{0, 261}, t.toTokens(" the", N_CTX));
        }
    }

    @Test
    void specialTokensMapOverridesTokenizerConfig(@TempDir Path dir) throws IOException {
        copyTokenizerJson(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|PAD|>\", \"pad_token\": {\"content\": \"<|BOS|>\"}, \"eos_token\": null}");
        Files.writeString(dir.resolve("special_tokens_map.json"),
                "{\"bos_token\": {\"content\": \"<|BOS|>\", \"lstrip\": false}}");
        try (Tokenizer t = Tokenizer.load(dir.resolve("tokenizer.json"))) { // the file path works too
            assertEquals(1, t.bosId());
            assertEquals(1, t.padId());
            assertEquals(0, t.eosId());
        }
    }

    @Test
    void specialTokenMissingFromVocabularyIsOneLine(@TempDir Path dir) throws IOException {
        copyTokenizerJson(dir);
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": \"<s>\"}");
        NeuroscanException e = assertThrows(NeuroscanException.class, () -> Tokenizer.load(dir));
        assertOneLine(e);
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": the bos token '<s>'"), e.getMessage());
    }

    // --- bad input ---

    static void assertOneLine(Exception e) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingTokenizerJsonNamesTheFile(@TempDir Path dir) {
        NeuroscanException e = assertThrows(NeuroscanException.class, () -> Tokenizer.load(dir));
        assertEquals(dir.resolve("tokenizer.json") + ": no such file", e.getMessage());
    }

    @Test
    void malformedTokenizerJsonNamesFileAndPlace(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"vocab\": {\"a\": 0,}}}");
        NeuroscanException e = assertThrows(NeuroscanException.class, () -> Tokenizer.load(dir));
        assertOneLine(e);
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": malformed JSON at line 1, column "),
                e.getMessage());
    }

    @Test
    void jsonThatIsNoTokenizerIsRejected(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), "[1, 2, 3]");
        NeuroscanException e = assertThrows(NeuroscanException.class, () -> Tokenizer.load(dir));
        assertEquals(dir.resolve("tokenizer.json") + ": not a Hugging Face tokenizer.json (no \"model\" object)",
                e.getMessage());

        Files.writeString(dir.resolve("tokenizer.json"),
                "{\"model\": {\"type\": \"NoSuchModel\", \"vocab\": {\"<|endoftext|>\": 0}}}");
        e = assertThrows(NeuroscanException.class, () -> Tokenizer.load(dir));
        assertOneLine(e);
        assertTrue(e.getMessage().startsWith(dir.resolve("tokenizer.json") + ": the tokenizers library rejects it: "),
                e.getMessage());
    }
}
