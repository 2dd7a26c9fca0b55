package neuroscan.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void loadsADirectoryOrAFile() {
        Path dir = Fixtures.path("tiny-f32");
        LoadedModel m = ModelLoader.load(dir);
        assertEquals(dir.toAbsolutePath(), m.dir());
        assertEquals(2, m.cfg().nLayers());
        assertEquals(2, m.weights().blocks().size());
        assertTrue(m.weights().W_E().data().isMapped(), "a directory loads model_final.pth");
        LoadedModel st = ModelLoader.load(dir.resolve("model.safetensors"));
        assertArrayEquals(m.weights().blocks().get(1).W_in().toArray(), st.weights().blocks().get(1).W_in().toArray());
        assertEquals(m.cfg(), ModelLoader.load(dir.resolve("config.json")).cfg());
    }

    @Test
    void findsTheOnlyCheckpoint() throws IOException {
        Files.copy(Fixtures.path("tiny-f32/config.json"), tmp.resolve("config.json"));
        Files.copy(Fixtures.path("tiny-f32/model.safetensors"), tmp.resolve("model.safetensors"));
        assertEquals(50, ModelLoader.load(tmp).cfg().dVocab());
        Files.delete(tmp.resolve("model.safetensors"));
        Files.copy(Fixtures.path("tiny-f32/model_final.pth"), tmp.resolve("step_100.pth"));
        assertEquals(50, ModelLoader.load(tmp).cfg().dVocab());
        Files.copy(Fixtures.path("tiny-f32/model_final.pth"), tmp.resolve("step_200.pth"));
        assertEquals(tmp + ": several checkpoints (step_100.pth, step_200.pth); name the one to load",
                Fixtures.refuses(tmp.toString(), () -> ModelLoader.load(tmp)));
    }

    @Test
    void explainsWhatIsMissing() throws IOException {
        Fixtures.refuses(tmp.resolve("nope") + ": no such file or directory", () -> ModelLoader.load(tmp.resolve("nope")));
        Files.copy(Fixtures.path("tiny-f32/config.json"), tmp.resolve("config.json"));
        assertEquals(tmp + ": no model checkpoint (model_final.pth, *.pth or model.safetensors)",
                Fixtures.refuses(tmp.toString(), () -> ModelLoader.load(tmp)));
        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.copy(Fixtures.path("tiny-f32/model_final.pth"), other.resolve("model_final.pth"));
        assertEquals(other + ": no config.json beside model_final.pth", Fixtures.refuses(other.toString(), () -> ModelLoader.load(other)));
        Files.writeString(tmp.resolve("tokenizer.json"), "{}");
        Fixtures.refuses("tokenizer.json: not a model checkpoint", () -> ModelLoader.load(tmp.resolve("tokenizer.json")));
    }

    @Test
    void missingTensorsWrongShapesAndBadConfigs() throws IOException {
        Map<String, Tensor> tensors = TorchCheckpoint.read(Fixtures.path("tiny-f32/model_final.pth"));
        Files.copy(Fixtures.path("tiny-f32/config.json"), tmp.resolve("config.json"));

        write(tensors, "blocks.1.mlp.W_in", null);
        assertEquals("model_final.pth: missing tensor blocks.1.mlp.W_in", Fixtures.refuses("model_final.pth: ", () -> ModelLoader.load(tmp)));

        write(tensors, "blocks.1.mlp.W_in", Tensor.of("blocks.1.mlp.W_in", new float[16 * 31], 16, 31));
        assertEquals("model_final.pth: tensor blocks.1.mlp.W_in has shape [16, 31], expected [16, 32]",
                Fixtures.refuses("model_final.pth: ", () -> ModelLoader.load(tmp)));

        write(tensors, "blocks.1.mlp.W_in", tensors.get("blocks.1.mlp.W_in"));
        String config = Files.readString(tmp.resolve("config.json"));
        // a SoLU config over a GELU checkpoint: SoLU's LayerNorm inside the MLP is missing
        Files.writeString(tmp.resolve("config.json"), config.replace("\"gelu\"", "\"solu_ln\""));
        assertEquals("model_final.pth: missing tensor blocks.0.mlp.ln.w", Fixtures.refuses("model_final.pth: ", () -> ModelLoader.load(tmp)));
        Files.writeString(tmp.resolve("config.json"), config.replace("\"gelu\"", "\"relu\""));
        assertEquals("config.json: act_fn 'relu' is not supported (gelu, gelu_new, solu_ln)", Fixtures.refuses("config.json: ", () -> ModelLoader.load(tmp)));
    }

    /** tmp/model_final.pth holding {@code tensors} with {@code name} replaced (or dropped when null). */
    private void write(Map<String, Tensor> tensors, String name, Tensor replacement) {
        var w = new TorchCheckpointWriter();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getKey().equals(name) ? replacement : e.getValue();
            if (t != null) w.add(e.getKey(), t.toArray(), t.shape());
        }
        w.write(tmp.resolve("model_final.pth"));
    }
}
