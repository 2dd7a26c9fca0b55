package neuroscan.model;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;
import neuroscan.model.Pickle.Tuple;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@code torch.save} state dict ({@code .pth}, PyTorch 1.6+ zip format) in pure Java, without
 * running any of its pickle: {@code <archive>/data.pkl} is read by {@link Pickle}, which only knows the
 * few globals a state dict needs, and each tensor's storage is the raw little-endian entry
 * {@code <archive>/data/<key>}. The file is memory-mapped once; float32 tensors are slices of that
 * mapping, other types and strided views are copied once into off-heap float32 (see {@link Dtype}).
 */
public final class TorchCheckpoint {

    /** Storage classes by their torch name; null where we recognise the type but cannot read it. */
    private static final Map<String, Dtype> STORAGES = storages();

    private static Map<String, Dtype> storages() {
        Map<String, Dtype> m = new LinkedHashMap<>();
        m.put("FloatStorage", Dtype.F32);
        m.put("HalfStorage", Dtype.F16);
        m.put("BFloat16Storage", Dtype.BF16);
        m.put("BoolStorage", Dtype.BOOL);
        for (String s : List.of("DoubleStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage",
                "ByteStorage", "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
                "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage", "UntypedStorage")) {
            m.put(s, null);
        }
        return m;
    }

    /** A storage class named in the pickle, e.g. {@code torch.HalfStorage}. */
    private record StorageType(String name, Dtype dtype) {
    }

    /** A persistent-id storage: the archive entry {@code data/<key>}, {@code numel} elements. */
    private record Storage(StorageType type, String key, long numel, MemorySegment bytes) {
    }

    /** What {@code _rebuild_tensor_v2} describes: a view of a storage. */
    private record TensorRef(Storage storage, long offset, long[] size, long[] stride) {
    }

    private final MemorySegment file;
    private final String source;
    private final Map<String, ZipArchive.Entry> entries;
    private final String prefix;

    private TorchCheckpoint(MemorySegment file, String source, Map<String, ZipArchive.Entry> entries, String prefix) {
        this.file = file;
        this.source = source;
        this.entries = entries;
        this.prefix = prefix;
    }

    /**
     * The state dict's tensors by name, in the checkpoint's order (a new map, the caller's to change).
     * A top-level dict holding the state dict under {@code state_dict}, {@code model} or
     * {@code model_state_dict} is looked into. Non-tensor values are skipped.
     *
     * @throws NeuroscanException naming the file and the problem, for any unreadable or unsafe input
     */
    public static Map<String, Tensor> read(Path pth) {
        String source = pth.getFileName().toString();
        try (FileChannel ch = FileChannel.open(pth, StandardOpenOption.READ)) {
            return read(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto()), source);
        } catch (IOException e) {
            throw new NeuroscanException(source + ": cannot read: " + AtomicFiles.describe(e), e);
        }
    }

    static Map<String, Tensor> read(MemorySegment file, String source) {
        if (file.byteSize() >= 2 && (file.get(ValueLayout.JAVA_BYTE, 0) & 0xff) == 0x80) {
            throw new NeuroscanException(source + ": legacy torch.save format (PyTorch < 1.6) is not supported;"
                    + " re-save it with a newer PyTorch");
        }
        if (file.byteSize() < 4 || file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0) != 0x04034b50) {
            throw new NeuroscanException(source + ": not a torch.save checkpoint (not a zip archive)");
        }
        var entries = ZipArchive.entries(file, source);
        List<String> pkls = entries.keySet().stream()
                .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                .toList();
        if (pkls.size() != 1) {
            throw new NeuroscanException(source + ": not a torch.save checkpoint ("
                    + (pkls.isEmpty() ? "no" : pkls.size()) + " <archive>/data.pkl entries)");
        }
        String prefix = pkls.getFirst().substring(0, pkls.getFirst().length() - "data.pkl".length());
        return new TorchCheckpoint(file, source, entries, prefix).tensors(pkls.getFirst());
    }

    private Map<String, Tensor> tensors(String pklName) {
        checkByteOrder();
        Object top = Pickle.load(bytes(entries.get(pklName)).toArray(ValueLayout.JAVA_BYTE),
                source + ": " + pklName, this::global, this::storage);
        Map<?, ?> dict = stateDict(top);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : dict.entrySet()) {
            if (e.getKey() instanceof String name && e.getValue() instanceof TensorRef t) out.put(name, materialise(name, t));
        }
        return out;
    }

    /** PyTorch >= 2.1 records the saving machine's byte order; storages are raw native-endian bytes. */
    private void checkByteOrder() {
        var e = entries.get(prefix + "byteorder");
        if (e == null) return;
        String order = new String(bytes(e).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).trim();
        if (!order.equals("little")) {
            throw new NeuroscanException(source + ": saved with byte order '" + order + "'; only little-endian is supported");
        }
    }

    private Map<?, ?> stateDict(Object top) {
        if (!(top instanceof Map<?, ?> m)) throw new NeuroscanException(source + ": data.pkl does not hold a state dict");
        if (m.values().stream().anyMatch(v -> v instanceof TensorRef)) return m;
        for (String key : List.of("state_dict", "model", "model_state_dict")) {
            if (m.get(key) instanceof Map<?, ?> inner) return inner;
        }
        return m;
    }

    /** The only globals a state dict needs; anything else (os.system, builtins.eval...) is refused by name. */
    private Object global(String module, String name) {
        String q = module + "." + name;
        switch (q) {
            case "collections.OrderedDict":
                return (Pickle.Callable) args -> {
                    if (args.size() != 0) throw corrupt("OrderedDict called with arguments");
                    return new LinkedHashMap<>();
                };
            case "torch._utils._rebuild_tensor_v2":
                return (Pickle.Callable) this::rebuildTensor;
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
                return (Pickle.Callable) args -> {           // (data, requires_grad, backward_hooks[, state])
                    if (args.size() < 1 || !(args.get(0) instanceof TensorRef t)) throw corrupt("malformed " + name + " call");
                    return t;
                };
            default:
                if (module.equals("torch") && STORAGES.containsKey(name)) return new StorageType(q, STORAGES.get(name));
                throw new NeuroscanException(source + ": pickle names global " + q
                        + "; refusing to load (only torch tensors are allowed)");
        }
    }

    /** Persistent id {@code ('storage', storage_type, key, location, numel)} -> the entry data/key. */
    private Storage storage(Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))
                || !(t.get(1) instanceof StorageType type) || !(t.get(2) instanceof String key)
                || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw corrupt("malformed storage reference in data.pkl");
        }
        var e = entries.get(prefix + "data/" + key);
        if (e == null) throw new NeuroscanException(source + ": storage data/" + key + " is missing from the archive");
        long elem = type.dtype() == null ? 0 : type.dtype().size;
        if (numel > e.size() / Math.max(elem, 1)) {
            throw new NeuroscanException(source + ": storage data/" + key + " has " + e.size() + " bytes, needs "
                    + numel + " elements of " + elem + " bytes");
        }
        return new Storage(type, key, numel, bytes(e));
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private Object rebuildTensor(Tuple a) {
        if (a.size() < 4 || a.size() > 7 || !(a.get(0) instanceof Storage s) || !(a.get(1) instanceof Long offset)
                || !(a.get(2) instanceof Tuple size) || !(a.get(3) instanceof Tuple stride) || size.size() != stride.size()) {
            throw corrupt("malformed _rebuild_tensor_v2 call");
        }
        return new TensorRef(s, offset, longs(size), longs(stride));
    }

    private long[] longs(Tuple t) {
        long[] r = new long[t.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(t.get(i) instanceof Long v) || v < 0) throw corrupt("malformed tensor size or stride");
            r[i] = v;
        }
        return r;
    }

    private Tensor materialise(String name, TensorRef t) {
        Storage s = t.storage();
        Dtype dtype = s.type().dtype();
        if (dtype == null) {
            throw new NeuroscanException(source + ": tensor " + name + " has unsupported dtype " + s.type().name()
                    + " (neuroscan reads float32, float16 and bfloat16)");
        }
        long numel, last;
        try {
            numel = 1;
            last = t.offset();                            // index of the last element the view touches
            for (int d = 0; d < t.size().length; d++) {
                numel = Math.multiplyExact(numel, t.size()[d]);
                if (t.size()[d] > 0) last = Math.addExact(last, Math.multiplyExact(t.size()[d] - 1, t.stride()[d]));
            }
        } catch (ArithmeticException e) {
            throw corrupt("tensor " + name + " has an impossible size or stride");
        }
        if (numel > 0 ? last >= s.numel() : t.offset() > s.numel()) {
            throw new NeuroscanException(source + ": tensor " + name + " reads element " + last
                    + " of storage data/" + s.key() + ", which has " + s.numel());
        }
        return dtype.view(name, s.bytes(), t.offset(), t.size(), t.stride(), source);
    }

    private MemorySegment bytes(ZipArchive.Entry e) {
        return file.asSlice(e.dataOffset(), e.size());
    }

    private NeuroscanException corrupt(String what) {
        return new NeuroscanException(source + ": corrupt checkpoint: " + what);
    }
}
