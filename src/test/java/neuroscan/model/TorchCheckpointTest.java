package neuroscan.model;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link TorchCheckpoint} on files real torch.save wrote (weights/make_fixtures.py) and on hand-made ones. */
class TorchCheckpointTest {
    @TempDir
    Path tmp;

    private static Map<String, Tensor> pth(String fixture) {
        return TorchCheckpoint.read(Fixtures.path(fixture).resolve("model_final.pth"));
    }

    // ------------------------------------------------------------------------------------ torch.save files

    /** tiny-f32's .pth stores views (offsets, transposes, a permutation, a shared storage); the .safetensors plain copies. */
    @Test
    void stridedAndOffsetViewsReadAsTheirValues() {
        Map<String, Tensor> views = pth("tiny-f32");
        Map<String, Tensor> plain = SafetensorsCheckpoint.read(Fixtures.path("tiny-f32/model.safetensors"));
        assertEquals(List.copyOf(plain.keySet()), List.copyOf(views.keySet()));
        for (String name : plain.keySet()) {
            assertArrayEquals(plain.get(name).shape(), views.get(name).shape(), name);
            assertArrayEquals(plain.get(name).toArray(), views.get(name).toArray(), name);
        }
        assertEquals(16 * 32, views.get("blocks.1.mlp.W_in").numel());
    }

    @Test
    void float32IsZeroCopyAndViewsAreCopies() {
        Map<String, Tensor> t = pth("tiny-f32");
        assertTrue(t.get("embed.W_E").data().isMapped(), "contiguous float32 should be a slice of the mapped file");
        assertTrue(t.get("blocks.0.mlp.b_in").data().isMapped());
        assertTrue(t.get("blocks.0.attn.b_K").data().isMapped(), "offset into a shared storage is still contiguous");
        assertFalse(t.get("blocks.0.mlp.W_in").data().isMapped(), "a transposed view must be materialised");
        assertFalse(t.get("unembed.W_U").data().isMapped());
    }

    /** float16 / bfloat16 storages widen to exactly the float32 value torch rounded them from. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-f16", "tiny-bf16"})
    void halfPrecisionWidensExactly(String fixture) {
        Map<String, Tensor> f32 = pth("tiny-f32"), low = pth(fixture);
        Map<String, Tensor> lowSt = SafetensorsCheckpoint.read(Fixtures.path(fixture).resolve("model.safetensors"));
        boolean bf16 = fixture.endsWith("bf16");
        for (String name : f32.keySet()) {
            float[] want = f32.get(name).toArray(), got = low.get(name).toArray();
            for (int i = 0; i < want.length; i++) {
                float w = bf16 ? roundToBfloat16(want[i]) : Float.float16ToFloat(Float.floatToFloat16(want[i]));
                assertEquals(w, got[i], name + "[" + i + "]");
            }
            assertArrayEquals(got, lowSt.get(name).toArray(), name);
            assertFalse(low.get(name).data().isMapped());
        }
    }

    /** Round to nearest even on the top 16 bits, as torch's float -> bfloat16 conversion does. */
    private static float roundToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }

    @Test
    void readsAStateDictWithBuffersAndMetadata() {
        Map<String, Tensor> t = pth("gelu1l-mini");          // nn.Module.state_dict(): BUILD of _metadata, bool mask
        Tensor mask = t.get("blocks.0.attn.mask"), ignore = t.get("blocks.0.attn.IGNORE");
        assertArrayEquals(new long[]{32, 32}, mask.shape());
        for (int i = 0; i < 32; i++) for (int j = 0; j < 32; j++) assertEquals(j <= i ? 1f : 0f, mask.get(i * 32L + j));
        assertArrayEquals(new long[0], ignore.shape());
        assertEquals(Float.NEGATIVE_INFINITY, ignore.get(0));
        assertEquals(List.of("embed.W_E", "pos_embed.W_pos", "blocks.0.ln1.w", "blocks.0.ln1.b", "blocks.0.ln2.w",
                "blocks.0.ln2.b", "blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V", "blocks.0.attn.W_O",
                "blocks.0.attn.b_Q", "blocks.0.attn.b_K", "blocks.0.attn.b_V", "blocks.0.attn.b_O", "blocks.0.attn.mask",
                "blocks.0.attn.IGNORE", "blocks.0.mlp.W_in", "blocks.0.mlp.b_in", "blocks.0.mlp.W_out", "blocks.0.mlp.b_out",
                "ln_final.w", "ln_final.b", "unembed.W_U", "unembed.b_U"), List.copyOf(t.keySet()));
    }

    @Test
    void readsProtocol4AndWrappedStateDicts() {
        assertArrayEquals(new long[]{2, 16, 5}, pth("gelu-new").get("blocks.0.attn.W_Q").shape());   // FRAME, MEMOIZE, STACK_GLOBAL
        Map<String, Tensor> lnpre = pth("lnpre");                                                   // {"model": sd, "step": 1234}
        assertTrue(lnpre.containsKey("embed.W_E") && !lnpre.containsKey("step") && !lnpre.containsKey("blocks.0.ln1.w"));
    }

    @Test
    void refusesForbiddenGlobalsByName() {
        assertEquals("evil-system.pth: pickle names global posix.system; refusing to load (only torch tensors are allowed)",
                Fixtures.refuses("evil-system.pth: ", () -> TorchCheckpoint.read(Fixtures.path("bad/evil-system.pth"))));
        assertEquals("evil-eval.pth: pickle names global builtins.eval; refusing to load (only torch tensors are allowed)",
                Fixtures.refuses("evil-eval.pth: ", () -> TorchCheckpoint.read(Fixtures.path("bad/evil-eval.pth"))));
    }

    @Test
    void refusesUnsupportedDtypes() {
        assertEquals("float64.pth: tensor blocks.0.mlp.W_in has unsupported dtype torch.DoubleStorage"
                        + " (neuroscan reads float32, float16 and bfloat16)",
                Fixtures.refuses("float64.pth: ", () -> TorchCheckpoint.read(Fixtures.path("bad/float64.pth"))));
    }

    @Test
    void refusesTheLegacyFormat() {
        Fixtures.refuses("legacy.pth: legacy torch.save format", () -> TorchCheckpoint.read(Fixtures.path("bad/legacy.pth")));
    }

    // ----------------------------------------------------------------------------------- damaged files

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.path("tiny-f32/model_final.pth"));
        for (int cut : new int[]{0, 1, 3, 4, 30, 64, 200, whole.length / 2, whole.length - 200, whole.length - 23,
                whole.length - 22, whole.length - 1}) {
            Path p = tmp.resolve("cut.pth");
            Files.write(p, Arrays.copyOf(whole, cut));
            Fixtures.refuses("cut.pth: ", () -> TorchCheckpoint.read(p));
        }
    }

    @Test
    void notAZipIsRefused() throws IOException {
        Path p = tmp.resolve("notes.pth");
        Files.writeString(p, "just some text, not a checkpoint\n");
        assertEquals("notes.pth: not a torch.save checkpoint (not a zip archive)", Fixtures.refuses("notes.pth: ", () -> TorchCheckpoint.read(p)));
        Fixtures.refuses("missing.pth: cannot read", () -> TorchCheckpoint.read(tmp.resolve("missing.pth")));
    }

    @Test
    void compressedEntriesAreRefused() throws IOException {
        Path p = tmp.resolve("deflated.pth");
        try (var zip = new ZipOutputStream(Files.newOutputStream(p))) {
            for (var e : entries(Fixtures.path("tiny-f32/model_final.pth")).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));                 // DEFLATED by default
                zip.write(e.getValue().toArray(ValueLayout.JAVA_BYTE));
                zip.closeEntry();
            }
        }
        assertEquals("deflated.pth: zip entry model_final/data.pkl is compressed (method 8); only stored entries are"
                + " supported, as torch.save writes them", Fixtures.refuses("deflated.pth: ", () -> TorchCheckpoint.read(p)));
    }

    @Test
    void corruptZipStructuresAreRefused() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.path("tiny-f32/model_final.pth"));
        int zip64Eocd = whole.length - 22 - 20 - 56;            // torch writes EOCD, zip64 locator and zip64 EOCD
        byte[] b = whole.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(zip64Eocd + 48, 1L << 40);   // central directory offset
        Fixtures.refuses("cdoffset.pth: corrupt zip central directory", () -> TorchCheckpoint.read(write("cdoffset.pth", b)));

        byte[] c = whole.clone();
        c[indexOf(c, new byte[]{'P', 'K', 3, 4}, 1)] = 'X';      // a storage's local header
        Fixtures.refuses("local.pth: corrupt zip: no local header for entry model_final/data/",
                () -> TorchCheckpoint.read(write("local.pth", c)));

        byte[] d = whole.clone();
        d[indexOf(d, new byte[]{'P', 'K', 1, 2}, 0)] = 'X';      // the first central directory header
        Fixtures.refuses("central.pth: corrupt zip central directory (entry 0)", () -> TorchCheckpoint.read(write("central.pth", d)));
    }

    @Test
    void missingStoragesAndOutOfRangeViewsAreRefused() {
        Path p = tmp.resolve("m.pth");
        new TorchCheckpointWriter().add("a", new float[]{1, 2, 3}, 3).write(p);
        Map<String, MemorySegment> e = new LinkedHashMap<>(entries(p));
        e.remove("archive/data/0");
        Path q = tmp.resolve("nostorage.pth");
        TorchCheckpointWriter.writeZip(q, e, false);
        assertEquals("nostorage.pth: storage data/0 is missing from the archive", Fixtures.refuses("nostorage.pth: ", () -> TorchCheckpoint.read(q)));

        Path r = tmp.resolve("past.pth");
        new TorchCheckpointWriter().addView("a", TorchCheckpointWriter.f32(new float[6]), 2, new long[]{2, 3}, new long[]{3, 1}).write(r);
        assertEquals("past.pth: tensor a reads element 7 of storage data/0, which has 6", Fixtures.refuses("past.pth: ", () -> TorchCheckpoint.read(r)));
    }

    @Test
    void bigEndianCheckpointsAreRefused() {
        Path p = tmp.resolve("be.pth");
        new TorchCheckpointWriter().add("a", new float[]{1}, 1).write(p);
        Map<String, MemorySegment> e = new LinkedHashMap<>(entries(p));
        e.put("archive/byteorder", MemorySegment.ofArray("big".getBytes(StandardCharsets.US_ASCII)));
        TorchCheckpointWriter.writeZip(p, e, false);
        Fixtures.refuses("be.pth: saved with byte order 'big'", () -> TorchCheckpoint.read(p));
        e.put("archive/byteorder", MemorySegment.ofArray("little".getBytes(StandardCharsets.US_ASCII)));
        TorchCheckpointWriter.writeZip(p, e, false);
        assertEquals(1f, TorchCheckpoint.read(p).get("a").get(0));
    }

    /** Whatever bytes are damaged, the reader either succeeds or explains: never another exception or a crash. */
    @Test
    void randomDamageGivesOnlyNeuroscanExceptions() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.path("gelu1l-mini/model_final.pth"));
        var pkl = ZipArchive.entries(MemorySegment.ofArray(whole), "x").get("model_final/data.pkl");
        var rnd = new Random(42);
        int refused = 0;
        for (int round = 0; round < 600; round++) {
            byte[] b = whole.clone();
            boolean inPickle = round % 2 == 0;   // half the damage goes where it matters most
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                int at = inPickle ? (int) pkl.dataOffset() + rnd.nextInt((int) pkl.size()) : rnd.nextInt(b.length);
                b[at] = (byte) rnd.nextInt(256);
            }
            try {
                TorchCheckpoint.read(MemorySegment.ofArray(b), "damaged.pth");
            } catch (NeuroscanException e) {
                assertTrue(e.getMessage().startsWith("damaged.pth: ") && !e.getMessage().contains("\n"), e.getMessage());
                refused++;
            } catch (Throwable t) {
                fail("round " + round + ": " + t, t);
            }
        }
        assertTrue(refused > 100, "only " + refused + " damaged files refused");
    }

    // ------------------------------------------------------------------------ hand-computed views

    @Test
    void offsetsStridesAndExpansions() {
        float[] s = new float[24];
        for (int i = 0; i < s.length; i++) s[i] = i;
        var storage = TorchCheckpointWriter.f32(s);
        Path p = tmp.resolve("views.pth");
        new TorchCheckpointWriter()
                .addView("strided", storage, 1, new long[]{3, 2}, new long[]{4, 2})         // 1 + 4i + 2j
                .addView("expanded", storage, 5, new long[]{2, 3}, new long[]{0, 1})        // stride 0 repeats a row
                .addView("permuted", storage, 0, new long[]{2, 3, 4}, new long[]{1, 8, 2})  // (i, j, k) -> i + 8j + 2k
                .addView("unit-dims", storage, 4, new long[]{1, 4, 1}, new long[]{99, 1, 7}) // contiguous despite strides
                .addView("empty", storage, 24, new long[]{0, 4}, new long[]{4, 1})
                .addView("scalar", storage, 23, new long[0], new long[0])
                .write(p);
        Map<String, Tensor> t = TorchCheckpoint.read(p);
        assertArrayEquals(new float[]{1, 3, 5, 7, 9, 11}, t.get("strided").toArray());
        assertArrayEquals(new float[]{5, 6, 7, 5, 6, 7}, t.get("expanded").toArray());
        float[] want = new float[24];
        for (int i = 0, n = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) want[n++] = i + 8 * j + 2 * k;
        assertArrayEquals(want, t.get("permuted").toArray());
        assertArrayEquals(new float[]{4, 5, 6, 7}, t.get("unit-dims").toArray());
        assertTrue(t.get("unit-dims").data().isMapped());
        assertEquals(0, t.get("empty").numel());
        assertArrayEquals(new float[]{23}, t.get("scalar").toArray());
        assertArrayEquals(new long[0], t.get("scalar").shape());
    }

    @Test
    void halfPrecisionAndBoolViews() {
        float[] values = {0.5f, -1.25f, 3f, 65504f, -0f, 1e-7f};
        byte[] f16 = new byte[12], bf16 = new byte[12];
        var h = ByteBuffer.wrap(f16).order(ByteOrder.LITTLE_ENDIAN);
        var b = ByteBuffer.wrap(bf16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            h.putShort(Float.floatToFloat16(v));
            b.putShort((short) (Float.floatToRawIntBits(roundToBfloat16(v)) >>> 16));
        }
        Path p = tmp.resolve("half.pth");
        new TorchCheckpointWriter()
                .addView("h", TorchCheckpointWriter.raw("HalfStorage", f16), 0, new long[]{3, 2}, new long[]{1, 3})   // transposed
                .addView("b", TorchCheckpointWriter.raw("BFloat16Storage", bf16), 1, new long[]{5}, new long[]{1})
                .addView("m", TorchCheckpointWriter.raw("BoolStorage", new byte[]{0, 1, 1, 0}), 0, new long[]{2, 2}, new long[]{2, 1})
                .write(p);
        Map<String, Tensor> t = TorchCheckpoint.read(p);
        float[] half = new float[6];
        for (int i = 0; i < 6; i++) half[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        assertArrayEquals(new float[]{half[0], half[3], half[1], half[4], half[2], half[5]}, t.get("h").toArray());
        float[] bw = new float[5];
        for (int i = 0; i < 5; i++) bw[i] = roundToBfloat16(values[i + 1]);
        assertArrayEquals(bw, t.get("b").toArray());
        assertArrayEquals(new float[]{0, 1, 1, 0}, t.get("m").toArray());
    }

    @Test
    void zip64ArchivesRead() {
        Path p = tmp.resolve("z64.pth");
        new TorchCheckpointWriter().forceZip64(true).add("a", new float[]{1, 2, 3, 4}, 2, 2).add("b", new float[]{5}, 1).write(p);
        Map<String, Tensor> t = TorchCheckpoint.read(p);
        assertArrayEquals(new float[]{1, 2, 3, 4}, t.get("a").toArray());
        assertArrayEquals(new float[]{5}, t.get("b").toArray());
        assertTrue(t.get("a").data().isMapped());
    }

    // ------------------------------------------------------------------------------------------ helpers

    private Path write(String name, byte[] b) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, b);
        return p;
    }

    private static int indexOf(byte[] hay, byte[] needle, int nth) {
        for (int i = 0, seen = 0; i <= hay.length - needle.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length) && seen++ == nth) return i;
        }
        throw new IllegalArgumentException("not found");
    }

    /** Every entry's bytes, read through our own zip reader (the entries are uncompressed). */
    static Map<String, MemorySegment> entries(Path zip) {
        try (FileChannel ch = FileChannel.open(zip)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            Map<String, MemorySegment> out = new LinkedHashMap<>();
            ZipArchive.entries(file, zip.getFileName().toString())
                    .forEach((n, e) -> out.put(n, MemorySegment.ofArray(file.asSlice(e.dataOffset(), e.size()).toArray(ValueLayout.JAVA_BYTE))));
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
