package neuroscan.engine;

import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

/**
 * The plain, exact forward pass to {@code blocks.L.mlp.hook_post} (and SoLU's {@code hook_mid}) of every
 * layer: DESIGN.md's math written out as loops, one document at a time, accumulating in double. Every
 * faster engine (Vector API, OpenCL, CUDA) is tested against this twin. Deliberately simple; speed is not
 * its job.
 */
public final class ReferenceForward {
    private final Weights w;
    private final ModelConfig c;

    public ReferenceForward(Weights weights) {
        this.w = weights;
        this.c = weights.cfg();
    }

    /** One layer's MLP activations for one document, each flattened [L, d_mlp]; {@code mid} is null for GELU. */
    public record Mlp(float[] mid, float[] post) {
        /** The hook neuroscan scans: hook_mid for SoLU, else hook_post ({@link ModelConfig#hook()}). */
        public float[] scanned() {
            return mid != null ? mid : post;
        }
    }

    /** {@code blocks.layer.mlp.hook_post} for one document, flattened [L, d_mlp]. */
    public float[] hookPost(int[] tokens, int layer) {
        return layers(tokens, layer)[layer].post();
    }

    /** The MLPs of layers 0..last for one document (later blocks cannot change them, so they are not run). */
    public Mlp[] layers(int[] tokens, int last) {
        int L = tokens.length, dm = c.dModel();
        if (L > c.nCtx()) throw new IllegalArgumentException(L + " tokens > n_ctx " + c.nCtx());
        if (last < 0 || last >= c.nLayers()) throw new IllegalArgumentException("layer " + last + " outside 0.." + (c.nLayers() - 1));
        float[] x = embed(tokens);
        Mlp[] out = new Mlp[last + 1];
        for (int l = 0; l <= last; l++) {
            Weights.Block b = w.blocks().get(l);
            float[] attn = attention(b, layerNorm(x, L, b.ln1_w(), b.ln1_b()), L);
            for (int i = 0; i < L * dm; i++) x[i] += attn[i];            // resid_mid
            out[l] = mlp(b, layerNorm(x, L, b.ln2_w(), b.ln2_b()), L);
            if (l == last) break;
            float[] mlpOut = matmul(out[l].post(), L, c.dMlp(), b.W_out().toArray(), dm, b.b_out().toArray());
            for (int i = 0; i < L * dm; i++) x[i] += mlpOut[i];          // resid_post
        }
        return out;
    }

    /**
     * The scanned hook of every layer, flattened [L, n_layers * d_mlp]: row p holds neuron g = layer * d_mlp + n
     * at {@code p * neurons + g}, the flat index scans and stores use.
     */
    public float[] activations(int[] tokens) {
        int L = tokens.length, dMlp = c.dMlp(), width = c.neurons();
        Mlp[] mlps = layers(tokens, c.nLayers() - 1);
        float[] all = new float[L * width];
        for (int l = 0; l < mlps.length; l++) {
            float[] h = mlps[l].scanned();
            for (int p = 0; p < L; p++) System.arraycopy(h, p * dMlp, all, p * width + l * dMlp, dMlp);
        }
        return all;
    }

    /** x = W_E[t] + W_pos[0..L). */
    float[] embed(int[] tokens) {
        int L = tokens.length, dm = c.dModel();
        float[] x = new float[L * dm], pos = new float[dm];
        for (int p = 0; p < L; p++) {
            if (tokens[p] < 0 || tokens[p] >= c.dVocab()) {
                throw new IllegalArgumentException("token id " + tokens[p] + " outside vocabulary of " + c.dVocab());
            }
            w.W_E().copyRow(tokens[p], x, p * dm);
            w.W_pos().copyRow(p, pos, 0);
            for (int i = 0; i < dm; i++) x[p * dm + i] += pos[i];
        }
        return x;
    }

    /** (v - mean) / sqrt(var + eps) * w + b per row; LNPre has no w, b; no normalization is identity. */
    float[] layerNorm(float[] x, int L, Tensor wT, Tensor bT) {
        if (c.normalization() == null) return x.clone();
        return normalize(x, L, c.dModel(), wT, bT);
    }

    /** LayerNorm of each of L rows of width dm (no w, b: LNPre). */
    private float[] normalize(float[] x, int L, int dm, Tensor wT, Tensor bT) {
        float[] wv = wT == null ? null : wT.toArray(), bv = bT == null ? null : bT.toArray();
        float[] y = new float[L * dm];
        for (int p = 0; p < L; p++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dm; i++) mean += x[p * dm + i];
            mean /= dm;
            for (int i = 0; i < dm; i++) var += (x[p * dm + i] - mean) * (x[p * dm + i] - mean);
            double inv = 1.0 / Math.sqrt(var / dm + c.eps());
            for (int i = 0; i < dm; i++) {
                double v = (x[p * dm + i] - mean) * inv;
                y[p * dm + i] = (float) (wv == null ? v : v * wv[i] + bv[i]);
            }
        }
        return y;
    }

    /** Causal multi-head attention: sum_h softmax(q k^T / sqrt(d_head)) v W_O[h] + b_O. */
    float[] attention(Weights.Block b, float[] a, int L) {
        int dm = c.dModel(), H = c.nHeads(), dh = c.dHead();
        float[] WQ = b.W_Q().toArray(), WK = b.W_K().toArray(), WV = b.W_V().toArray(), WO = b.W_O().toArray();
        float[] bQ = b.b_Q().toArray(), bK = b.b_K().toArray(), bV = b.b_V().toArray();
        double[] out = new double[L * dm];
        for (int h = 0; h < H; h++) {
            float[] q = headProjection(a, L, WQ, bQ, h), k = headProjection(a, L, WK, bK, h),
                    v = headProjection(a, L, WV, bV, h);
            double[] z = new double[dh], scores = new double[L];
            for (int i = 0; i < L; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {                         // key <= query
                    double s = 0;
                    for (int d = 0; d < dh; d++) s += (double) q[i * dh + d] * k[j * dh + d];
                    scores[j] = s / Math.sqrt(dh);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) sum += scores[j] = Math.exp(scores[j] - max);
                java.util.Arrays.fill(z, 0);
                for (int j = 0; j <= i; j++) {
                    double p = scores[j] / sum;
                    for (int d = 0; d < dh; d++) z[d] += p * v[j * dh + d];
                }
                for (int d = 0; d < dh; d++) {                         // z_h @ W_O[h], W_O [H, dh, dm]
                    float zd = (float) z[d];
                    int row = (h * dh + d) * dm;
                    for (int o = 0; o < dm; o++) out[i * dm + o] += (double) zd * WO[row + o];
                }
            }
        }
        float[] bO = b.b_O().toArray(), res = new float[L * dm];
        for (int i = 0; i < L; i++)
            for (int o = 0; o < dm; o++) res[i * dm + o] = (float) (out[i * dm + o] + bO[o]);
        return res;
    }

    /** a @ W[h] + b[h] for W [H, d_model, d_head], b [H, d_head]: returns [L, d_head]. */
    private float[] headProjection(float[] a, int L, float[] W, float[] bias, int h) {
        int dm = c.dModel(), dh = c.dHead();
        float[] r = new float[L * dh];
        for (int p = 0; p < L; p++)
            for (int d = 0; d < dh; d++) {
                double s = bias[h * dh + d];
                for (int i = 0; i < dm; i++) s += (double) a[p * dm + i] * W[(h * dm + i) * dh + d];
                r[p * dh + d] = (float) s;
            }
        return r;
    }

    /**
     * pre = m @ W_in + b_in; GELU: hook_post = act(pre). SoLU (solu_ln): hook_mid = pre * softmax(pre) over the
     * row's d_mlp neurons, hook_post = LN(hook_mid) over d_mlp with mlp.ln's weights (LNPre, none, unless the
     * model's normalization is LN: TransformerLens's MLP).
     */
    Mlp mlp(Weights.Block b, float[] m, int L) {
        int n = c.dMlp();
        float[] pre = matmul(m, L, c.dModel(), b.W_in().toArray(), n, b.b_in().toArray());
        if (!c.solu()) {
            for (int i = 0; i < pre.length; i++) pre[i] = (float) Gelu.apply(c.actFn(), pre[i]);
            return new Mlp(null, pre);
        }
        float[] mid = new float[pre.length];
        for (int p = 0; p < L; p++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, pre[p * n + j]);
            for (int j = 0; j < n; j++) sum += Math.exp(pre[p * n + j] - max);
            for (int j = 0; j < n; j++) mid[p * n + j] = (float) (pre[p * n + j] * Math.exp(pre[p * n + j] - max) / sum);
        }
        return new Mlp(mid, normalize(mid, L, n, b.mlp_ln_w(), b.mlp_ln_b()));
    }

    /** [rows, k] @ [k, n] + bias[n]. */
    static float[] matmul(float[] x, int rows, int k, float[] W, int n, float[] bias) {
        float[] y = new float[rows * n];
        double[] acc = new double[n];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) acc[j] = bias[j];
            for (int i = 0; i < k; i++) {
                double xv = x[r * k + i];
                int row = i * n;
                for (int j = 0; j < n; j++) acc[j] += xv * W[row + j];
            }
            for (int j = 0; j < n; j++) y[r * n + j] = (float) acc[j];
        }
        return y;
    }
}
