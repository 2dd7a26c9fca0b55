package neuroscan.view;

import neuroscan.NeuroscanException;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * A neuron's direct logit effect {@code W_out[n] @ W_U}: which next tokens the neuron's output pushes up
 * and down, ignoring everything after it (final LayerNorm, later layers). W_U [d_model, d_vocab] is
 * usually memory-mapped (gelu-1l: 99 MB); it is streamed in vocabulary tiles, never copied whole.
 */
public final class LogitEffect {
    private LogitEffect() {
    }

    /** Vocabulary columns per tile: a tile (d_model x TILE floats, 1 MB for gelu-1l) stays in cache. */
    private static final int TILE = 512;
    /** Neurons per group: their accumulators (GROUP x TILE floats, 32 KB) stay in L1/L2. */
    private static final int GROUP = 16;

    /** Layer 0's neuron {@code neuron} (gelu-1l has one layer); see {@link #compute(Weights, int, int, IntFunction, int, int)}. */
    public static NeuronReport.Logits compute(Weights w, int neuron, IntFunction<String> display, int top, int bottom) {
        return compute(w, 0, neuron, display, top, bottom);
    }

    /**
     * The {@code top} tokens with the largest and the {@code bottom} tokens with the smallest
     * {@code W_out[neuron] @ W_U}, largest (resp. smallest) first; equal values: lower token id first.
     *
     * @param display the display string of a token id (e.g. the tokenizer's decode of that one token)
     */
    public static NeuronReport.Logits compute(Weights w, int layer, int neuron, IntFunction<String> display,
                                              int top, int bottom) {
        return computeRange(w, layer, neuron, neuron + 1, display, top, bottom).getFirst();
    }

    /**
     * Every neuron of {@code layer} at once: one pass over W_U instead of d_mlp passes (a site needs all
     * 2048 pages' effects; that is a [2048 x 512] @ [512 x 48262] product, a few seconds on a laptop).
     */
    public static List<NeuronReport.Logits> computeAll(Weights w, int layer, IntFunction<String> display,
                                                       int top, int bottom) {
        return computeRange(w, layer, 0, w.cfg().dMlp(), display, top, bottom);
    }

    /** Neurons {@code from} (inclusive) to {@code to} (exclusive) of {@code layer}. */
    public static List<NeuronReport.Logits> computeRange(Weights w, int layer, int from, int to,
                                                         IntFunction<String> display, int top, int bottom) {
        Tensor wu = w.W_U();
        if (wu == null) throw new NeuroscanException("the model has no unembed.W_U, so no direct logit effect");
        if (layer < 0 || layer >= w.blocks().size()) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (w.blocks().size() - 1));
        }
        int dMlp = w.cfg().dMlp(), dModel = w.cfg().dModel(), dVocab = w.cfg().dVocab();
        if (from < 0 || to > dMlp || from >= to) {
            throw new IllegalArgumentException("neurons " + from + ".." + (to - 1) + " outside 0.." + (dMlp - 1));
        }
        if (top < 0 || bottom < 0) throw new IllegalArgumentException("negative top/bottom count");
        int nTop = Math.min(top, dVocab), nBottom = Math.min(bottom, dVocab);

        int n = to - from;
        Tensor wOut = w.blocks().get(layer).W_out();
        float[][] rows = new float[n][dModel];
        for (int j = 0; j < n; j++) wOut.copyRow(from + j, rows[j], 0);

        Best[] best = new Best[n];
        for (int j = 0; j < n; j++) best[j] = new Best(nTop, nBottom);
        int groups = (n + GROUP - 1) / GROUP;
        float[] tile = new float[dModel * TILE];
        for (int v0 = 0; v0 < dVocab; v0 += TILE) {
            int width = Math.min(TILE, dVocab - v0);
            for (int i = 0; i < dModel; i++) {
                MemorySegment.copy(wu.data(), Tensor.F32, ((long) i * dVocab + v0) * 4L,
                        tile, i * width, width);
            }
            final int base = v0;
            IntStream stream = IntStream.range(0, groups);
            if (groups > 1) stream = stream.parallel();
            stream.forEach(g -> {
                int j0 = g * GROUP, j1 = Math.min(n, j0 + GROUP);
                float[][] acc = new float[j1 - j0][width];
                for (int i = 0; i < dModel; i++) {
                    int off = i * width;
                    for (int j = j0; j < j1; j++) {
                        float x = rows[j][i];
                        float[] a = acc[j - j0];
                        for (int t = 0; t < width; t++) a[t] += x * tile[off + t];
                    }
                }
                for (int j = j0; j < j1; j++) best[j].offer(acc[j - j0], base);
            });
        }
        List<NeuronReport.Logits> out = new ArrayList<>(n);
        for (Best b : best) out.add(b.logits(display));
        return out;
    }

    /** The running top and bottom values of one neuron, as small sorted arrays. */
    private static final class Best {
        final int[] topId, bottomId;
        final float[] topVal, bottomVal;
        int nTop, nBottom;

        Best(int top, int bottom) {
            topId = new int[top];
            topVal = new float[top];
            bottomId = new int[bottom];
            bottomVal = new float[bottom];
        }

        /** Tokens arrive in increasing id order, so "strictly better" keeps the lower id first on ties. */
        void offer(float[] values, int base) {
            for (int t = 0; t < values.length; t++) {
                float v = values[t];
                if (topVal.length > 0 && (nTop < topVal.length || v > topVal[nTop - 1])) {
                    nTop = insert(topId, topVal, nTop, base + t, v, true);
                }
                if (bottomVal.length > 0 && (nBottom < bottomVal.length || v < bottomVal[nBottom - 1])) {
                    nBottom = insert(bottomId, bottomVal, nBottom, base + t, v, false);
                }
            }
        }

        private static int insert(int[] ids, float[] vals, int size, int id, float v, boolean descending) {
            int at = size < vals.length ? size : size - 1;
            while (at > 0 && (descending ? v > vals[at - 1] : v < vals[at - 1])) {
                vals[at] = vals[at - 1];
                ids[at] = ids[at - 1];
                at--;
            }
            vals[at] = v;
            ids[at] = id;
            return Math.min(size + 1, vals.length);
        }

        NeuronReport.Logits logits(IntFunction<String> display) {
            List<NeuronReport.TokenValue> t = new ArrayList<>(nTop), b = new ArrayList<>(nBottom);
            for (int i = 0; i < nTop; i++) t.add(new NeuronReport.TokenValue(display.apply(topId[i]), topVal[i]));
            for (int i = 0; i < nBottom; i++) b.add(new NeuronReport.TokenValue(display.apply(bottomId[i]), bottomVal[i]));
            return new NeuronReport.Logits(t, b);
        }
    }
}
