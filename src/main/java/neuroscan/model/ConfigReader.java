package neuroscan.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a TransformerLens / Neel Nanda {@code config.json} into a {@link ModelConfig}, the way
 * TransformerLens' {@code convert_neel_model_config} reads it. Training keys (lr, batch_size, seed...)
 * are ignored; architecture options neuroscan cannot compute are refused by name, so a model is never
 * silently run with the wrong math.
 */
public final class ConfigReader {
    private ConfigReader() {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final List<String> ACT_FNS = List.of("gelu", "gelu_new", "solu_ln");

    public static ModelConfig read(Path configJson) {
        String file = configJson.getFileName().toString();
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(configJson));
        } catch (JacksonException e) {
            var at = e.getLocation();
            throw new NeuroscanException(file + ": not valid JSON" + (at == null ? "" : " (line " + at.getLineNr() + ")"));
        } catch (IOException e) {
            throw new NeuroscanException(file + ": cannot read: " + AtomicFiles.describe(e), e);
        }
        if (root == null || !root.isObject()) throw new NeuroscanException(file + ": not a JSON object");
        return parse(root, file);
    }

    static ModelConfig parse(JsonNode c, String file) {
        var r = new Reader(c, file);
        // before any size: an attention-only model fails on what it is, not on a missing d_mlp
        refuseIf(r.bool("attn_only"), file, "attention-only model (attn_only): it has no MLP neurons to scan");
        JsonNode mlp = c.get("d_mlp");
        refuseIf(c.has("d_mlp") && (mlp.isNull() || (mlp.isNumber() && mlp.asDouble() <= 0)), file,
                "d_mlp is " + (mlp == null ? null : show(mlp)) + ": a model without MLP neurons (attention-only) cannot be scanned");
        int nLayers = r.positiveInt("n_layers", null);
        int dModel = r.positiveInt("d_model", null);
        int nHeads = r.positiveInt("n_heads", null);
        int dHead = r.positiveInt("d_head", dModel / nHeads);
        int dMlp = r.positiveInt("d_mlp", 4 * dModel);   // TransformerLens's default when absent
        int nCtx = r.positiveInt("n_ctx", null);
        int dVocab = r.positiveInt("d_vocab", null);

        String actFn = r.string("act_fn", null);
        if (actFn == null) throw new NeuroscanException(file + ": missing key act_fn");
        if (!ACT_FNS.contains(actFn)) {
            throw new NeuroscanException(file + ": act_fn '" + actFn + "' is not supported (gelu, gelu_new, solu_ln)");
        }
        String norm = c.has("normalization") ? r.string("normalization", null) : r.string("normalization_type", null);
        if ("None".equals(norm)) norm = null;
        if (norm != null && !norm.equals("LN") && !norm.equals("LNPre")) {
            throw new NeuroscanException(file + ": normalization '" + norm + "' is not supported (LN, LNPre, None)");
        }
        refuseIf(r.bool("shortformer_pos"), file, "shortformer_pos is not supported");
        String posType = r.string("positional_embedding_type", "standard");
        refuseIf(!posType.equals("standard"), file, "positional_embedding_type '" + posType + "' is not supported (standard)");
        refuseIf(r.bool("gated_mlp"), file, "gated_mlp is not supported");
        refuseIf(r.bool("parallel_attn_mlp"), file, "parallel_attn_mlp is not supported");
        if (c.hasNonNull("n_key_value_heads") && r.positiveInt("n_key_value_heads", null) != nHeads) {
            throw new NeuroscanException(file + ": grouped-query attention (n_key_value_heads) is not supported");
        }

        double eps = c.hasNonNull("eps") ? r.positiveDouble("eps") : c.hasNonNull("ln_eps") ? r.positiveDouble("ln_eps")
                : ModelConfig.DEFAULT_EPS;
        return new ModelConfig(nLayers, dModel, nHeads, dHead, dMlp, nCtx, dVocab, actFn, norm, eps,
                r.string("tokenizer_name", null));
    }

    private static void refuseIf(boolean bad, String file, String what) {
        if (bad) throw new NeuroscanException(file + ": " + what);
    }

    /** A JSON value for an error message: one line, and short. */
    private static String show(JsonNode v) {
        String s = v.toString();
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    private record Reader(JsonNode c, String file) {
        int positiveInt(String key, Integer dflt) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) {
                if (dflt == null) throw new NeuroscanException(file + ": missing key " + key);
                return dflt;
            }
            if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 1) {
                throw new NeuroscanException(file + ": " + key + " must be a positive integer, not " + show(v));
            }
            return v.asInt();
        }

        double positiveDouble(String key) {
            JsonNode v = c.get(key);
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw new NeuroscanException(file + ": " + key + " must be a positive number, not " + show(v));
            }
            return v.asDouble();
        }

        String string(String key, String dflt) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) return dflt;
            if (!v.isTextual()) throw new NeuroscanException(file + ": " + key + " must be a string, not " + show(v));
            return v.asText();
        }

        boolean bool(String key) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) return false;
            if (!v.isBoolean()) throw new NeuroscanException(file + ": " + key + " must be true or false, not " + show(v));
            return v.asBoolean();
        }
    }
}
