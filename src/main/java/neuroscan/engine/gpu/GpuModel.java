package neuroscan.engine.gpu;

import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

import java.util.List;

/**
 * What every device engine does the same way, whatever its runtime: the weights in the layouts the
 * kernels want, the size of the per-batch buffers, and the checks on the documents it is given.
 */
public final class GpuModel {
    private GpuModel() {
    }

    public static final int DEFAULT_MAX_BATCH_TOKENS = 8192;
    /** Caps the [docs, d_mlp] result buffers: a batch of short documents is split by count too. */
    public static final int MAX_DOCS_PER_BATCH = 256;

    /** W_Q/W_K/W_V [h, d_model, d_head] -> one [d_model, 3 * h * d_head] matrix: column which * hd + h * d_head + d. */
    public static float[] fuseQkv(ModelConfig cfg, Weights.Block b) {
        int H = cfg.nHeads(), dh = cfg.dHead(), dm = cfg.dModel(), hd = H * dh;
        float[] out = new float[dm * 3 * hd];
        Tensor[] ws = {b.W_Q(), b.W_K(), b.W_V()};
        for (int which = 0; which < 3; which++) {
            float[] w = ws[which].toArray();
            for (int h = 0; h < H; h++)
                for (int i = 0; i < dm; i++)
                    for (int d = 0; d < dh; d++) out[i * 3 * hd + which * hd + h * dh + d] = w[(h * dm + i) * dh + d];
        }
        return out;
    }

    /** b_Q, b_K, b_V ([h, d_head] each) as one [3 * h * d_head] vector, matching {@link #fuseQkv}. */
    public static float[] fuseQkvBias(ModelConfig cfg, Weights.Block b) {
        int hd = cfg.nHeads() * cfg.dHead();
        float[] bias = new float[3 * hd];
        System.arraycopy(b.b_Q().toArray(), 0, bias, 0, hd);
        System.arraycopy(b.b_K().toArray(), 0, bias, hd, hd);
        System.arraycopy(b.b_V().toArray(), 0, bias, 2 * hd, hd);
        return bias;
    }

    /**
     * Device bytes of {@link GpuEngine}'s batch buffers for {@code tokens}: x, LN out, qkv, z, every layer's
     * docMax/docArg/docPos the merges read, two token slots (tokens, offsets, document ids and keys, and their
     * own docMax/docArg/docPos of every layer for read-back), one document's activations of every layer, and for a model of several
     * layers the batch's hook_post the W_out GEMM reads (SoLU: always, first as pre).
     */
    public static long batchBytes(ModelConfig c, int tokens) {
        long docs = docsFor(tokens), hd = (long) c.nHeads() * c.dHead(), width = c.neurons();
        long slot = tokens + (docs + 1) + 2L * docs + 3L * docs * width;
        long post = c.nLayers() > 1 || c.solu() ? (long) tokens * c.dMlp() : 0;   // W_out's input; SoLU's pre
        return 4L * ((long) tokens * (2L * c.dModel() + 4L * hd) + 3L * docs * width + 2L * slot + (long) c.nCtx() * width + post);
    }

    /** The largest single buffer of a batch of {@code tokens} (qkv or x), for devices that cap allocations. */
    public static long largestBuffer(ModelConfig c, int tokens) {
        return 4L * tokens * Math.max(Math.max(3L * c.nHeads() * c.dHead(), c.dModel()), c.nLayers() > 1 || c.solu() ? c.dMlp() : 0);
    }

    /**
     * The kernels index buffers with int, and signed overflow is undefined in C (kernels/README.md): every
     * tensor and batch buffer must have fewer than 2^31 elements, so that no in-range index overflows.
     */
    public static void checkIntIndexable(ModelConfig c, int maxBatchTokens) {
        long hd = (long) c.nHeads() * c.dHead();
        long[] sizes = {(long) c.dVocab() * c.dModel(), (long) c.nCtx() * c.dModel(), (long) c.dModel() * c.dMlp(),
                3 * hd * c.dModel(), largestBuffer(c, maxBatchTokens) / 4, (long) maxBatchTokens * c.dMlp()};
        String[] names = {"W_E", "W_pos", "W_in", "W_QKV", "a batch buffer", "a batch's hook_post"};
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] > Integer.MAX_VALUE) {
                throw new neuroscan.NeuroscanException(names[i] + " has " + sizes[i] + " elements: the GPU kernels index with int "
                        + "(at most 2^31 - 1 elements per buffer)");
            }
        }
    }

    public static int docsFor(int tokens) {
        return Math.min(tokens, MAX_DOCS_PER_BATCH);
    }

    /** Every document 1..n_ctx tokens of ids inside the vocabulary. */
    public static void validate(ModelConfig cfg, List<int[]> docs) {
        for (int d = 0; d < docs.size(); d++) {
            int[] t = docs.get(d);
            if (t.length == 0 || t.length > cfg.nCtx()) {
                throw new IllegalArgumentException("document " + d + " has " + t.length + " tokens; 1.." + cfg.nCtx() + " expected");
            }
            for (int id : t) {
                if (id < 0 || id >= cfg.dVocab()) {
                    throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + cfg.dVocab());
                }
            }
        }
    }

    /** The caller's result arrays hold [nDocs, d_mlp] entries. */
    public static void checkResultArrays(int nDocs, int dMlp, float[] max, int[] argmax) {
        if (max.length < (long) nDocs * dMlp || argmax.length < (long) nDocs * dMlp) {
            throw new IllegalArgumentException("result arrays hold fewer than " + nDocs + " x " + dMlp + " entries");
        }
    }

    /** FLOPs of causal attention over these documents: q.k and p.v over each causal triangle. */
    public static double attentionFlop(ModelConfig cfg, List<int[]> docs, int first, int count) {
        double f = 0;
        int hd = cfg.nHeads() * cfg.dHead();
        for (int d = 0; d < count; d++) {
            long L = docs.get(first + d).length;
            f += 2.0 * hd * L * (L + 1);
        }
        return f;
    }

    /** 1.2 GiB, 3.4 MiB, 56 KiB. */
    public static String size(long bytes) {
        if (bytes >= 1L << 30) return String.format("%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format("%.1f MiB", bytes / (double) (1L << 20));
        return ((bytes + 1023) >> 10) + " KiB";
    }
}
