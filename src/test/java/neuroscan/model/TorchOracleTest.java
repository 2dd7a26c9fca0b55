package neuroscan.model;

import com.fasterxml.jackson.databind.JsonNode;
import neuroscan.engine.ReferenceForward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
            "nonorm, model_final.pth", "nonorm, model.safetensors",
            "gelu2l-mini, model_final.pth", "gelu2l-mini, model.safetensors",
            "solu1l-mini, model_final.pth", "solu1l-mini, model.safetensors",
            "solu2l-tiny, model_final.pth", "solu2l-tiny, model.safetensors"})
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
            JsonNode layers = c.get("hook_post"), mids = c.get("hook_mid");
            assertEquals(w.cfg().nLayers(), layers.size());
            assertEquals(w.cfg().solu(), mids != null, "SoLU oracles carry hook_mid, others do not");
            ReferenceForward.Mlp[] mlps = forward.layers(tokens, w.cfg().nLayers() - 1);
            for (int l = 0; l < layers.size(); l++) {
                // hook_post of every layer; for SoLU also hook_mid, the scanned hook (LN's input)
                for (int h = 0; h < (mids == null ? 1 : 2); h++) {
                    float[] got = h == 0 ? mlps[l].post() : mlps[l].mid();
                    JsonNode want = (h == 0 ? layers : mids).get(l);
                    assertEquals(tokens.length * dMlp, got.length);
                    assertEquals(want.size(), got.length);
                    for (int i = 0; i < got.length; i++) {
                        double t = want.get(i).asDouble();
                        worst = Math.max(worst, Math.abs(got[i] - t));
                        max = Math.max(max, t);
                        min = Math.min(min, t);
                    }
                }
                assertArrayEquals(mlps[l].post(), forward.hookPost(tokens, l));
            }
            cases++;
        }
        assertTrue(cases >= 3 && max > 0.5 && min < -0.05, "oracle looks degenerate: " + min + ".." + max);
        return worst;
    }
}
