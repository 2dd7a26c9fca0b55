package neuroscan.report;

import neuroscan.data.Tokenizer;
import neuroscan.engine.Engine;
import neuroscan.view.Trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * One text run through the model, as {@code trace} and {@code serve} need it: its tokens
 * ({@code [BOS] + tokenizer(text)}, like TransformerLens's {@code to_tokens}, cut to n_ctx) and
 * the scanned hook ({@code hook_post}, or {@code hook_mid} for SoLU) at every token for every neuron of every
 * layer, by flat index g = layer * d_mlp + n.
 *
 * @param ids       the token ids, BOS first
 * @param tokens    their display strings
 * @param post      {@code [ids.length, neurons]}, flattened
 * @param truncated whether the text had more than n_ctx tokens and was cut
 */
public record TextActivations(int[] ids, String[] tokens, float[] post, int neurons, boolean truncated) {

    /** Tokenizes {@code text} (at most {@code nCtx} tokens, BOS included) and runs it on {@code engine}. */
    public static TextActivations of(Tokenizer tokenizer, int nCtx, Engine engine, String text) {
        int[] ids = tokenizer.toTokens(text, nCtx + 1);
        boolean cut = ids.length > nCtx;   // one token more than fits tells us the text was cut
        if (cut) ids = Arrays.copyOf(ids, nCtx);
        return new TextActivations(ids, tokenizer.displayTokens(ids), engine.hookPost(ids), engine.neurons(), cut);
    }

    /** Flat neuron {@code n}'s activation at every token. */
    public float[] column(int n) {
        float[] c = new float[ids.length];
        for (int p = 0; p < c.length; p++) c[p] = post[p * neurons + n];
        return c;
    }

    /** Neuron {@code n} on this text, as {@code trace} prints it. */
    public Trace trace(int n) {
        return new Trace(n, List.of(tokens), ids, column(n));
    }

    /** A neuron's largest activation on the text and its first position (NaN wins, as in a scan). */
    public record Peak(int neuron, float max, int pos) {
    }

    /** The {@code k} neurons (flat indices, every layer) with the largest max over the text, largest first; ties: lower neuron first. */
    public List<Peak> top(int k) {
        List<Peak> all = new ArrayList<>(neurons);
        for (int n = 0; n < neurons; n++) {
            float best = Float.NEGATIVE_INFINITY;
            int at = 0;
            for (int p = 0; p < ids.length; p++) {
                float v = post[p * neurons + n];
                if (v > best || (v != v && best == best)) {
                    best = v;
                    at = p;
                }
            }
            all.add(new Peak(n, best, at));
        }
        // Float.compare puts NaN above everything: a NaN neuron is the most surprising one on a text.
        all.sort(Comparator.comparing(Peak::max, Float::compare).reversed().thenComparingInt(Peak::neuron));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }
}
