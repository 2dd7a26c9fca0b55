package neuroscan.scan;

import neuroscan.NeuroscanException;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The screen's counters survive a checkpoint (a resumed scan adds its own to them); bad ones are one line. */
class CheckpointScreenTest {
    @TempDir
    Path dir;

    @Test
    void countersRoundTripAndAbsentMeansNotScreened() {
        Checkpoint c = new Checkpoint(dir);
        StoreFile state = new StoreFile(new TopK(2, 3), new DocRange(0, 10), false);
        c.save(0, List.of(), state, 55, Manifest.Timings.ZERO, Manifest.Screening.of(30, 7));
        Manifest.Screening s = c.load(0, 2, neuroscan.store.Hook.single(3), false).screening();
        assertEquals(30, s.pairsScreened());
        assertEquals(7, s.candidatesRecomputed());
        assertEquals(1 - 7 / 30.0, s.fractionSkipped(), 1e-12);
        assertEquals(Manifest.Screening.of(40, 9), Manifest.Screening.plus(s, Manifest.Screening.of(10, 2)));
        c.save(0, List.of(), state, 55, Manifest.Timings.ZERO);
        assertNull(c.load(0, 2, neuroscan.store.Hook.single(3), false).screening());
    }

    private static Path find(Path root, String name) {
        try (var s = java.nio.file.Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void corruptCountersAreOneLine() {
        Checkpoint c = new Checkpoint(dir);
        for (var bad : List.of(Map.of("screen_pairs", "x"), Map.of("screen_pairs", "5", "screen_recomputed", "9"))) {
            c.save(0, List.of(), new StoreFile(new TopK(2, 3), new DocRange(0, 10), false), 1, Manifest.Timings.ZERO,
                    Manifest.Screening.of(5, 1));
            Path f = find(dir, "state.safetensors");
            StoreFile saved = StoreFile.read(f);
            Map<String, String> meta = new java.util.HashMap<>(saved.extra());
            meta.putAll(bad);
            new StoreFile(saved.topK(), saved.docs(), false, meta, saved.hook()).write(f);
            var e = assertThrows(NeuroscanException.class, () -> c.load(0, 2, neuroscan.store.Hook.single(3), false));
            assertTrue(e.getMessage().contains("corrupt checkpoint: screen counters"), e.getMessage());
        }
    }
}
