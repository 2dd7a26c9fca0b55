package neuroscan.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
 * header {@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}} and
 * raw little-endian data. Read by memory-mapping; written atomically. Python reads our files with
 * {@code safetensors.numpy.load_file}.
 */
public final class Safetensors {
    private Safetensors() {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    /** Bytes per element of the dtypes neuroscan reads or writes. */
    public static int dtypeSize(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I64", "F64" -> 8;
            case "U8", "I8", "BOOL" -> 1;
            default -> -1;
        };
    }

    /** One tensor: dtype as safetensors spells it ("F32", "F16", "BF16", "I32", ...), row-major data. */
    public record Entry(String dtype, long[] shape, MemorySegment data) {
        public long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        public static Entry f32(float[] v, long... shape) {
            return new Entry("F32", shape, MemorySegment.ofArray(v));
        }

        public static Entry i32(int[] v, long... shape) {
            return new Entry("I32", shape, MemorySegment.ofArray(v));
        }

        public static Entry i64(long[] v, long... shape) {
            return new Entry("I64", shape, MemorySegment.ofArray(v));
        }

        public long[] toLongArray() {
            requireDtype("I64");
            long[] out = new long[Math.toIntExact(numel())];
            MemorySegment.copy(data, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
            return out;
        }

        public float[] toFloatArray() {
            requireDtype("F32");
            float[] out = new float[Math.toIntExact(numel())];
            MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
            return out;
        }

        public int[] toIntArray() {
            requireDtype("I32");
            int[] out = new int[Math.toIntExact(numel())];
            MemorySegment.copy(data, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
            return out;
        }

        private void requireDtype(String want) {
            if (!dtype.equals(want)) throw new IllegalStateException("tensor is " + dtype + ", not " + want);
        }
    }

    /** A file's tensors (in header order) and its {@code __metadata__}. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {
    }

    /** Memory-maps {@code file}; the mapping lives as long as the returned segments are reachable. */
    public static Contents read(Path file) {
        String name = file.getFileName().toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new NeuroscanException(name + ": truncated safetensors file (" + size + " bytes)");
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n <= 0 || n > MAX_HEADER || 8 + n > size) {
                throw new NeuroscanException(name + ": truncated or corrupt safetensors header (length " + n
                        + ", file " + size + " bytes)");
            }
            byte[] hb = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb, StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                throw new NeuroscanException(name + ": safetensors header is not valid JSON");
            }
            if (header == null || !header.isObject()) throw new NeuroscanException(name + ": safetensors header is not a JSON object");
            long dataStart = 8 + n, dataLen = size - dataStart;
            Map<String, Entry> tensors = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                var f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(f.getKey(), entry(name, f.getKey(), f.getValue(), all.asSlice(dataStart, dataLen)));
            }
            return new Contents(tensors, meta);
        } catch (IOException e) {
            throw new NeuroscanException(name + ": cannot read: " + AtomicFiles.describe(e), e);
        }
    }

    private static Entry entry(String file, String tensor, JsonNode t, MemorySegment data) {
        String dtype = t.path("dtype").asText("");
        JsonNode shapeNode = t.path("shape"), off = t.path("data_offsets");
        if (!shapeNode.isArray() || !off.isArray() || off.size() != 2) {
            throw new NeuroscanException(file + ": tensor " + tensor + " has a malformed header entry");
        }
        int size = dtypeSize(dtype);
        if (size < 0) throw new NeuroscanException(file + ": tensor " + tensor + " has unsupported dtype " + dtype);
        long[] shape = new long[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) throw new NeuroscanException(file + ": tensor " + tensor + " has a negative dimension");
            numel *= shape[i];
        }
        long begin = off.get(0).asLong(-1), end = off.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > data.byteSize()) {
            throw new NeuroscanException(file + ": truncated: tensor " + tensor + " needs bytes " + begin + ".." + end
                    + " of " + data.byteSize());
        }
        if (end - begin != numel * size) {
            throw new NeuroscanException(file + ": tensor " + tensor + " has " + (end - begin) + " bytes for shape "
                    + Arrays.toString(shape) + " " + dtype);
        }
        return new Entry(dtype, shape, data.asSlice(begin, end - begin));
    }

    /** Writes tensors in the given order, header padded to 8 bytes like the reference implementation. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            Entry t = e.getValue();
            long bytes = t.numel() * dtypeSize(t.dtype());
            if (bytes != t.data().byteSize()) throw new IllegalArgumentException(e.getKey() + ": data size mismatch");
            ObjectNode o = header.putObject(e.getKey());
            o.put("dtype", t.dtype());
            var s = o.putArray("shape");
            for (long d : t.shape()) s.add(d);
            o.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] hb = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (hb.length + 7) / 8 * 8;
        AtomicFiles.write(file, out -> {
            byte[] len = new byte[8];
            MemorySegment.ofArray(len).set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, padded);
            out.write(len);
            out.write(hb);
            for (int i = hb.length; i < padded; i++) out.write(' ');
            byte[] buf = new byte[1 << 16];
            for (Entry t : tensors.values()) {
                MemorySegment src = t.data();
                for (long pos = 0; pos < src.byteSize(); pos += buf.length) {
                    int chunk = (int) Math.min(buf.length, src.byteSize() - pos);
                    // Heap float[]/int[] segments are native-endian; x86 and ARM are little-endian, as is the format.
                    MemorySegment.copy(src, pos, MemorySegment.ofArray(buf), 0, chunk);
                    out.write(buf, 0, chunk);
                }
            }
        });
    }
}
