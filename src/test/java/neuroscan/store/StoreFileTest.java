package neuroscan.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class StoreFileTest {
    @TempDir
    Path tmp;

    /** 30 documents with random maxima into a k = 4 store; neuron 0 sees only two documents. */
    static TopK sample(long seed, boolean reversed) {
        Random r = new Random(seed);
        int dMlp = 5, n = 30;
        float[] max = new float[n * dMlp];
        int[] arg = new int[n * dMlp], ids = new int[n];
        for (int d = 0; d < n; d++) {
            ids[d] = 100 + d;
            for (int j = 0; j < dMlp; j++) {
                max[d * dMlp + j] = j == 0 && d >= 2 ? Float.NaN : (float) r.nextGaussian();
                arg[d * dMlp + j] = r.nextInt(1000);
            }
        }
        TopK t = new TopK(4, dMlp);
        for (int d0 = 0; d0 < n; d0++) {
            int d = reversed ? n - 1 - d0 : d0;
            float[] m = new float[dMlp];
            int[] a = new int[dMlp];
            System.arraycopy(max, d * dMlp, m, 0, dMlp);
            System.arraycopy(arg, d * dMlp, a, 0, dMlp);
            t.merge(1, new int[]{ids[d]}, m, a);
        }
        return t;
    }

    @Test
    void roundTripsAndBytesDependOnlyOnContents() throws Exception {
        TopK t = sample(1, false);
        assertEquals(-1, t.doc(2, 0));
        StoreFile s = new StoreFile(t, new DocRange(100, 130), true);
        s.write(tmp.resolve("a.safetensors"));
        new StoreFile(sample(1, true), new DocRange(100, 130), true).write(tmp.resolve("b.safetensors"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a.safetensors")), Files.readAllBytes(tmp.resolve("b.safetensors")));

        StoreFile back = StoreFile.read(tmp.resolve("a.safetensors"));
        assertEquals(t, back.topK());
        assertEquals(new DocRange(100, 130), back.docs());
        assertTrue(back.includePadding());
        assertEquals(Map.of(), back.extra());

        Map<String, String> extra = Map.of("n_tokens", "77", "zeta", "z");
        new StoreFile(t, new DocRange(100, 130), false, extra, neuroscan.store.Hook.single(t.neurons())).write(tmp.resolve("c.safetensors"));
        assertEquals(extra, StoreFile.read(tmp.resolve("c.safetensors")).extra());
    }

    @Test
    void layoutIsTheDocumentedSafetensors() throws Exception {
        TopK t = sample(2, false);
        new StoreFile(t, new DocRange(100, 130), false).write(tmp.resolve("s.safetensors"));
        byte[] b = Files.readAllBytes(tmp.resolve("s.safetensors"));
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        JsonNode h = new ObjectMapper().readTree(new String(b, 8, n, StandardCharsets.UTF_8));
        assertEquals("F32", h.get("blocks.0.mlp.hook_post.max").get("dtype").asText());
        assertEquals("I32", h.get("blocks.0.mlp.hook_post.doc").get("dtype").asText());
        assertEquals("[4,5]", h.get("blocks.0.mlp.hook_post.pos").get("shape").toString());
        assertEquals("100", h.get("__metadata__").get("doc_start").asText());
        assertEquals("4", h.get("__metadata__").get("top_k").asText());
        // rank 1 of neuron 3 at [1, 3] row-major
        long docOff = 8 + n + h.get("blocks.0.mlp.hook_post.doc").get("data_offsets").get(0).asLong();
        assertEquals(t.doc(1, 3), bb.getInt((int) (docOff + 4L * (5 + 3))));
    }

    @Test
    void pythonReadsItWithNumpyAlone() throws Exception {
        TopK t = sample(3, false);
        new StoreFile(t, new DocRange(100, 130), false).write(tmp.resolve("store.safetensors"));
        String out = PythonCheck.run(tmp, """
                t, meta = load(sys.argv[0].replace("check.py", "store.safetensors"))
                print(meta["doc_start"], meta["doc_end"], list(t("blocks.0.mlp.hook_post.doc")[:, 0]), list(t("blocks.0.mlp.hook_post.doc")[:, 3]), repr(float(t("blocks.0.mlp.hook_post.max")[0, 3])), list(t("blocks.0.mlp.hook_post.pos")[:, 3]))
                """);
        String want = "100 130 [" + t.doc(0, 0) + ", " + t.doc(1, 0) + ", -1, -1] [" + t.doc(0, 3) + ", " + t.doc(1, 3) + ", "
                + t.doc(2, 3) + ", " + t.doc(3, 3) + "] " + (double) t.max(0, 3) + " [" + t.pos(0, 3) + ", " + t.pos(1, 3) + ", "
                + t.pos(2, 3) + ", " + t.pos(3, 3) + "]";
        assertEquals(want, out);
    }

    @Test
    void badFilesAreOneLineErrors() {
        Path f = tmp.resolve("bad.safetensors");
        Safetensors.write(f, Map.of("x", Safetensors.Entry.f32(new float[]{1}, 1)), Map.of("format", "other"));
        var e = assertThrows(NeuroscanException.class, () -> StoreFile.read(f));
        assertEquals(f + ": not a neuroscan store (metadata format is other, expected neuroscan-store/1)", e.getMessage());

        Map<String, Safetensors.Entry> ts = new LinkedHashMap<>();
        ts.put("blocks.0.mlp.hook_post.max", Safetensors.Entry.f32(new float[6], 2, 3));
        ts.put("blocks.0.mlp.hook_post.doc", Safetensors.Entry.f32(new float[6], 2, 3));
        Safetensors.write(f, ts, Map.of("format", StoreFile.FORMAT));
        e = assertThrows(NeuroscanException.class, () -> StoreFile.read(f));
        assertEquals(f + ": tensor blocks.0.mlp.hook_post.doc is F32, expected I32", e.getMessage());

        ts.put("blocks.0.mlp.hook_post.doc", Safetensors.Entry.i32(new int[6], 2, 3));
        Safetensors.write(f, ts, Map.of("format", StoreFile.FORMAT));
        e = assertThrows(NeuroscanException.class, () -> StoreFile.read(f));
        assertEquals(f + ": missing tensor blocks.0.mlp.hook_post.pos", e.getMessage());

        ts.put("blocks.0.mlp.hook_post.pos", Safetensors.Entry.i32(new int[6], 2, 3));
        Safetensors.write(f, ts, Map.of("format", StoreFile.FORMAT, "top_k", "2", "d_mlp", "3", "doc_start", "5"));
        e = assertThrows(NeuroscanException.class, () -> StoreFile.read(f));
        assertEquals(f + ": metadata doc_end is missing, expected a whole number", e.getMessage());
    }
}
