package neuroscan.store;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code store.safetensors}: a {@link TopK} as three [k, d_mlp] tensors per layer l,
 * {@code blocks.{l}.mlp.hook_post.max} (F32), {@code .doc} (I32, -1 = empty) and {@code .pos} (I32)
 * ({@code hook_mid} for SoLU), layer by layer, plus {@code __metadata__} naming the hook, the layers and the
 * documents covered. In memory the layers sit side by side in one flat [k, n_layers * d_mlp] store
 * ({@link Hook}); a single-layer store is byte for byte what neuroscan wrote before it knew more layers, and
 * those files (metadata {@code hook = blocks.0.mlp.hook_post}, no {@code n_layers}) still read. The bytes depend only on the store's contents (fixed
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
 * <p>With {@link NeuronStats} (every scan since they exist; older stores have none) each layer's key also has
 * {@code .positive} (I64 [d_mlp]: tokens with activation > 0; density = positive / metadata {@code stats_tokens}),
 * {@code .hist} (I32 [BINS, d_mlp]), {@code .hist_edges} (F32 [BINS - 1], {@link NeuronStats#EDGES}) and
 * {@code .sample_doc}/{@code .sample_max}/{@code .sample_pos} ([BINS, m, d_mlp], m = metadata {@code stats_samples}).
 *
 * @param docs  the global document indices the store covers
 * @param extra further metadata (checkpoints keep counters here); empty for a finished run's store
 * @param hook  what the store's columns are; its neurons() is topK's width
 * @param stats the per-neuron statistics (flat, as topK), or null (a store written before them)
 */
public record StoreFile(TopK topK, DocRange docs, boolean includePadding, Map<String, String> extra, Hook hook, NeuronStats stats) {
    public static final String NAME = "store.safetensors";
    /** The one hook of single-layer stores, the name they are written under (and were, before more layers). */
    public static final String HOOK = "blocks.0.mlp.hook_post";
    public static final String FORMAT = "neuroscan-store/1";

    public StoreFile {
        extra = Map.copyOf(extra);
        if (hook.neurons() != topK.neurons()) {
            throw new IllegalArgumentException("store of " + topK.neurons() + " neurons for " + hook.nLayers() + " x " + hook.dMlp());
        }
        if (stats != null && stats.neurons() != topK.neurons()) {
            throw new IllegalArgumentException("stats of " + stats.neurons() + " neurons for a store of " + topK.neurons());
        }
    }

    public StoreFile(TopK topK, DocRange docs, boolean includePadding, Map<String, String> extra, Hook hook) {
        this(topK, docs, includePadding, extra, hook, null);
    }

    /** A single-layer hook_post store. */
    public StoreFile(TopK topK, DocRange docs, boolean includePadding) {
        this(topK, docs, includePadding, Map.of(), Hook.single(topK.neurons()), null);
    }

    public StoreFile(TopK topK, DocRange docs, boolean includePadding, Hook hook) {
        this(topK, docs, includePadding, Map.of(), hook, null);
    }

    public StoreFile(TopK topK, DocRange docs, boolean includePadding, Hook hook, NeuronStats stats) {
        this(topK, docs, includePadding, Map.of(), hook, stats);
    }

    /** Writes atomically (temp file + rename); an earlier file survives a failed write. */
    public void write(Path file) {
        TopK t = topK;
        int layers = hook.nLayers(), dMlp = hook.dMlp();
        long[] shape = {t.k(), dMlp};
        float[] max = t.maxArray();
        int[] doc = t.docArray(), pos = t.posArray();
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            String key = hook.key(l);
            tensors.put(key + ".max", Safetensors.Entry.f32(layers == 1 ? max : columns(max, t.k(), l, dMlp, t.neurons()), shape));
            tensors.put(key + ".doc", Safetensors.Entry.i32(layers == 1 ? doc : columns(doc, t.k(), l, dMlp, t.neurons()), shape));
            tensors.put(key + ".pos", Safetensors.Entry.i32(layers == 1 ? pos : columns(pos, t.k(), l, dMlp, t.neurons()), shape));
        }
        Map<String, String> meta = new TreeMap<>(extra);   // sorted: deterministic header bytes
        if (stats != null) writeStats(tensors, meta);
        meta.put("format", FORMAT);
        // single-layer hook_post stores keep the metadata they always had (equal stores, equal bytes, old readers)
        boolean legacy = layers == 1 && hook.name().equals(Hook.POST);
        meta.put("hook", legacy ? HOOK : hook.name());
        if (!legacy) meta.put("n_layers", Integer.toString(layers));
        meta.put("top_k", Integer.toString(t.k()));
        meta.put("d_mlp", Integer.toString(dMlp));
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
        String hookName = m.containsKey("hook") ? Hook.normalize(m.get("hook")) : Hook.POST;
        if (hookName == null) throw new NeuroscanException(name + ": metadata hook is " + m.get("hook") + ", expected hook_post or hook_mid");
        int layers = m.containsKey("n_layers") ? intMeta(name, m, "n_layers") : 1;
        if (layers < 1 || layers > 4096) throw new NeuroscanException(name + ": metadata n_layers is " + layers);
        int k = -1, dMlp = -1;
        float[] mx = null;
        int[] dc = null, ps = null;
        for (int l = 0; l < layers; l++) {
            String key = "blocks." + l + ".mlp." + hookName;
            Safetensors.Entry max = tensor(name, c, key + ".max", "F32"), doc = tensor(name, c, key + ".doc", "I32"),
                    pos = tensor(name, c, key + ".pos", "I32");
            if (max.shape().length != 2 || !Arrays.equals(max.shape(), doc.shape()) || !Arrays.equals(max.shape(), pos.shape())
                    || (l > 0 && (max.shape()[0] != k || max.shape()[1] != dMlp))) {
                throw new NeuroscanException(name + ": tensors " + key + ".max/.doc/.pos must share one [k, d_mlp] shape with every"
                        + " layer's, found " + Arrays.toString(max.shape()) + ", " + Arrays.toString(doc.shape()) + ", "
                        + Arrays.toString(pos.shape()));
            }
            if (l == 0) {
                k = Math.toIntExact(max.shape()[0]);
                dMlp = Math.toIntExact(max.shape()[1]);
                if (k != intMeta(name, m, "top_k") || dMlp != intMeta(name, m, "d_mlp") || k < 1 || dMlp < 1
                        || (long) k * dMlp * layers > Integer.MAX_VALUE - 8) {
                    throw new NeuroscanException(name + ": metadata top_k/d_mlp " + m.get("top_k") + "/" + m.get("d_mlp")
                            + " disagree with tensor shape " + Arrays.toString(max.shape()));
                }
                mx = new float[k * dMlp * layers];
                dc = new int[mx.length];
                ps = new int[mx.length];
            }
            place(max.toFloatArray(), mx, k, l, dMlp, layers);
            place(doc.toIntArray(), dc, k, l, dMlp, layers);
            place(pos.toIntArray(), ps, k, l, dMlp, layers);
        }
        int width = dMlp * layers;
        DocRange docs;
        try {
            docs = new DocRange(intMeta(name, m, "doc_start"), intMeta(name, m, "doc_end"));
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(name + ": bad doc_start/doc_end metadata " + m.get("doc_start") + ":" + m.get("doc_end"));
        }
        boolean padding = Boolean.parseBoolean(m.get("include_padding"));
        Hook hook = new Hook(hookName, layers, dMlp);
        for (int i = 0; i < dc.length; i++) {   // a corrupt store is one line here, not a failure in a page later
            int r = i / width, n = i % width;
            String at = name + ": corrupt store: rank " + r + " of neuron " + (layers == 1 ? "" + n : hook.label(n));
            if (dc[i] < -1 || (dc[i] >= 0 && !docs.contains(dc[i]))) {
                throw new NeuroscanException(at + " names document " + dc[i] + ", outside the store's documents " + docs);
            }
            if (dc[i] >= 0 && (ps[i] < -1 || (ps[i] == -1 && mx[i] != Float.NEGATIVE_INFINITY))) {
                throw new NeuroscanException(at + " has position " + ps[i]);
            }
            if (dc[i] >= 0 && r > 0 && dc[i - width] < 0) throw new NeuroscanException(at + " follows an empty slot");
        }
        TopK t = TopK.of(k, width, mx, dc, ps);
        NeuronStats stats = c.tensors().containsKey(hook.key(0) + ".positive") ? readStats(name, c, m, hook, docs) : null;
        for (String key : new String[]{"format", "hook", "n_layers", "top_k", "d_mlp", "doc_start", "doc_end", "include_padding",
                "stats_tokens", "stats_samples"}) m.remove(key);
        return new StoreFile(t, docs, padding, m, hook, stats);
    }

    /** The statistics, layer by layer under the store's keys (one flat NeuronStats in memory, as the top k). */
    private void writeStats(Map<String, Safetensors.Entry> tensors, Map<String, String> meta) {
        int layers = hook.nLayers(), dMlp = hook.dMlp(), width = hook.neurons(), bins = NeuronStats.BINS, m = stats.samples();
        for (int l = 0; l < layers; l++) {
            String key = hook.key(l);
            tensors.put(key + ".positive", Safetensors.Entry.i64(columns(stats.positiveArray(), new long[dMlp], 1, l, dMlp, width), dMlp));
            tensors.put(key + ".hist", Safetensors.Entry.i32(columns(stats.histArray(), new int[bins * dMlp], bins, l, dMlp, width), bins, dMlp));
            tensors.put(key + ".hist_edges", Safetensors.Entry.f32(NeuronStats.EDGES.clone(), bins - 1));
            int rows = bins * m;
            tensors.put(key + ".sample_doc", Safetensors.Entry.i32(columns(stats.sampleDocArray(), new int[rows * dMlp], rows, l, dMlp, width), bins, m, dMlp));
            tensors.put(key + ".sample_max", Safetensors.Entry.f32(columns(stats.sampleMaxArray(), new float[rows * dMlp], rows, l, dMlp, width), bins, m, dMlp));
            tensors.put(key + ".sample_pos", Safetensors.Entry.i32(columns(stats.samplePosArray(), new int[rows * dMlp], rows, l, dMlp, width), bins, m, dMlp));
        }
        meta.put("stats_tokens", Long.toString(stats.tokens()));
        meta.put("stats_samples", Integer.toString(m));
    }

    /** The stats tensors of every layer, checked like the store's: shapes, the bin edges, samples inside the documents. */
    private static NeuronStats readStats(String name, Safetensors.Contents c, Map<String, String> meta, Hook hook, DocRange docs) {
        int m = intMeta(name, meta, "stats_samples");
        long tokens;
        try {
            tokens = Long.parseLong(meta.get("stats_tokens"));
        } catch (NumberFormatException e) {
            throw new NeuroscanException(name + ": metadata stats_tokens is " + meta.get("stats_tokens") + ", expected a whole number");
        }
        int bins = NeuronStats.BINS, layers = hook.nLayers(), n = hook.dMlp(), width = hook.neurons();
        if (m < 1 || (long) bins * m * width > Integer.MAX_VALUE - 8) throw new NeuroscanException(name + ": metadata stats_samples is " + m);
        long[] pv = new long[width];
        int[] hs = new int[bins * width], dc = new int[bins * m * width], ps = new int[dc.length];
        float[] mx = new float[dc.length];
        for (int l = 0; l < layers; l++) {
            String key = hook.key(l);
            Safetensors.Entry positive = shaped(name, c, key + ".positive", "I64", n), hist = shaped(name, c, key + ".hist", "I32", bins, n),
                    edges = shaped(name, c, key + ".hist_edges", "F32", bins - 1), doc = shaped(name, c, key + ".sample_doc", "I32", bins, m, n),
                    max = shaped(name, c, key + ".sample_max", "F32", bins, m, n), pos = shaped(name, c, key + ".sample_pos", "I32", bins, m, n);
            if (!Arrays.equals(edges.toFloatArray(), NeuronStats.EDGES)) {
                throw new NeuroscanException(name + ": tensor " + key + ".hist_edges holds other bin edges than this neuroscan's");
            }
            place(positive.toLongArray(), pv, 1, l, n, layers);
            place(hist.toIntArray(), hs, bins, l, n, layers);
            place(doc.toIntArray(), dc, bins * m, l, n, layers);
            place(max.toFloatArray(), mx, bins * m, l, n, layers);
            place(pos.toIntArray(), ps, bins * m, l, n, layers);
        }
        for (int i = 0; i < dc.length; i++) {
            if (dc[i] < -1 || (dc[i] >= 0 && (!docs.contains(dc[i]) || ps[i] < 0 || NeuronStats.bin(mx[i]) != i / width / m))) {
                throw new NeuroscanException(name + ": corrupt stats: sample " + i / width % m + " of bin " + i / width / m + " of neuron "
                        + hook.label(i % width) + " (document " + dc[i] + ", max " + mx[i] + ", position " + ps[i] + ")");
            }
        }
        for (long p : pv) if (p < 0 || p > tokens) throw new NeuroscanException(name + ": corrupt stats: a positive count of " + p + " out of " + tokens + " tokens");
        for (int h : hs) if (h < 0) throw new NeuroscanException(name + ": corrupt stats: a negative histogram count");
        try {
            return NeuronStats.of(width, m, tokens, pv, hs, dc, mx, ps);
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(name + ": corrupt stats: " + e.getMessage());
        }
    }

    private static Safetensors.Entry shaped(String file, Safetensors.Contents c, String key, String dtype, long... shape) {
        Safetensors.Entry e = tensor(file, c, key, dtype);
        if (!Arrays.equals(e.shape(), shape)) {
            throw new NeuroscanException(file + ": tensor " + key + " has shape " + Arrays.toString(e.shape()) + ", expected " + Arrays.toString(shape));
        }
        return e;
    }

    /** Layer l's [rows, d_mlp] block of a flat [rows, width] array (any primitive array), into {@code out}. */
    private static <A> A columns(A a, A out, int rows, int l, int dMlp, int width) {
        for (int i = 0; i < rows; i++) System.arraycopy(a, i * width + l * dMlp, out, i * dMlp, dMlp);
        return out;
    }

    /** Layer l's [k, d_mlp] block of a flat [k, width] array. */
    private static float[] columns(float[] a, int k, int l, int dMlp, int width) {
        float[] r = new float[k * dMlp];
        for (int i = 0; i < k; i++) System.arraycopy(a, i * width + l * dMlp, r, i * dMlp, dMlp);
        return r;
    }

    private static int[] columns(int[] a, int k, int l, int dMlp, int width) {
        int[] r = new int[k * dMlp];
        for (int i = 0; i < k; i++) System.arraycopy(a, i * width + l * dMlp, r, i * dMlp, dMlp);
        return r;
    }

    private static void place(Object layer, Object flat, int k, int l, int dMlp, int layers) {
        for (int i = 0; i < k; i++) System.arraycopy(layer, i * dMlp, flat, i * dMlp * layers + l * dMlp, dMlp);
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
