package neuroscan.store;

import neuroscan.model.ModelConfig;

/**
 * What a store's neurons are: TransformerLens's hook ({@code hook_post}, or {@code hook_mid} for SoLU) in each
 * of {@code nLayers} layers of {@code dMlp} neurons. In memory a store is one flat row of
 * {@link #neurons()} = nLayers * dMlp columns, neuron g = layer * dMlp + n; files and views split it per layer
 * ({@code blocks.{l}.mlp.hook_post.max}, page {@code L{l}N{n}}).
 *
 * @param name {@code hook_post} or {@code hook_mid}
 */
public record Hook(String name, int nLayers, int dMlp) {
    public static final String POST = "hook_post";
    public static final String MID = "hook_mid";

    public Hook {
        if (!POST.equals(name) && !MID.equals(name)) throw new IllegalArgumentException("hook " + name + " (hook_post, hook_mid)");
        if (nLayers < 1 || dMlp < 1) throw new IllegalArgumentException("n_layers and d_mlp must be positive: " + nLayers + ", " + dMlp);
        if ((long) nLayers * dMlp > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("n_layers * d_mlp too large");
    }

    /** A model's scanned hook ({@link ModelConfig#hook()}) over all its layers. */
    public static Hook of(ModelConfig c) {
        return new Hook(c.hook(), c.nLayers(), c.dMlp());
    }

    /** One layer's hook_post: what every store written before multi-layer models held. */
    public static Hook single(int dMlp) {
        return new Hook(POST, 1, dMlp);
    }

    /**
     * A hook as files name it: {@code hook_post}/{@code hook_mid}, or the full name earlier single-layer runs wrote
     * ({@code blocks.0.mlp.hook_post}); null for anything else.
     */
    public static String normalize(String hook) {
        if (hook == null) return null;
        if (hook.equals(POST) || hook.equals(MID)) return hook;
        if (hook.equals("blocks.0.mlp." + POST)) return POST;
        return null;
    }

    public int neurons() {
        return nLayers * dMlp;
    }

    /** TransformerLens's name of layer l's hook, e.g. {@code blocks.1.mlp.hook_post}: the store's tensor prefix. */
    public String key(int layer) {
        return "blocks." + layer + ".mlp." + name;
    }

    public int layer(int neuron) {
        return neuron / dMlp;
    }

    /** The neuron's index within its layer. */
    public int inLayer(int neuron) {
        return neuron % dMlp;
    }

    public int flat(int layer, int n) {
        return layer * dMlp + n;
    }

    /** {@code L1N424}, neuroscope's name of a neuron. */
    public String label(int neuron) {
        return "L" + layer(neuron) + "N" + inLayer(neuron);
    }
}
