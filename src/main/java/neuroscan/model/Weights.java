package neuroscan.model;

import neuroscan.NeuroscanException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checkpoint's tensors, checked against the config, under their TransformerLens state-dict names.
 * Unused tensors (attention mask buffers, ...) are ignored. LayerNorm weights are null when the config
 * has no learned LayerNorm.
 */
public record Weights(ModelConfig cfg, Tensor W_E, Tensor W_pos, List<Block> blocks,
                      Tensor ln_final_w, Tensor ln_final_b, Tensor W_U, Tensor b_U) {

    /**
     * One transformer block. Shapes as in TransformerLens, e.g. W_Q [n_heads, d_model, d_head]. {@code mlp_ln_w/b}
     * [d_mlp]: SoLU's LayerNorm inside the MLP ({@code mlp.ln.w/b}), null for GELU models and for SoLU without
     * learned LayerNorm weights (LNPre).
     */
    public record Block(Tensor ln1_w, Tensor ln1_b, Tensor W_Q, Tensor W_K, Tensor W_V,
                        Tensor b_Q, Tensor b_K, Tensor b_V, Tensor W_O, Tensor b_O,
                        Tensor ln2_w, Tensor ln2_b, Tensor W_in, Tensor b_in, Tensor W_out, Tensor b_out,
                        Tensor mlp_ln_w, Tensor mlp_ln_b) {
        public Block(Tensor ln1_w, Tensor ln1_b, Tensor W_Q, Tensor W_K, Tensor W_V, Tensor b_Q, Tensor b_K, Tensor b_V,
                     Tensor W_O, Tensor b_O, Tensor ln2_w, Tensor ln2_b, Tensor W_in, Tensor b_in, Tensor W_out, Tensor b_out) {
            this(ln1_w, ln1_b, W_Q, W_K, W_V, b_Q, b_K, b_V, W_O, b_O, ln2_w, ln2_b, W_in, b_in, W_out, b_out, null, null);
        }
    }

    /**
     * Picks and shape-checks the tensors gelu-1l-style models need.
     *
     * @param source the file name used in error messages
     */
    public static Weights from(ModelConfig c, Map<String, Tensor> t, String source) {
        var g = new Getter(t, source);
        int dm = c.dModel(), h = c.nHeads(), dh = c.dHead(), mlp = c.dMlp();
        boolean ln = c.hasLnWeights(), mlpLn = ln && c.solu();
        List<Block> blocks = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blocks." + l + ".";
            if (!t.containsKey(p + "mlp.W_in") && !t.containsKey(p + "mlp.W_out")) {
                throw new NeuroscanException(source + ": block " + l + " has no MLP (no " + p + "mlp.W_in): an attention-only"
                        + " model has no MLP neurons to scan");
            }
            blocks.add(new Block(
                    ln ? g.get(p + "ln1.w", dm) : null, ln ? g.get(p + "ln1.b", dm) : null,
                    g.get(p + "attn.W_Q", h, dm, dh), g.get(p + "attn.W_K", h, dm, dh), g.get(p + "attn.W_V", h, dm, dh),
                    g.get(p + "attn.b_Q", h, dh), g.get(p + "attn.b_K", h, dh), g.get(p + "attn.b_V", h, dh),
                    g.get(p + "attn.W_O", h, dh, dm), g.get(p + "attn.b_O", dm),
                    ln ? g.get(p + "ln2.w", dm) : null, ln ? g.get(p + "ln2.b", dm) : null,
                    g.get(p + "mlp.W_in", dm, mlp), g.get(p + "mlp.b_in", mlp),
                    g.get(p + "mlp.W_out", mlp, dm), g.get(p + "mlp.b_out", dm),
                    mlpLn ? g.get(p + "mlp.ln.w", mlp) : null, mlpLn ? g.get(p + "mlp.ln.b", mlp) : null));
        }
        return new Weights(c, g.get("embed.W_E", c.dVocab(), dm), g.get("pos_embed.W_pos", c.nCtx(), dm),
                List.copyOf(blocks),
                ln ? g.optional("ln_final.w", dm) : null, ln ? g.optional("ln_final.b", dm) : null,
                g.optional("unembed.W_U", dm, c.dVocab()), g.optional("unembed.b_U", c.dVocab()));
    }

    private record Getter(Map<String, Tensor> t, String source) {
        Tensor get(String name, long... shape) {
            Tensor x = t.get(name);
            if (x == null) throw new NeuroscanException(source + ": missing tensor " + name);
            return check(x, name, shape);
        }

        Tensor optional(String name, long... shape) {
            Tensor x = t.get(name);
            return x == null ? null : check(x, name, shape);
        }

        private Tensor check(Tensor x, String name, long[] shape) {
            if (!java.util.Arrays.equals(x.shape(), shape)) {
                throw new NeuroscanException(source + ": tensor " + name + " has shape " + x.shapeString()
                        + ", expected " + java.util.Arrays.toString(shape));
            }
            return x;
        }
    }
}
