package neuroscan.store;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code store.safetensors}: a {@link TopK} as three [k, d_mlp] tensors
 * {@code blocks.0.mlp.hook_post.max} (F32), {@code .doc} (I32, -1 = empty) and {@code .pos} (I32), plus
 * {@code __metadata__} naming the documents covered. The bytes depend only on the store's contents (fixed
 * tensor order, sorted metadata, no timestamps), so equal stores give equal files: resumed and merged
 * runs are compared byte for byte. Read from Python with numpy alone:
 * <pre>
 *   import json, numpy as np
 *   b = open("runs/x/store.safetensors", "rb").read(); n = int.from_bytes(b[:8], "little"); h = json.loads(b[8:8 + n])
 *   t = lambda k: np.frombuffer(b, {"F32": "&lt;f4", "I32": "&lt;i4", "I64": "&lt;i8"}[h[k]["dtype"]], int(np.prod(h[k]["shape"])), 8 + n + h[k]["data_offsets"][0]).reshape(h[k]["shape"])
 *   t("blocks.0.mlp.hook_post.doc")[:, 424]   # neuron 424's top documents, best first
 * </pre>
 * or {@code safetensors.numpy.load_file(path)}.
 *
 * @param docs  the global document indices the store covers
 * @param extra further metadata (checkpoints keep counters here); empty for a finished run's store
 */
public record StoreFile(TopK topK, DocRange docs, boolean includePadding, Map<String, String> extra) {
    public static final String NAME = "store.safetensors";
    public static final String HOOK = "blocks.0.mlp.hook_post";
    public static final String FORMAT = "neuroscan-store/1";

    public StoreFile {
        extra = Map.copyOf(extra);
    }

    public StoreFile(TopK topK, DocRange docs, boolean includePadding) {
        this(topK, docs, includePadding, Map.of());
    }

    /** Writes atomically (temp file + rename); an earlier file survives a failed write. */
    public void write(Path file) {
        TopK t = topK;
        long[] shape = {t.k(), t.dMlp()};
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put(HOOK + ".max", Safetensors.Entry.f32(t.maxArray(), shape));
        tensors.put(HOOK + ".doc", Safetensors.Entry.i32(t.docArray(), shape));
        tensors.put(HOOK + ".pos", Safetensors.Entry.i32(t.posArray(), shape));
        Map<String, String> meta = new TreeMap<>(extra);   // sorted: deterministic header bytes
        meta.put("format", FORMAT);
        meta.put("hook", HOOK);
        meta.put("top_k", Integer.toString(t.k()));
        meta.put("d_mlp", Integer.toString(t.dMlp()));
        meta.put("doc_start", Integer.toString(docs.start()));
        meta.put("doc_end", Integer.toString(docs.end()));
        meta.put("include_padding", Boolean.toString(includePadding));
        Safetensors.write(file, tensors, meta);
    }

    /** Reads and checks a store file; problems are one-line {@link NeuroscanException}s naming the file. */
    public static StoreFile read(Path file) {
        String name = file.toString();
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> m = new TreeMap<>(c.metadata());
        if (!FORMAT.equals(m.get("format"))) {
            throw new NeuroscanException(name + ": not a neuroscan store (metadata format is " + m.get("format") + ", expected " + FORMAT + ")");
        }
        Safetensors.Entry max = tensor(name, c, HOOK + ".max", "F32"), doc = tensor(name, c, HOOK + ".doc", "I32"),
                pos = tensor(name, c, HOOK + ".pos", "I32");
        if (max.shape().length != 2 || !Arrays.equals(max.shape(), doc.shape()) || !Arrays.equals(max.shape(), pos.shape())) {
            throw new NeuroscanException(name + ": tensors " + HOOK + ".max/.doc/.pos must share one [k, d_mlp] shape, found "
                    + Arrays.toString(max.shape()) + ", " + Arrays.toString(doc.shape()) + ", " + Arrays.toString(pos.shape()));
        }
        int k = Math.toIntExact(max.shape()[0]), dMlp = Math.toIntExact(max.shape()[1]);
        if (k != intMeta(name, m, "top_k") || dMlp != intMeta(name, m, "d_mlp")) {
            throw new NeuroscanException(name + ": metadata top_k/d_mlp " + m.get("top_k") + "/" + m.get("d_mlp")
                    + " disagree with tensor shape " + Arrays.toString(max.shape()));
        }
        DocRange docs;
        try {
            docs = new DocRange(intMeta(name, m, "doc_start"), intMeta(name, m, "doc_end"));
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(name + ": bad doc_start/doc_end metadata " + m.get("doc_start") + ":" + m.get("doc_end"));
        }
        boolean padding = Boolean.parseBoolean(m.get("include_padding"));
        float[] mx = max.toFloatArray();
        int[] dc = doc.toIntArray(), ps = pos.toIntArray();
        for (int i = 0; i < dc.length; i++) {   // a corrupt store is one line here, not a failure in a page later
            int r = i / dMlp, n = i % dMlp;
            String at = name + ": corrupt store: rank " + r + " of neuron " + n;
            if (dc[i] < -1 || (dc[i] >= 0 && !docs.contains(dc[i]))) {
                throw new NeuroscanException(at + " names document " + dc[i] + ", outside the store's documents " + docs);
            }
            if (dc[i] >= 0 && (ps[i] < -1 || (ps[i] == -1 && mx[i] != Float.NEGATIVE_INFINITY))) {
                throw new NeuroscanException(at + " has position " + ps[i]);
            }
            if (dc[i] >= 0 && r > 0 && dc[i - dMlp] < 0) throw new NeuroscanException(at + " follows an empty slot");
        }
        TopK t = TopK.of(k, dMlp, mx, dc, ps);
        for (String key : new String[]{"format", "hook", "top_k", "d_mlp", "doc_start", "doc_end", "include_padding"}) m.remove(key);
        return new StoreFile(t, docs, padding, m);
    }

    private static Safetensors.Entry tensor(String file, Safetensors.Contents c, String key, String dtype) {
        Safetensors.Entry e = c.tensors().get(key);
        if (e == null) throw new NeuroscanException(file + ": missing tensor " + key);
        if (!e.dtype().equals(dtype)) throw new NeuroscanException(file + ": tensor " + key + " is " + e.dtype() + ", expected " + dtype);
        return e;
    }

    static int intMeta(String file, Map<String, String> m, String key) {
        String v = m.get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new NeuroscanException(file + ": metadata " + key + " is " + (v == null ? "missing" : "'" + v + "'") + ", expected a whole number");
        }
    }
}
