package neuroscan.model;

/**
 * The architecture facts neuroscan needs, in TransformerLens names. Parsed from a TransformerLens/Neel
 * config.json by {@link ConfigReader}; training keys are ignored there.
 *
 * @param normalization {@code "LN"} (learned w, b), {@code "LNPre"} (no affine) or {@code null} (none)
 * @param actFn {@code "gelu"} (exact, erf), {@code "gelu_new"} (tanh approximation) or {@code "solu_ln"} (SoLU,
 *              x * softmax(x) over d_mlp = hook_mid, then a LayerNorm over d_mlp = hook_post; TransformerLens's MLP)
 * @param tokenizerName config.json's {@code tokenizer_name}, may be null
 */
public record ModelConfig(int nLayers, int dModel, int nHeads, int dHead, int dMlp, int nCtx, int dVocab,
                          String actFn, String normalization, double eps, String tokenizerName) {

    public static final double DEFAULT_EPS = 1e-5;

    /** gelu-1l's shape with the given sizes; handy for tests and benchmarks. */
    public static ModelConfig gelu1lShaped(int dModel, int nHeads, int dMlp, int nCtx, int dVocab) {
        return new ModelConfig(1, dModel, nHeads, dModel / nHeads, dMlp, nCtx, dVocab, "gelu", "LN",
                DEFAULT_EPS, null);
    }

    public boolean hasLnWeights() {
        return "LN".equals(normalization);
    }

    /** SoLU with its LayerNorm inside the MLP ({@code act_fn = "solu_ln"}). */
    public boolean solu() {
        return "solu_ln".equals(actFn);
    }

    /**
     * The hook whose neurons are scanned, as neuroscope.io shows them: {@code hook_mid} (after SoLU, before the
     * MLP's LayerNorm) for SoLU models, {@code hook_post} otherwise (Neuroscope's scan_over_data.py).
     */
    public String hook() {
        return solu() ? "hook_mid" : "hook_post";
    }

    /** TransformerLens's full hook name for layer {@code l}, e.g. {@code blocks.1.mlp.hook_post}. */
    public String hookName(int layer) {
        return "blocks." + layer + ".mlp." + hook();
    }

    /**
     * Every layer's neurons: n_layers * d_mlp. Scans, stores and engines index them flat, g = layer * d_mlp + n,
     * so one array of this width holds every layer; only files and views split it per layer.
     */
    public int neurons() {
        return nLayers * dMlp;
    }
}
