package neuroscan.data;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** A seeded mutation fuzzer over tokenizer.json: every mutant loads (and tokenizes) or is one NeuroscanException line. */
class TokenizerFuzzTest {
    @TempDir
    Path tmp;

    static final Path FIXTURE = Path.of("src/test/fixtures/data/tokenizer");
    static final int ROUNDS = Integer.getInteger("fuzz.rounds", 150);

    @Test
    void mutatedTokenizerJsonLoadsOrFailsAsOneLine() throws Exception {
        String good = Files.readString(FIXTURE.resolve("tokenizer.json"));
        for (String f : new String[]{"special_tokens_map.json", "tokenizer_config.json"}) Files.copy(FIXTURE.resolve(f), tmp.resolve(f));
        SplittableRandom rnd = new SplittableRandom(1605);
        String[] junk = {"[", "]", "{", "}", "\"", ",", ":", "null", "-1", "1e999", "\\u0000", "[[[[[[[[", "\"\\ud800\"", "99999999999999999999"};
        for (int round = 0; round < ROUNDS; round++) {
            StringBuilder b = new StringBuilder(good);
            for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                int at = rnd.nextInt(b.length());
                switch (rnd.nextInt(3)) {
                    case 0 -> b.insert(at, junk[rnd.nextInt(junk.length)]);
                    case 1 -> b.delete(at, Math.min(b.length(), at + 1 + rnd.nextInt(20)));
                    default -> b.replace(at, Math.min(b.length(), at + 1), junk[rnd.nextInt(junk.length)]);
                }
            }
            Files.writeString(tmp.resolve("tokenizer.json"), b, StandardCharsets.UTF_8);
            try (Tokenizer t = Tokenizer.load(tmp)) {
                t.toTokens("Hello world, the quick brown fox.", 16);
            } catch (NeuroscanException e) {
                if (e.getMessage() == null || e.getMessage().contains("\n")) fail("round " + round + ": not one line: " + e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("round " + round + ": " + e + " instead of a NeuroscanException", e);
            }
        }
    }
}
