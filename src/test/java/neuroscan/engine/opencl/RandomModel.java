package neuroscan.engine.opencl;

import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A small gelu-1l-shaped model with random weights, scaled so attention is peaked and GELU sees both signs. */
final class RandomModel {
    private RandomModel() {
    }

    static Weights create(ModelConfig c, long seed) {
        Random r = new Random(seed);
        int dm = c.dModel(), h = c.nHeads(), dh = c.dHead(), mlp = c.dMlp();
        Map<String, Tensor> t = new HashMap<>();
        put(t, r, "embed.W_E", 1, 0, c.dVocab(), dm);
        put(t, r, "pos_embed.W_pos", 0.5, 0, c.nCtx(), dm);
        put(t, r, "blocks.0.ln1.w", 0.2, 1, dm);
        put(t, r, "blocks.0.ln1.b", 0.1, 0, dm);
        for (String w : List.of("W_Q", "W_K", "W_V")) put(t, r, "blocks.0.attn." + w, 2 / Math.sqrt(dm), 0, h, dm, dh);
        for (String b : List.of("b_Q", "b_K", "b_V")) put(t, r, "blocks.0.attn." + b, 0.1, 0, h, dh);
        put(t, r, "blocks.0.attn.W_O", 1 / Math.sqrt(h * dh), 0, h, dh, dm);
        put(t, r, "blocks.0.attn.b_O", 0.1, 0, dm);
        put(t, r, "blocks.0.ln2.w", 0.2, 1, dm);
        put(t, r, "blocks.0.ln2.b", 0.1, 0, dm);
        put(t, r, "blocks.0.mlp.W_in", 1.5 / Math.sqrt(dm), 0, dm, mlp);
        put(t, r, "blocks.0.mlp.b_in", 0.2, 0, mlp);
        put(t, r, "blocks.0.mlp.W_out", 1 / Math.sqrt(mlp), 0, mlp, dm);
        put(t, r, "blocks.0.mlp.b_out", 0.1, 0, dm);
        return Weights.from(c, t, "random model");
    }

    private static void put(Map<String, Tensor> t, Random r, String name, double scale, double mean, long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + r.nextGaussian() * scale);
        t.put(name, Tensor.of(name, v, shape));
    }

    /** Documents of random lengths in 1..maxLen with random token ids. */
    static List<int[]> docs(Random r, int n, int maxLen, int vocab) {
        int[][] docs = new int[n][];
        for (int d = 0; d < n; d++) {
            docs[d] = new int[1 + r.nextInt(maxLen)];
            for (int i = 0; i < docs[d].length; i++) docs[d][i] = r.nextInt(vocab);
        }
        return List.of(docs);
    }
}
