package neuroscan.engine;

import com.fasterxml.jackson.databind.JsonNode;
import neuroscan.model.Fixtures;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelConfig;
import neuroscan.model.ModelLoader;
import neuroscan.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every engine against PyTorch on the multi-layer and SoLU fixtures (weights/make_fixtures.py: TransformerLens's
 * math in torch, float32): the scanned hook of every layer (hook_post; hook_mid for SoLU) within 1e-4 through
 * {@link Engine#hookPost}, and {@link Engine#docMax} equal to the max over positions of PyTorch's values
 * (argmax: the same position, or one whose PyTorch value is within 1e-4 of the max). One set of tests, run on
 * each engine by a subclass.
 */
public abstract class TorchLayersContract {
    static final double TOLERANCE = 1e-4;

    /** The engine under test on these weights; skips (an assumption) where it is missing. */
    protected abstract Engine open(Weights w);

    private LoadedModel load(String fixture) {
        return ModelLoader.load(Fixtures.path(fixture));
    }

    /** One PyTorch case: the tokens and, per layer, the scanned hook flattened [L, d_mlp]. */
    record Case(int[] tokens, List<float[]> layers) {
    }

    static List<Case> cases(String fixture, ModelConfig c) {
        JsonNode oracle = Fixtures.json(Fixtures.path(fixture).resolve("oracle.json"));
        List<Case> out = new ArrayList<>();
        for (JsonNode k : oracle.get("cases")) {
            int[] t = new int[k.get("tokens").size()];
            for (int i = 0; i < t.length; i++) t[i] = k.get("tokens").get(i).asInt();
            JsonNode hook = k.get(c.hook());   // hook_mid for SoLU, where neuroscope looks
            assertEquals(c.nLayers(), hook.size(), fixture + ": layers in the oracle");
            List<float[]> layers = new ArrayList<>();
            for (JsonNode l : hook) {
                float[] v = new float[l.size()];
                for (int i = 0; i < v.length; i++) v[i] = (float) l.get(i).asDouble();
                layers.add(v);
            }
            out.add(new Case(t, layers));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gelu2l-mini", "solu1l-mini", "solu2l-tiny", "tiny-f32"})
    void everyLayerMatchesPyTorch(String fixture) {
        LoadedModel m = load(fixture);
        ModelConfig c = m.cfg();
        int dMlp = c.dMlp(), width = c.neurons();
        try (Engine e = open(m.weights())) {
            assertEquals(width, e.neurons());
            double worst = 0, spread = 0;
            for (Case k : cases(fixture, c)) {
                float[] got = e.hookPost(k.tokens());
                assertEquals(k.tokens().length * width, got.length);
                for (int l = 0; l < c.nLayers(); l++) {
                    float[] want = k.layers().get(l);
                    for (int p = 0; p < k.tokens().length; p++) {
                        for (int n = 0; n < dMlp; n++) {
                            double w = want[p * dMlp + n], g = got[p * width + l * dMlp + n];
                            worst = Math.max(worst, Math.abs(g - w));
                            spread = Math.max(spread, Math.abs(w));
                        }
                    }
                }
            }
            assertTrue(spread > 0.1, fixture + ": the oracle is not degenerate (" + spread + ")");
            assertTrue(worst <= TOLERANCE, fixture + " on " + e.describe() + ": max |engine - torch| = " + worst);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gelu2l-mini", "solu1l-mini", "solu2l-tiny"})
    void docMaxIsTheMaxOverPositionsOfPyTorchsActivations(String fixture) {
        LoadedModel m = load(fixture);
        ModelConfig c = m.cfg();
        int dMlp = c.dMlp(), width = c.neurons();
        List<Case> cases = cases(fixture, c);
        List<int[]> docs = cases.stream().map(Case::tokens).toList();
        float[] max = new float[docs.size() * width];
        int[] arg = new int[max.length];
        try (Engine e = open(m.weights())) {
            e.docMax(docs, max, arg);
        }
        for (int d = 0; d < docs.size(); d++) {
            for (int l = 0; l < c.nLayers(); l++) {
                float[] want = cases.get(d).layers().get(l);
                for (int n = 0; n < dMlp; n++) {
                    float best = Float.NEGATIVE_INFINITY;
                    for (int p = 0; p < docs.get(d).length; p++) best = Math.max(best, want[p * dMlp + n]);
                    int i = d * width + l * dMlp + n;
                    String at = fixture + " doc " + d + " L" + l + "N" + n;
                    if (Math.abs(max[i] - best) > TOLERANCE) fail(at + ": max " + max[i] + ", torch " + best);
                    if (arg[i] < 0 || arg[i] >= docs.get(d).length || Math.abs(want[arg[i] * dMlp + n] - best) > TOLERANCE) {
                        fail(at + ": argmax " + arg[i] + " is not where torch peaks (" + best + ")");
                    }
                }
            }
        }
    }
}
