package neuroscan.model;

import neuroscan.engine.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test/benchmark writer produces what torch.save produces, as far as any reader can tell. */
class TorchCheckpointWriterTest {
    @TempDir
    Path tmp;

    @Test
    void rewritesATorchSaveFileFaithfully() throws IOException {
        Path torchFile = Fixtures.path("gelu1l-mini/model_final.pth");
        Map<String, Tensor> original = TorchCheckpoint.read(torchFile);
        var w = new TorchCheckpointWriter().archiveName("model_final");
        original.forEach((n, t) -> w.add(n, t.toArray(), t.shape()));
        Path ours = tmp.resolve("model_final.pth");
        w.write(ours);

        Map<String, Tensor> back = TorchCheckpoint.read(ours);
        assertEquals(List.copyOf(original.keySet()), List.copyOf(back.keySet()));
        for (String n : original.keySet()) {
            assertArrayEquals(original.get(n).shape(), back.get(n).shape(), n);
            assertArrayEquals(original.get(n).toArray(), back.get(n).toArray(), n);
        }
        // Same archive layout as torch's: <archive>/data.pkl first, data/<key>, version; data 64-byte aligned.
        for (Path p : List.of(torchFile, ours)) {
            var entries = layout(p);
            assertEquals("model_final/data.pkl", entries.keySet().iterator().next(), p.toString());
            assertTrue(entries.containsKey("model_final/version") && entries.containsKey("model_final/data/0"), p.toString());
            entries.values().forEach(e -> assertEquals(0, e.dataOffset() % 64, p + " " + e.name()));
        }
    }

    /** java.util.zip, an independent zip reader, accepts our archives (zip64 too) and their CRCs. */
    @Test
    void javaUtilZipReadsOurArchives() throws IOException {
        for (boolean zip64 : new boolean[]{false, true}) {
            Path p = tmp.resolve("z" + zip64 + ".pth");
            new TorchCheckpointWriter().forceZip64(zip64).add("a", new float[]{1, 2, 3}, 3).add("b", new float[]{4}, 1).write(p);
            try (var zip = new ZipFile(p.toFile())) {
                assertEquals(List.of("archive/data.pkl", "archive/data/0", "archive/data/1", "archive/version"),
                        zip.stream().map(java.util.zip.ZipEntry::getName).toList());
                for (var e : zip.stream().toList()) {
                    var crc = new CRC32();
                    crc.update(zip.getInputStream(e).readAllBytes());
                    assertEquals(e.getCrc(), crc.getValue(), e.getName());
                }
            }
        }
    }

    /** writeRandom (the benchmark model's generator) at a small size: loads and runs. */
    @Test
    void writesLoadableRandomModels() {
        var c = new ModelConfig(2, 16, 2, 8, 32, 12, 40, "gelu", "LN", 1e-5, null);
        TorchCheckpointWriter.writeRandom(tmp, c, 3);
        LoadedModel m = ModelLoader.load(tmp);
        assertEquals(c, m.cfg());
        float[] post = new ReferenceForward(m.weights()).hookPost(new int[]{1, 5, 39}, 0);
        assertEquals(3 * 32, post.length);
        double sum = 0;
        for (float v : post) sum += Math.abs(v);
        assertTrue(sum > 1, "activations should not vanish");
    }

    private static Map<String, ZipArchive.Entry> layout(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            return ZipArchive.entries(file, p.getFileName().toString());
        }
    }
}
