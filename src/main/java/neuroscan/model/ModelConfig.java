package neuroscan.model;

/**
 * The architecture facts neuroscan needs, in TransformerLens names. Parsed from a TransformerLens/Neel
 * config.json by {@link ConfigReader}; training keys are ignored there.
 *
 * @param normalization {@code "LN"} (learned w, b), {@code "LNPre"} (no affine) or {@code null} (none)
 * @param actFn {@code "gelu"} (exact, erf) or {@code "gelu_new"} (tanh approximation)
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
}
