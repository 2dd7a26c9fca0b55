package neuroscan.store;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded mutation fuzzer over the run directory's files: flipped, overwritten, inserted and cut bytes
 * of a valid store, token cache and manifest must read back or fail with a {@link NeuroscanException}
 * (one line naming the file), never with another exception. Deterministic: a fixed seed per file.
 */
class CorruptFilesFuzzTest {
    @TempDir
    Path tmp;

    static final int ROUNDS = Integer.getInteger("fuzz.rounds", 400);

    private void fuzz(Path valid, long seed, Consumer<Path> read) throws Exception {
        byte[] good = Files.readAllBytes(valid);
        SplittableRandom rnd = new SplittableRandom(seed);
        Path f = valid.resolveSibling("mutant-" + valid.getFileName());
        for (int round = 0; round < ROUNDS; round++) {
            byte[] b = mutate(good, rnd);
            Files.write(f, b);
            try {
                read.accept(f);
            } catch (NeuroscanException e) {
                if (e.getMessage() == null || e.getMessage().contains("\n")) fail("round " + round + ": not one line: " + e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("round " + round + " (seed " + seed + "): " + e + " instead of a NeuroscanException", e);
            }
        }
    }

    private static byte[] mutate(byte[] good, SplittableRandom rnd) {
        byte[] b = good.clone();
        int kind = rnd.nextInt(5);
        switch (kind) {
            case 0 -> {   // a few random bytes flipped anywhere
                for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> {   // the header (first 8 + a few hundred bytes) hit harder
                for (int i = 0, n = 1 + rnd.nextInt(8); i < n; i++) b[rnd.nextInt(Math.min(b.length, 400))] = (byte) rnd.nextInt(256);
            }
            case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length));   // cut short
            case 3 -> {   // a digit in the header replaced by another
                for (int t = 0; t < 20; t++) {
                    int i = rnd.nextInt(Math.min(b.length, 600));
                    if (b[i] >= '0' && b[i] <= '9') {
                        b[i] = (byte) ('0' + rnd.nextInt(10));
                        break;
                    }
                }
            }
            default -> {   // a run of bytes overwritten with 0xff or 0x00
                int at = rnd.nextInt(b.length), len = Math.min(b.length - at, 1 + rnd.nextInt(16));
                java.util.Arrays.fill(b, at, at + len, rnd.nextBoolean() ? (byte) 0xff : 0);
            }
        }
        return b;
    }

    @Test
    void mutatedStoresFailAsOneLine() throws Exception {
        TopK t = new TopK(3, 5);
        t.merge(4, new int[]{10, 11, 12, 13}, new float[20], new int[20]);
        Path f = tmp.resolve(StoreFile.NAME);
        new StoreFile(t, new DocRange(10, 14), false).write(f);
        fuzz(f, 1601, StoreFile::read);
    }

    @Test
    void mutatedStoresWithStatisticsFailAsOneLine() throws Exception {
        TopK t = new TopK(2, 3);
        int[] ids = {10, 11, 12, 13}, arg = new int[12], positive = new int[12];
        float[] max = {0.5f, 2f, -0.1f, 3f, 0.005f, 0f, 7f, 1f, 120f, 0.2f, 0.3f, 0.4f};
        java.util.Arrays.fill(positive, 2);
        t.merge(4, ids, max, arg);
        NeuronStats s = new NeuronStats(3);
        s.add(4, ids, max, arg, positive, 20);
        Path f = tmp.resolve(StoreFile.NAME);
        new StoreFile(t, new DocRange(10, 14), false, Hook.single(3), s).write(f);
        assertEquals(s, StoreFile.read(f).stats(), "the unmutated file reads back");
        fuzz(f, 1602, StoreFile::read);
    }

    @Test
    void mutatedTokenCachesFailAsOneLine() throws Exception {
        Path f = tmp.resolve(TokenCache.NAME);
        TokenCache.write(f, 5, List.of(new int[]{1, 2, 3}, new int[]{4}, new int[]{5, 6}));
        fuzz(f, 1602, p -> {
            TokenCache c = TokenCache.open(p);
            for (int d = c.docs().start(); d < c.docs().end(); d++) c.doc(d);
        });
    }

    @Test
    void mutatedManifestsFailAsOneLine() throws Exception {
        Manifest m = ManifestTest.run(true, 0, 10, false, "0:10");
        m.write(tmp);
        Path dir = tmp.resolve("m");
        Files.createDirectories(dir);
        fuzz(tmp.resolve(Manifest.NAME), 1603, p -> {
            try {
                Files.copy(p, dir.resolve(Manifest.NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Manifest.read(dir);
        });
    }
}
