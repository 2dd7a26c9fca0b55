package neuroscan.model;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link SafetensorsCheckpoint} on the fixture files (written by hand from numpy bytes in make_fixtures.py). */
class SafetensorsCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void float32IsZeroCopyAndBuffersWiden() {
        Map<String, Tensor> t = SafetensorsCheckpoint.read(Fixtures.path("gelu1l-mini/model.safetensors"));
        assertTrue(t.get("embed.W_E").data().isMapped());
        assertEquals(1f, t.get("blocks.0.attn.mask").get(33));           // row 1, column 1: on the diagonal
        assertEquals(0f, t.get("blocks.0.attn.mask").get(1));
        assertEquals(Float.NEGATIVE_INFINITY, t.get("blocks.0.attn.IGNORE").get(0));
        assertArrayEquals(TorchCheckpoint.read(Fixtures.path("gelu1l-mini/model_final.pth")).get("unembed.W_U").toArray(),
                t.get("unembed.W_U").toArray());
    }

    @Test
    void refusesUnsupportedDtypes() {
        Path p = tmp.resolve("f64.safetensors");
        var e = new LinkedHashMap<String, Safetensors.Entry>();
        e.put("ok", Safetensors.Entry.f32(new float[]{1}, 1));
        e.put("blocks.0.mlp.W_in", new Safetensors.Entry("F64", new long[]{2}, MemorySegment.ofArray(new double[]{1, 2})));
        Safetensors.write(p, e, Map.of());
        assertEquals("f64.safetensors: tensor blocks.0.mlp.W_in has unsupported dtype F64 (neuroscan reads F32, F16 and BF16)",
                Fixtures.refuses("f64.safetensors: ", () -> SafetensorsCheckpoint.read(p)));
    }

    @Test
    void truncatedAndCorruptFilesAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.path("tiny-f32/model.safetensors"));
        long header = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        for (long cut : new long[]{0, 5, 8, 9, header, header + 8, header + 9, whole.length / 2, whole.length - 1}) {
            Path p = tmp.resolve("cut.safetensors");
            Files.write(p, Arrays.copyOf(whole, (int) cut));
            Fixtures.refuses("cut.safetensors: ", () -> SafetensorsCheckpoint.read(p));
        }
        byte[] b = whole.clone();
        b[8] = '[';                                                      // header no longer a JSON object
        Path p = tmp.resolve("bad.safetensors");
        Files.write(p, b);
        Fixtures.refuses("bad.safetensors: safetensors header is not", () -> SafetensorsCheckpoint.read(p));
    }

    /** Damaged headers and lengths: either a successful read or a one-line NeuroscanException, nothing else. */
    @Test
    void randomDamageGivesOnlyNeuroscanExceptions() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.path("gelu-new/model.safetensors"));
        int header = (int) ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN).getLong(0) + 8;
        var rnd = new Random(7);
        Path p = tmp.resolve("damaged.safetensors");
        for (int round = 0; round < 300; round++) {
            byte[] b = whole.clone();
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                int at = rnd.nextInt(header);
                String jsonish = "0123456789[]{},:\"-eE. F";
                b[at] = (byte) jsonish.charAt(rnd.nextInt(jsonish.length()));   // damage that keeps it JSON-like
            }
            Files.write(p, b);
            try {
                SafetensorsCheckpoint.read(p);
            } catch (NeuroscanException e) {
                assertTrue(e.getMessage().startsWith("damaged.safetensors: ") && !e.getMessage().contains("\n"), e.getMessage());
            } catch (Throwable t) {
                fail("round " + round + ": " + t, t);
            }
        }
    }
}
