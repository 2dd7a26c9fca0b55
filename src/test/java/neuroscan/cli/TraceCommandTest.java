package neuroscan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.data.Tokenizer;
import neuroscan.engine.ReferenceForward;
import neuroscan.model.ModelLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceCommandTest {
    @TempDir
    Path tmp;

    @Test
    void jsonMatchesTheReferenceForwardPass() throws Exception {
        Path model = CliFixtures.demoModel(tmp.resolve("m"));
        String text = "THE QUICK brown fox\n\tjumps";
        var r = CliFixtures.run("trace", "--model", model.toString(), "--neuron", "7", "--text", text, "--format", "json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());

        var loaded = ModelLoader.load(model);
        try (Tokenizer tok = Tokenizer.load(model)) {
            int[] ids = tok.toTokens(text, loaded.cfg().nCtx());
            float[] post = new ReferenceForward(loaded.weights()).hookPost(ids, 0);
            assertEquals(ids.length, j.get("token_ids").size());
            assertEquals(tok.bosId(), j.get("token_ids").get(0).asInt());
            assertEquals("<|BOS|>", j.get("tokens").get(0).asText());
            for (int p = 0; p < ids.length; p++) {
                assertEquals(ids[p], j.get("token_ids").get(p).asInt());
                assertEquals(tok.display(ids[p]), j.get("tokens").get(p).asText());
                assertEquals(post[p * loaded.cfg().dMlp() + 7], j.get("activations").get(p).floatValue(), 1e-4);
            }
        }
    }

    @Test
    void textFormatEscapesControlCharacters() throws Exception {
        Path model = CliFixtures.demoModel(tmp.resolve("m"));
        var r = CliFixtures.run("trace", "--model", model.toString(), "--neuron", "0", "--text", "a\u001b[31mb\nc");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("\u001b"), "raw escape reached the terminal");
        assertTrue(r.out().contains("\\n"), r.out());
    }

    @Test
    void badNeuronAndMissingModelAreOneLine() throws Exception {
        Path model = CliFixtures.demoModel(tmp.resolve("m"));
        var r = CliFixtures.run("trace", "--model", model.toString(), "--neuron", "64", "--text", "x");
        assertEquals(1, r.code());
        assertEquals("neuroscan: --neuron 64 is outside 0..63", r.err().strip());
        var missing = CliFixtures.run("trace", "--model", tmp.resolve("nope").toString(), "--neuron", "1", "--text", "x");
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }
}
