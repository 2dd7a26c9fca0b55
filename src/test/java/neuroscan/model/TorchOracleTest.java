package neuroscan.model;

import com.fasterxml.jackson.databind.JsonNode;
import neuroscan.engine.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java reference forward pass, on weights loaded by our readers, against blocks.L.mlp.hook_post as
 * PyTorch computed it (weights/make_fixtures.py, float32; for f16/bf16 from the widened weights).
 */
class TorchOracleTest {
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({
            "tiny-f32, model_final.pth", "tiny-f32, model.safetensors",
            "tiny-f16, model_final.pth", "tiny-f16, model.safetensors",
            "tiny-bf16, model_final.pth", "tiny-bf16, model.safetensors",
            "gelu1l-mini, model_final.pth", "gelu1l-mini, model.safetensors",
            "gelu-new, model_final.pth", "gelu-new, model.safetensors",
            "lnpre, model_final.pth", "lnpre, model.safetensors",
            "nonorm, model_final.pth", "nonorm, model.safetensors"})
    void referenceForwardMatchesPyTorch(String fixture, String file) {
        Path dir = Fixtures.path(fixture);
        LoadedModel m = ModelLoader.load(dir.resolve(file));
        double worst = maxError(m.weights(), Fixtures.json(dir.resolve("oracle.json")));
        assertTrue(worst <= TOLERANCE, "max |java - torch| = " + worst);
    }

    /** The comparison can fail: the other GELU (erf vs tanh differ by < 5e-4) misses PyTorch by more than the tolerance. */
    @Test
    void wrongActivationIsCaught() {
        Path dir = Fixtures.path("gelu-new");
        LoadedModel m = ModelLoader.load(dir);
        ModelConfig c = m.cfg();
        assertEquals("gelu_new", c.actFn());
        var exact = new ModelConfig(c.nLayers(), c.dModel(), c.nHeads(), c.dHead(), c.dMlp(), c.nCtx(), c.dVocab(),
                "gelu", c.normalization(), c.eps(), c.tokenizerName());
        Weights w = Weights.from(exact, ModelLoader.readCheckpoint(dir.resolve("model_final.pth")), "model_final.pth");
        assertTrue(maxError(w, Fixtures.json(dir.resolve("oracle.json"))) > 3 * TOLERANCE);
    }

    /** Worst absolute difference over every case, layer, position and neuron; checks the oracle is not degenerate. */
    static double maxError(Weights w, JsonNode oracle) {
        var forward = new ReferenceForward(w);
        int dMlp = w.cfg().dMlp();
        double worst = 0, max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
        int cases = 0;
        for (JsonNode c : oracle.get("cases")) {
            int[] tokens = new int[c.get("tokens").size()];
            for (int i = 0; i < tokens.length; i++) tokens[i] = c.get("tokens").get(i).asInt();
            JsonNode layers = c.get("hook_post");
            assertEquals(w.cfg().nLayers(), layers.size());
            for (int l = 0; l < layers.size(); l++) {
                float[] got = forward.hookPost(tokens, l);
                JsonNode want = layers.get(l);
                assertEquals(tokens.length * dMlp, got.length);
                assertEquals(want.size(), got.length);
                for (int i = 0; i < got.length; i++) {
                    double t = want.get(i).asDouble();
                    worst = Math.max(worst, Math.abs(got[i] - t));
                    max = Math.max(max, t);
                    min = Math.min(min, t);
                }
            }
            cases++;
        }
        assertTrue(cases >= 3 && max > 0.5 && min < -0.05, "oracle looks degenerate: " + min + ".." + max);
        return worst;
    }
}
