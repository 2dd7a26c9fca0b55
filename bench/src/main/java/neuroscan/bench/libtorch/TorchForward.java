package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

/**
 * DESIGN.md's forward pass to {@code blocks.0.mlp.hook_post} in LibTorch tensor ops (what a PyTorch
 * user would write), on a batch of equal-length rows [B, L]:
 * <pre>
 *   x = W_E[t] + W_pos[:L];  a = LN1(x);  q,k,v = a @ W_Q/K/V + b   (per head, one broadcast matmul)
 *   attn = sum_h softmax(q k^T / sqrt(d_head) + causal) v @ W_O[h] + b_O
 *   post = gelu_erf(LN2(x + attn) @ W_in + b_in)                      [B, L, d_mlp]
 * </pre>
 * The mask is causal only: with right padding, a real query never sees a pad key, so the rows of real
 * positions are exactly each document's own forward pass; pad rows are computed and either kept (seed)
 * or masked out of the max (best) by the caller.
 */
final class TorchForward implements AutoCloseable {
    final ModelConfig cfg;
    private final NDManager m;
    private final NDArray wE, wPos, ln1w, ln1b, ln2w, ln2b, wQkv, bQkv, wO, bO, wIn, bIn;

    TorchForward(Weights w, NDManager parent) {
        this.cfg = w.cfg();
        if (cfg.nLayers() != 1 || !cfg.hasLnWeights() || !"gelu".equals(cfg.actFn())) {
            throw new IllegalArgumentException("the LibTorch baseline is written for gelu-1l's architecture (1 layer, LN, exact gelu)");
        }
        m = parent.newSubManager();
        Weights.Block b = w.blocks().get(0);
        int h = cfg.nHeads();
        wE = nd(w.W_E());
        wPos = nd(w.W_pos());
        ln1w = nd(b.ln1_w());
        ln1b = nd(b.ln1_b());
        ln2w = nd(b.ln2_w());
        ln2b = nd(b.ln2_b());
        // W_Q|W_K|W_V [H, d_model, d_head] -> one [d_model, 3 H d_head] matrix: Q, K and V of all heads in
        // one GEMM (what einsum makes of TransformerLens's per-head products), column = part, head, d.
        int dm = cfg.dModel(), dh = cfg.dHead(), hd = h * dh;
        float[][] parts = {b.W_Q().toArray(), b.W_K().toArray(), b.W_V().toArray()};
        float[] qkv = new float[dm * 3 * hd];
        for (int part = 0; part < 3; part++)
            for (int hh = 0; hh < h; hh++)
                for (int i = 0; i < dm; i++)
                    System.arraycopy(parts[part], (hh * dm + i) * dh, qkv, i * 3 * hd + part * hd + hh * dh, dh);
        wQkv = m.create(qkv, new Shape(dm, 3L * hd));
        bQkv = nd(b.b_Q()).reshape(hd).concat(nd(b.b_K()).reshape(hd)).concat(nd(b.b_V()).reshape(hd));
        wO = nd(b.W_O()).reshape(hd, dm);                       // [H d_head, d_model]
        bO = nd(b.b_O());
        wIn = nd(b.W_in());
        bIn = nd(b.b_in());
    }

    private NDArray nd(Tensor t) {
        return m.create(t.toArray(), new Shape(t.shape()));
    }

    /** The rows' tokens as an int64 [B, L] tensor in {@code into}. */
    static NDArray tokens(NDManager into, int[][] rows) {
        int bsz = rows.length, len = rows[0].length;
        long[] flat = new long[bsz * len];
        for (int r = 0; r < bsz; r++) for (int i = 0; i < len; i++) flat[r * len + i] = rows[r][i];
        return into.create(flat, new Shape(bsz, len));
    }

    /** hook_post [B, L, d_mlp] of equal-length rows (int64 [B, L]); call inside an NDScope. */
    NDArray hookPost(NDArray tokens) {
        long bsz = tokens.getShape().get(0), len = tokens.getShape().get(1);
        int dm = cfg.dModel(), dh = cfg.dHead();
        NDArray x = wE.get(tokens.flatten()).reshape(bsz, len, dm).add(wPos.get(new NDIndex(":{}", len)));
        NDArray qkv = layerNorm(x, ln1w, ln1b).matMul(wQkv).add(bQkv)      // [B, L, 3 H d_head]
                .reshape(bsz, len, 3, cfg.nHeads(), dh).transpose(2, 0, 3, 1, 4);   // [3, B, H, L, d_head]
        NDArray q = qkv.get(0), k = qkv.get(1), v = qkv.get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div((float) Math.sqrt(dh)).add(causalMask(len));
        NDArray z = scores.softmax(-1).matMul(v);                // [B, H, L, d_head]
        NDArray attn = z.transpose(0, 2, 1, 3).reshape(bsz, len, (long) cfg.nHeads() * dh).matMul(wO).add(bO);
        NDArray pre = layerNorm(x.add(attn), ln2w, ln2b).matMul(wIn).add(bIn);
        return gelu(pre);
    }

    private NDArray causalMask(long len) {
        // 0 where key <= query, -inf above the diagonal; broadcast over batch and heads.
        NDArray i = m.arange(0f, (float) len).reshape(len, 1);
        NDArray above = i.reshape(1, len).gt(i);
        Shape s = new Shape(len, len);
        return NDArrays.where(above, m.full(s, Float.NEGATIVE_INFINITY), m.zeros(s));
    }

    /** torch.layer_norm over d_model: (v - mean) / sqrt(var + eps) * w + b, biased variance. */
    private NDArray layerNorm(NDArray v, NDArray w, NDArray b) {
        return v.getNDArrayInternal().layerNorm(v, new Shape(cfg.dModel()), w, b, (float) cfg.eps()).singletonOrThrow();
    }

    /** torch.nn.functional.gelu with approximate='none': x/2 (1 + erf(x / sqrt 2)), TransformerLens's "gelu". */
    private static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    @Override
    public void close() {
        m.close();
    }
}
