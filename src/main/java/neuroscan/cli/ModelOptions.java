package neuroscan.cli;

import neuroscan.data.Tokenizer;
import neuroscan.hub.HubClient;
import neuroscan.hub.Known;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --model} and {@code --tokenizer}, shared by every command that runs the model. */
final class ModelOptions {
    static final String DEFAULT_MODEL = "gelu-1l";

    @Option(names = "--model", defaultValue = DEFAULT_MODEL, paramLabel = "MODEL",
            description = "Alias (gelu-1l), Hugging Face repo id (org/name[@rev]) or local directory/file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--tokenizer", paramLabel = "TOKENIZER",
            description = "Alias, repo id or directory (default: a tokenizer.json beside the model, else config.json's tokenizer_name).")
    String tokenizer;

    /** The model and tokenizer, downloaded if needed, with where they came from (for manifests). */
    record Resolved(LoadedModel model, Tokenizer tokenizer, Known.Resolved modelSource, Known.Resolved tokenizerSource) {
    }

    Resolved resolve(Known known) {
        Known.Resolved m = known.resolveModel(model);
        LoadedModel loaded = ModelLoader.load(m.path());
        Known.Resolved t = known.resolveTokenizer(tokenizerSpec(loaded));
        Tokenizer tok = Tokenizer.load(t.path());
        if (tok.vocabSize() > loaded.cfg().dVocab()) {
            throw new neuroscan.NeuroscanException("tokenizer " + t.spec() + " has " + tok.vocabSize()
                    + " tokens but the model's d_vocab is " + loaded.cfg().dVocab() + "; pass the matching --tokenizer");
        }
        return new Resolved(loaded, tok, m, t);
    }

    /** --tokenizer, else tokenizer.json beside the model, else config.json's tokenizer_name, else the alias's. */
    private String tokenizerSpec(LoadedModel loaded) {
        if (tokenizer != null) return tokenizer;
        if (Files.isRegularFile(loaded.dir().resolve(Known.TOKENIZER_FILE))) return loaded.dir().toString();
        if (Known.model(model).isPresent()) return model;
        if (loaded.cfg().tokenizerName() != null) return loaded.cfg().tokenizerName();
        throw new neuroscan.NeuroscanException("no tokenizer: " + loaded.dir() + " has no tokenizer.json and its config.json "
                + "names no tokenizer_name; pass --tokenizer DIR");
    }

    static Known known() {
        return new Known(HubClient.fromEnvironment());
    }

    static Path path(String s) {
        return Path.of(s.startsWith("~/") ? System.getProperty("user.home") + s.substring(1) : s);
    }
}
