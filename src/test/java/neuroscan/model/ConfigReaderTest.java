package neuroscan.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ConfigReaderTest {
    @TempDir
    Path tmp;

    private ModelConfig read(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return ConfigReader.read(p);
    }

    private String refused(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return Fixtures.refuses("config.json: ", () -> ConfigReader.read(p));
    }

    private static final String BASE = "\"n_layers\": 1, \"d_model\": 16, \"n_heads\": 2, \"n_ctx\": 24, \"d_vocab\": 50, \"act_fn\": \"gelu\"";

    /** The reduced gelu-1l config the fixtures carry: Neel's keys, training keys and all. */
    @Test
    void readsNeelStyleConfig() {
        ModelConfig c = ConfigReader.read(Fixtures.path("gelu1l-mini/config.json"));
        assertEquals(new ModelConfig(1, 32, 4, 8, 128, 32, 64, "gelu", "LN", 1e-5, "NeelNanda/gpt-neox-tokenizer-digits"), c);
    }

    @Test
    void defaults() throws IOException {
        ModelConfig c = read("{" + BASE + ", \"lr\": 0.1, \"seed\": 3, \"batch_size\": 8}");
        assertEquals(8, c.dHead());                   // d_model / n_heads
        assertEquals(64, c.dMlp());                   // 4 * d_model
        assertEquals(1e-5, c.eps());
        assertNull(c.normalization());                // neither normalization key: none
        assertNull(c.tokenizerName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"normalization\": \"LN\"                | LN    | 1e-5",
            "\"normalization_type\": \"LNPre\", \"eps\": 0.001 | LNPre | 1e-3",
            "\"normalization_type\": null, \"ln_eps\": 1e-6 | | 1e-6",
            "\"normalization\": \"None\"              | | 1e-5",
            "\"normalization\": \"LN\", \"normalization_type\": \"LNPre\" | LN | 1e-5",
            "\"shortformer_pos\": false, \"attn_only\": false, \"positional_embedding_type\": \"standard\" | | 1e-5"})
    void normalizationAndEps(String extra, String norm, double eps) throws IOException {
        ModelConfig c = read("{" + BASE + ", " + extra + "}");
        assertEquals(norm, c.normalization());
        assertEquals(eps, c.eps());
    }

    @Test
    void refusesWhatItCannotCompute() throws IOException {
        assertEquals("config.json: act_fn 'relu' is not supported (gelu, gelu_new, solu_ln)",
                refused("{" + BASE.replace("\"gelu\"", "\"relu\"") + "}"));
        assertEquals("config.json: act_fn 'solu' is not supported (gelu, gelu_new, solu_ln)",
                refused("{" + BASE.replace("\"gelu\"", "\"solu\"") + "}"));
        // attention-only models, as Neel's attn-only-Nl configs say it, or with no d_mlp at all
        assertEquals("config.json: attention-only model (attn_only): it has no MLP neurons to scan",
                refused("{" + BASE + ", \"attn_only\": true}"));
        assertEquals("config.json: d_mlp is null: a model without MLP neurons (attention-only) cannot be scanned",
                refused("{" + BASE + ", \"d_mlp\": null}"));
        assertEquals("config.json: d_mlp is -1: a model without MLP neurons (attention-only) cannot be scanned",
                refused("{" + BASE + ", \"d_mlp\": -1}"));
        assertEquals("config.json: shortformer_pos is not supported", refused("{" + BASE + ", \"shortformer_pos\": true}"));
        assertEquals("config.json: positional_embedding_type 'rotary' is not supported (standard)",
                refused("{" + BASE + ", \"positional_embedding_type\": \"rotary\"}"));
        assertEquals("config.json: normalization 'RMS' is not supported (LN, LNPre, None)",
                refused("{" + BASE + ", \"normalization_type\": \"RMS\"}"));
        assertEquals("config.json: gated_mlp is not supported", refused("{" + BASE + ", \"gated_mlp\": true}"));
        assertEquals("config.json: n_layers must be a positive integer, not 0", refused("{" + BASE.replace("\"n_layers\": 1", "\"n_layers\": 0") + "}"));
    }

    @Test
    void refusesMalformedFiles() throws IOException {
        assertEquals("config.json: missing key n_heads", refused("{" + BASE.replace("\"n_heads\": 2, ", "") + "}"));
        assertEquals("config.json: missing key act_fn", refused("{" + BASE.replace(", \"act_fn\": \"gelu\"", "") + "}"));
        assertEquals("config.json: d_model must be a positive integer, not \"16\"", refused("{" + BASE.replace("16", "\"16\"") + "}"));
        assertEquals("config.json: n_ctx must be a positive integer, not 24.5", refused("{" + BASE.replace("24", "24.5") + "}"));
        assertEquals("config.json: act_fn must be a string, not [\"gelu\"]", refused("{" + BASE.replace("\"gelu\"", "[\"gelu\"]") + "}"));
        assertEquals("config.json: attn_only must be true or false, not \"no\"", refused("{" + BASE + ", \"attn_only\": \"no\"}"));
        assertEquals("config.json: eps must be a positive number, not -1", refused("{" + BASE + ", \"eps\": -1}"));
        assertEquals("config.json: not valid JSON (line 1)", refused("{" + BASE));
        assertEquals("config.json: not valid JSON (line 1)", refused("{" + BASE + "} trailing"));
        assertEquals("config.json: not a JSON object", refused("[1, 2]"));
        assertEquals("config.json: not a JSON object", refused(""));
        Fixtures.refuses("nowhere.json: cannot read: no such file or directory", () -> ConfigReader.read(tmp.resolve("nowhere.json")));
    }
}
