package neuroscan.view;

import neuroscan.NeuroscanException;
import neuroscan.model.ModelConfig;
import neuroscan.model.Tensor;
import neuroscan.model.Weights;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LogitEffectTest {
    // d_vocab spans three W_U tiles (the last one partial), d_mlp three neuron groups (the last partial).
    private static final int D_MODEL = 16, D_MLP = 40, D_VOCAB = 1100;
    private static final IntFunction<String> NAME = id -> "tok" + id;

    /** A gelu-1l-shaped model with random weights; {@code wu} replaces W_U when given. */
    static Weights model(long seed, float[] wu, boolean withUnembed) {
        ModelConfig cfg = ModelConfig.gelu1lShaped(D_MODEL, 2, D_MLP, 4, D_VOCAB);
        Random rnd = new Random(seed);
        Map<String, Tensor> t = new HashMap<>();
        int h = 2, dh = D_MODEL / 2;
        put(t, rnd, "embed.W_E", D_VOCAB, D_MODEL);
        put(t, rnd, "pos_embed.W_pos", 4, D_MODEL);
        for (String n : List.of("ln1.w", "ln1.b", "ln2.w", "ln2.b")) put(t, rnd, "blocks.0." + n, D_MODEL);
        for (String n : List.of("W_Q", "W_K", "W_V")) put(t, rnd, "blocks.0.attn." + n, h, D_MODEL, dh);
        for (String n : List.of("b_Q", "b_K", "b_V")) put(t, rnd, "blocks.0.attn." + n, h, dh);
        put(t, rnd, "blocks.0.attn.W_O", h, dh, D_MODEL);
        put(t, rnd, "blocks.0.attn.b_O", D_MODEL);
        put(t, rnd, "blocks.0.mlp.W_in", D_MODEL, D_MLP);
        put(t, rnd, "blocks.0.mlp.b_in", D_MLP);
        put(t, rnd, "blocks.0.mlp.W_out", D_MLP, D_MODEL);
        put(t, rnd, "blocks.0.mlp.b_out", D_MODEL);
        if (withUnembed) {
            if (wu == null) put(t, rnd, "unembed.W_U", D_MODEL, D_VOCAB);
            else t.put("unembed.W_U", Tensor.of("unembed.W_U", wu, D_MODEL, D_VOCAB));
            put(t, rnd, "unembed.b_U", D_VOCAB);
        }
        return Weights.from(cfg, t, "test-model");
    }

    private static void put(Map<String, Tensor> t, Random rnd, String name, long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        t.put(name, Tensor.of(name, v, shape));
    }

    /** Brute force: the whole row W_out[n] @ W_U in double, sorted; ties by lower token id. */
    static List<NeuronReport.TokenValue> bruteForce(Weights w, int n, int count, boolean top) {
        double[] effect = new double[D_VOCAB];
        for (int v = 0; v < D_VOCAB; v++) {
            double s = 0;
            for (int i = 0; i < D_MODEL; i++) {
                s += (double) w.blocks().get(0).W_out().get((long) n * D_MODEL + i) * w.W_U().get((long) i * D_VOCAB + v);
            }
            effect[v] = s;
        }
        List<Integer> ids = new ArrayList<>();
        for (int v = 0; v < D_VOCAB; v++) ids.add(v);
        Comparator<Integer> byValue = Comparator.comparingDouble(v -> effect[v]);
        ids.sort((top ? byValue.reversed() : byValue).thenComparing(v -> v));
        List<NeuronReport.TokenValue> out = new ArrayList<>();
        for (int k = 0; k < count; k++) out.add(new NeuronReport.TokenValue(NAME.apply(ids.get(k)), (float) effect[ids.get(k)]));
        return out;
    }

    private static void assertSameList(List<NeuronReport.TokenValue> expected, List<NeuronReport.TokenValue> actual) {
        assertEquals(expected.size(), actual.size());
        for (int k = 0; k < expected.size(); k++) {
            assertEquals(expected.get(k).token(), actual.get(k).token(), "rank " + k);
            assertEquals(expected.get(k).value(), actual.get(k).value(), 1e-4, "rank " + k);
        }
    }

    @Test
    void matchesBruteForceForEveryNeuron() {
        Weights w = model(1, null, true);
        for (int n = 0; n < D_MLP; n++) {
            var got = LogitEffect.compute(w, n, NAME, 10, 5);
            assertSameList(bruteForce(w, n, 10, true), got.top());
            assertSameList(bruteForce(w, n, 5, false), got.bottom());
        }
    }

    @Test
    void computeAllEqualsOneAtATime() {
        Weights w = model(2, null, true);
        var all = LogitEffect.computeAll(w, 0, NAME, 10, 5);
        assertEquals(D_MLP, all.size());
        for (int n : new int[]{0, 15, 16, 39}) assertEquals(LogitEffect.compute(w, 0, n, NAME, 10, 5), all.get(n));
    }

    /** Equal values keep the lower token id first, across tile boundaries too (ids 3, 600, 1099). */
    @Test
    void tiesGoToTheLowerTokenId() {
        float[] wu = new float[D_MODEL * D_VOCAB];
        for (int i = 0; i < D_MODEL; i++) {
            for (int v = 0; v < D_VOCAB; v++) wu[i * D_VOCAB + v] = (float) (Math.sin(v * 0.37 + i) * 0.01);
            for (int v : new int[]{1099, 600, 3}) wu[i * D_VOCAB + v] = 1f;   // the largest, all equal
            for (int v : new int[]{900, 7}) wu[i * D_VOCAB + v] = -1f;        // the smallest, equal
        }
        Weights w = model(3, wu, true);
        // W_out[0] = all ones, so the effect of a token is the sum of its W_U column
        float[] ones = new float[D_MODEL];
        java.util.Arrays.fill(ones, 1f);
        Weights ww = new Weights(w.cfg(), w.W_E(), w.W_pos(), List.of(withWout(w, ones)), null, null, w.W_U(), w.b_U());
        var got = LogitEffect.compute(ww, 0, NAME, 4, 3);
        assertEquals(List.of("tok3", "tok600", "tok1099"), got.top().subList(0, 3).stream().map(NeuronReport.TokenValue::token).toList());
        assertEquals(List.of("tok7", "tok900"), got.bottom().subList(0, 2).stream().map(NeuronReport.TokenValue::token).toList());
        assertEquals(16f, got.top().getFirst().value(), 1e-5);
        assertSameList(bruteForce(ww, 0, 4, true), got.top());
        assertSameList(bruteForce(ww, 0, 3, false), got.bottom());
        // fewer places than tied tokens: the later ids must not push out the earlier ones
        var few = LogitEffect.compute(ww, 0, NAME, 2, 1);
        assertEquals(List.of("tok3", "tok600"), few.top().stream().map(NeuronReport.TokenValue::token).toList());
        assertEquals(List.of("tok7"), few.bottom().stream().map(NeuronReport.TokenValue::token).toList());
    }

    private static Weights.Block withWout(Weights w, float[] row0) {
        var b = w.blocks().getFirst();
        float[] wout = b.W_out().toArray();
        System.arraycopy(row0, 0, wout, 0, row0.length);
        return new Weights.Block(b.ln1_w(), b.ln1_b(), b.W_Q(), b.W_K(), b.W_V(), b.b_Q(), b.b_K(), b.b_V(), b.W_O(),
                b.b_O(), b.ln2_w(), b.ln2_b(), b.W_in(), b.b_in(), Tensor.of("blocks.0.mlp.W_out", wout, D_MLP, D_MODEL),
                b.b_out());
    }

    @Test
    void noUnembeddingIsAClearError() {
        Weights w = model(4, null, false);
        var e = assertThrows(NeuroscanException.class, () -> LogitEffect.compute(w, 0, NAME, 10, 5));
        assertEquals("the model has no unembed.W_U, so no direct logit effect", e.getMessage());
    }

    @Test
    void countsLargerThanTheVocabularyAreClamped() {
        Weights w = model(5, null, true);
        var got = LogitEffect.compute(w, 7, NAME, D_VOCAB + 5, 0);
        assertEquals(D_VOCAB, got.top().size());
        assertEquals(0, got.bottom().size());
        assertSameList(bruteForce(w, 7, D_VOCAB, true), got.top());
    }
}
