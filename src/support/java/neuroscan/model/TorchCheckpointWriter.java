package neuroscan.model;

import neuroscan.format.AtomicFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Writes {@code torch.save}-format state dicts without Python, for tests and benchmarks: a zip of stored
 * entries, each entry's data 64-byte aligned by padding its local header's extra field (as PyTorch
 * does), holding {@code <archive>/data.pkl} (a protocol-2 pickle of an OrderedDict of
 * {@code torch._utils._rebuild_tensor_v2} calls with persistent-id storages, as torch writes it),
 * {@code <archive>/data/<key>} raw little-endian storages and {@code <archive>/version}.
 * Checked against files written by real torch.save in {@code TorchCheckpointWriterTest}.
 *
 * <pre>{@code
 * new TorchCheckpointWriter()
 *     .add("embed.W_E", values, 50, 16)                                   // contiguous float32
 *     .addView("pos_embed.W_pos", TorchCheckpointWriter.f32(big), 48, new long[]{24, 16}, new long[]{16, 1})
 *     .write(dir.resolve("model_final.pth"));
 * }</pre>
 */
public final class TorchCheckpointWriter {

    /** Element sizes of the storage classes a test may write (readable or not). */
    private static final Map<String, Integer> ELEMENT_SIZE = Map.of("FloatStorage", 4, "HalfStorage", 2,
            "BFloat16Storage", 2, "BoolStorage", 1, "DoubleStorage", 8, "LongStorage", 8, "IntStorage", 4);

    /** A torch storage: its class name (e.g. {@code "HalfStorage"}) and raw little-endian bytes. */
    public record Storage(String type, MemorySegment bytes) {
        public Storage {
            if (!ELEMENT_SIZE.containsKey(type)) throw new IllegalArgumentException("unknown storage type " + type);
        }

        long numel() {
            return bytes.byteSize() / ELEMENT_SIZE.get(type);
        }
    }

    /** A float32 storage holding {@code values}. */
    public static Storage f32(float[] values) {
        return new Storage("FloatStorage", MemorySegment.ofArray(values));
    }

    /** A storage of any type from raw little-endian bytes. */
    public static Storage raw(String type, byte[] littleEndian) {
        return new Storage(type, MemorySegment.ofArray(littleEndian));
    }

    private record Item(String name, Storage storage, long offset, long[] size, long[] stride) {
    }

    private final List<Item> items = new ArrayList<>();
    private String archive = "archive";
    private boolean zip64;

    /** The zip's top folder (torch uses the file's stem before 2.0, "archive" since). */
    public TorchCheckpointWriter archiveName(String name) {
        this.archive = name;
        return this;
    }

    /** Writes zip64 sizes and offsets even where 32 bits would do, as torch does for files over 4 GiB. */
    public TorchCheckpointWriter forceZip64(boolean on) {
        this.zip64 = on;
        return this;
    }

    /** A contiguous float32 tensor with its own storage. */
    public TorchCheckpointWriter add(String name, float[] values, long... shape) {
        if (Tensor.numel(shape) != values.length) throw new IllegalArgumentException(name + ": shape does not match values");
        return addView(name, f32(values), 0, shape, Dtype.contiguousStrides(shape));
    }

    /** A view of {@code storage} (several views may share one storage): offset and strides in elements. */
    public TorchCheckpointWriter addView(String name, Storage storage, long offset, long[] size, long[] stride) {
        items.add(new Item(name, storage, offset, size.clone(), stride.clone()));
        return this;
    }

    /** Writes the checkpoint atomically. */
    public void write(Path file) {
        Map<Storage, String> keys = new IdentityHashMap<>();
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put(archive + "/data.pkl", null);                       // first, as torch writes it
        for (Item it : items) {
            keys.computeIfAbsent(it.storage(), s -> {
                String key = Integer.toString(keys.size());
                entries.put(archive + "/data/" + key, s.bytes());
                return key;
            });
        }
        entries.put(archive + "/data.pkl", MemorySegment.ofArray(pickle(keys)));
        entries.put(archive + "/version", MemorySegment.ofArray("3\n".getBytes(StandardCharsets.US_ASCII)));
        writeZip(file, entries, zip64);
    }

    // ------------------------------------------------------------------------------------------ pickle

    private byte[] pickle(Map<Storage, String> keys) {
        var p = new ByteArrayOutputStream();
        p.write(0x80);
        p.write(2);                                                    // PROTO 2
        global(p, "collections", "OrderedDict");
        p.write(')');                                                  // EMPTY_TUPLE
        p.write('R');                                                  // REDUCE -> OrderedDict()
        p.write('(');                                                  // MARK
        for (Item it : items) {
            unicode(p, it.name());
            global(p, "torch._utils", "_rebuild_tensor_v2");
            p.write('(');
            p.write('(');                                              // persistent id tuple
            unicode(p, "storage");
            global(p, "torch", it.storage().type());
            unicode(p, keys.get(it.storage()));
            unicode(p, "cpu");
            integer(p, it.storage().numel());
            p.write('t');                                              // TUPLE
            p.write('Q');                                              // BINPERSID
            integer(p, it.offset());
            tuple(p, it.size());
            tuple(p, it.stride());
            p.write(0x89);                                             // NEWFALSE: requires_grad
            global(p, "collections", "OrderedDict");                   // backward_hooks = OrderedDict()
            p.write(')');
            p.write('R');
            p.write('t');
            p.write('R');                                              // _rebuild_tensor_v2(...)
        }
        p.write('u');                                                  // SETITEMS
        p.write('.');                                                  // STOP
        return p.toByteArray();
    }

    private static void global(ByteArrayOutputStream p, String module, String name) {
        p.write('c');
        p.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void unicode(ByteArrayOutputStream p, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        p.write('X');
        p.writeBytes(le(4).putInt(b.length).array());
        p.writeBytes(b);
    }

    /** The smallest of BININT1 / BININT2 / BININT / LONG1, like Python's pickler. */
    private static void integer(ByteArrayOutputStream p, long v) {
        if (v >= 0 && v < 256) {
            p.write('K');
            p.write((int) v);
        } else if (v >= 0 && v < 65536) {
            p.write('M');
            p.writeBytes(le(2).putShort((short) v).array());
        } else if (v == (int) v) {
            p.write('J');
            p.writeBytes(le(4).putInt((int) v).array());
        } else {
            byte[] b = le(8).putLong(v).array();
            int n = 8;
            while (n > 1 && (b[n - 1] == 0 && b[n - 2] >= 0 || b[n - 1] == -1 && b[n - 2] < 0)) n--;
            p.write(0x8a);
            p.write(n);
            p.write(b, 0, n);
        }
    }

    private static void tuple(ByteArrayOutputStream p, long[] v) {
        if (v.length == 0) {
            p.write(')');
            return;
        }
        if (v.length > 3) p.write('(');
        for (long x : v) integer(p, x);
        p.write(switch (v.length) {
            case 1 -> 0x85;
            case 2 -> 0x86;
            case 3 -> 0x87;
            default -> 't';
        });
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    // --------------------------------------------------------------------------------------------- zip

    /**
     * A zip of stored entries, in order, each entry's data 64-byte aligned, with a zip64 end-of-central-
     * directory record as torch writes one. With {@code zip64}, sizes and offsets go in zip64 extra
     * fields behind 0xffffffff markers. Any entry may be written this way, so tests can build odd archives.
     */
    public static void writeZip(Path file, Map<String, MemorySegment> entries, boolean zip64) {
        AtomicFiles.write(file, out -> {
            var w = new CountingOut(out);
            var central = new ByteArrayOutputStream();
            for (var e : entries.entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                MemorySegment data = e.getValue();
                long size = data.byteSize(), offset = w.count;
                int crc = crc32(data);
                int headerLen = 30 + name.length + (zip64 ? 20 : 0);
                int pad = (int) ((64 - (offset + headerLen + 4) % 64) % 64);  // +4: the padding field's header
                ByteBuffer h = le(headerLen + 4 + pad);
                h.putInt(0x04034b50).putShort((short) (zip64 ? 45 : 20)).putShort((short) 0x0800).putShort((short) 0)
                        .putInt(0).putInt(crc)
                        .putInt(zip64 ? -1 : (int) size).putInt(zip64 ? -1 : (int) size)
                        .putShort((short) name.length).putShort((short) (h.capacity() - 30 - name.length)).put(name);
                if (zip64) h.putShort((short) 1).putShort((short) 16).putLong(size).putLong(size);
                h.putShort((short) 0x4246).putShort((short) pad);             // "FB": torch's alignment padding
                while (h.hasRemaining()) h.put((byte) 'Z');
                w.write(h.array());
                w.write(data);

                ByteBuffer c = le(46 + name.length + (zip64 ? 28 : 0));
                c.putInt(0x02014b50).putShort((short) (zip64 ? 45 : 20)).putShort((short) (zip64 ? 45 : 20))
                        .putShort((short) 0x0800).putShort((short) 0).putInt(0).putInt(crc)
                        .putInt(zip64 ? -1 : (int) size).putInt(zip64 ? -1 : (int) size)
                        .putShort((short) name.length).putShort((short) (zip64 ? 28 : 0)).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(0).putInt(zip64 ? -1 : (int) offset).put(name);
                if (zip64) c.putShort((short) 1).putShort((short) 24).putLong(size).putLong(size).putLong(offset);
                central.write(c.array());
            }
            long cdOffset = w.count, cdSize = central.size(), n = entries.size();
            w.write(central.toByteArray());
            long z64 = w.count;
            w.write(le(56).putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                    .putLong(n).putLong(n).putLong(cdSize).putLong(cdOffset).array());
            w.write(le(20).putInt(0x07064b50).putInt(0).putLong(z64).putInt(1).array());
            w.write(le(22).putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xffff : n)).putShort((short) (zip64 ? 0xffff : n))
                    .putInt(zip64 ? -1 : (int) cdSize).putInt(zip64 ? -1 : (int) cdOffset).putShort((short) 0).array());
        });
    }

    private static int crc32(MemorySegment data) {
        var crc = new CRC32();
        byte[] buf = new byte[1 << 16];
        for (long p = 0; p < data.byteSize(); p += buf.length) {
            int n = (int) Math.min(buf.length, data.byteSize() - p);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, p, buf, 0, n);
            crc.update(buf, 0, n);
        }
        return (int) crc.getValue();
    }

    private static final class CountingOut {
        final OutputStream out;
        long count;

        CountingOut(OutputStream out) {
            this.out = out;
        }

        void write(byte[] b) throws IOException {
            out.write(b);
            count += b.length;
        }

        /** Heap float[] segments are native-endian; x86 and ARM are little-endian, as torch's storages. */
        void write(MemorySegment s) throws IOException {
            byte[] buf = new byte[1 << 16];
            for (long p = 0; p < s.byteSize(); p += buf.length) {
                int n = (int) Math.min(buf.length, s.byteSize() - p);
                MemorySegment.copy(s, ValueLayout.JAVA_BYTE, p, buf, 0, n);
                out.write(buf, 0, n);
            }
            count += s.byteSize();
        }
    }

    // ------------------------------------------------------------------------------- gelu-1l-shaped

    /** gelu-1l's architecture: 1 layer, d_model 512, 8 heads, d_mlp 2048, n_ctx 1024, d_vocab 48262. */
    public static final ModelConfig GELU_1L = new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5,
            "NeelNanda/gpt-neox-tokenizer-digits");

    /**
     * A random float32 model with gelu-1l's names and shapes (213 MB), written as {@code dir/config.json}
     * + {@code dir/model_final.pth}. For benchmarks and load-time checks; the weights are noise.
     *
     * @return the .pth file
     */
    public static Path writeGelu1lShaped(Path dir, long seed) {
        return writeRandom(dir, GELU_1L, seed);
    }

    /**
     * A random float32 model of any {@code LN} config, in TransformerLens names (with the attention mask
     * and IGNORE buffers gelu-1l has), as {@code dir/config.json} + {@code dir/model_final.pth}.
     */
    public static Path writeRandom(Path dir, ModelConfig c, long seed) {
        return writeRandom(dir, c, seed, (name, values) -> { });
    }

    /** {@link #writeRandom(Path, ModelConfig, long)} with {@code edit} applied to the MLP's weights by name (e.g. a NaN bias). */
    public static Path writeRandom(Path dir, ModelConfig c, long seed, java.util.function.BiConsumer<String, float[]> edit) {
        if (!c.hasLnWeights()) throw new IllegalArgumentException("writeRandom makes LN models only");
        var rng = new SplittableRandom(seed);
        var w = new TorchCheckpointWriter().archiveName("model_final");
        int dm = c.dModel(), h = c.nHeads(), dh = c.dHead(), mlp = c.dMlp(), ctx = c.nCtx(), vocab = c.dVocab();
        w.add("embed.W_E", noise(rng, (long) vocab * dm, 1f, 0), vocab, dm);
        w.add("pos_embed.W_pos", noise(rng, (long) ctx * dm, 0.5f, 0), ctx, dm);
        byte[] tril = new byte[ctx * ctx];                             // bool buffer, as TransformerLens saves it
        for (int i = 0; i < ctx; i++) for (int j = 0; j <= i; j++) tril[i * ctx + j] = 1;
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blocks." + l + ".";
            w.add(p + "ln1.w", noise(rng, dm, 0.2f, 1), dm).add(p + "ln1.b", noise(rng, dm, 0.1f, 0), dm);
            for (String n : List.of("W_Q", "W_K", "W_V")) w.add(p + "attn." + n, noise(rng, (long) h * dm * dh, 2f / (float) Math.sqrt(dm), 0), h, dm, dh);
            w.add(p + "attn.W_O", noise(rng, (long) h * dh * dm, 1f / (float) Math.sqrt(dh), 0), h, dh, dm);
            for (String n : List.of("b_Q", "b_K", "b_V")) w.add(p + "attn." + n, noise(rng, (long) h * dh, 0.1f, 0), h, dh);
            w.add(p + "attn.b_O", noise(rng, dm, 0.1f, 0), dm);
            w.addView(p + "attn.mask", raw("BoolStorage", tril), 0, new long[]{ctx, ctx}, new long[]{ctx, 1});
            w.add(p + "attn.IGNORE", new float[]{Float.NEGATIVE_INFINITY});
            w.add(p + "ln2.w", noise(rng, dm, 0.2f, 1), dm).add(p + "ln2.b", noise(rng, dm, 0.1f, 0), dm);
            float[] wIn = noise(rng, (long) dm * mlp, 2f / (float) Math.sqrt(dm), 0), bIn = noise(rng, mlp, 0.3f, 0);
            edit.accept(p + "mlp.W_in", wIn);
            edit.accept(p + "mlp.b_in", bIn);
            w.add(p + "mlp.W_in", wIn, dm, mlp);
            w.add(p + "mlp.b_in", bIn, mlp);
            w.add(p + "mlp.W_out", noise(rng, (long) mlp * dm, 1f / (float) Math.sqrt(mlp), 0), mlp, dm);
            w.add(p + "mlp.b_out", noise(rng, dm, 0.1f, 0), dm);
            if (c.solu()) w.add(p + "mlp.ln.w", noise(rng, mlp, 0.2f, 1), mlp).add(p + "mlp.ln.b", noise(rng, mlp, 0.1f, 0), mlp);
        }
        w.add("ln_final.w", noise(rng, dm, 0.2f, 1), dm).add("ln_final.b", noise(rng, dm, 0.1f, 0), dm);
        w.add("unembed.W_U", noise(rng, (long) dm * vocab, 1f / (float) Math.sqrt(dm), 0), dm, vocab);
        w.add("unembed.b_U", noise(rng, vocab, 0.1f, 0), vocab);
        Path pth = dir.resolve("model_final.pth");
        w.write(pth);
        AtomicFiles.writeString(dir.resolve(ModelLoader.CONFIG), configJson(c));
        return pth;
    }

    /** {@code c} as a Neel-style config.json. */
    public static String configJson(ModelConfig c) {
        var o = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("n_layers", c.nLayers()).put("d_model", c.dModel()).put("d_mlp", c.dMlp())
                .put("d_head", c.dHead()).put("n_heads", c.nHeads()).put("n_ctx", c.nCtx()).put("d_vocab", c.dVocab())
                .put("act_fn", c.actFn()).put("normalization", c.normalization()).put("shortformer_pos", false)
                .put("attn_only", false).put("ln_eps", c.eps());
        if (c.tokenizerName() != null) o.put("tokenizer_name", c.tokenizerName());
        return o.toPrettyString();
    }

    /** Uniform noise in mean ± scale: cheap to make, and nothing here depends on its distribution. */
    private static float[] noise(SplittableRandom rng, long n, float scale, float mean) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = mean + scale * (2 * (float) rng.nextDouble() - 1);
        return v;
    }

    /**
     * {@code java ... TorchCheckpointWriter DIR}: writes the gelu-1l-shaped checkpoint to DIR and prints
     * how long {@link ModelLoader#load} takes on it.
     */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/gelu1l-shaped");
        long t0 = System.nanoTime();
        Path pth = writeGelu1lShaped(dir, 1);
        long t1 = System.nanoTime();
        LoadedModel m = ModelLoader.load(dir);
        long t2 = System.nanoTime();
        System.out.printf("wrote %s (%d bytes) in %.2f s; ModelLoader.load took %.3f s (W_E %s)%n", pth,
                pth.toFile().length(), (t1 - t0) / 1e9, (t2 - t1) / 1e9, m.weights().W_E().shapeString());
    }
}
