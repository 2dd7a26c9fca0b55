package neuroscan.model;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A random model of any shape, in memory, for tests and benchmarks ({@link TorchCheckpointWriter#writeRandom}
 * writes one to disk instead): Gaussian weights scaled by 1/sqrt(fan_in) so activations stay O(1) at
 * every size, and non-zero biases and LayerNorm weights so that every term of the forward pass is exercised.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static Weights create(ModelConfig c, long seed) {
        var r = new SplittableRandom(seed);
        int dm = c.dModel(), h = c.nHeads(), dh = c.dHead(), mlp = c.dMlp();
        Map<String, Tensor> t = new HashMap<>();
        put(t, r, "embed.W_E", 1, 0, c.dVocab(), dm);
        put(t, r, "pos_embed.W_pos", 0.5, 0, c.nCtx(), dm);
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "blocks." + l + ".";
            if (c.hasLnWeights()) {
                for (String ln : new String[]{"ln1", "ln2"}) {
                    put(t, r, p + ln + ".w", 0.2, 1, dm);
                    put(t, r, p + ln + ".b", 0.2, 0, dm);
                }
            }
            for (String w : new String[]{"Q", "K", "V"}) {
                put(t, r, p + "attn.W_" + w, 1 / Math.sqrt(dm), 0, h, dm, dh);
                put(t, r, p + "attn.b_" + w, 0.2, 0, h, dh);
            }
            put(t, r, p + "attn.W_O", 1 / Math.sqrt(h * dh), 0, h, dh, dm);
            put(t, r, p + "attn.b_O", 0.2, 0, dm);
            put(t, r, p + "mlp.W_in", 1 / Math.sqrt(dm), 0, dm, mlp);
            put(t, r, p + "mlp.b_in", 0.3, 0, mlp);
            put(t, r, p + "mlp.W_out", 1 / Math.sqrt(mlp), 0, mlp, dm);
            put(t, r, p + "mlp.b_out", 0.2, 0, dm);
            if (c.solu() && c.hasLnWeights()) {   // SoLU's LayerNorm over d_mlp, drawn last: GELU models are unchanged
                put(t, r, p + "mlp.ln.w", 0.2, 1, mlp);
                put(t, r, p + "mlp.ln.b", 0.2, 0, mlp);
            }
        }
        return Weights.from(c, t, "random weights (seed " + seed + ")");
    }

    private static void put(Map<String, Tensor> t, SplittableRandom r, String name, double std, double mean, long... shape) {
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * gaussian(r));
        t.put(name, Tensor.of(name, v, shape));
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller spelled out: the same seed gives the same model on every JDK.
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
