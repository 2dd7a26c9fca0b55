package neuroscan.model;

import java.nio.file.Path;

/**
 * A model ready to run: its config, its shape-checked weights and the directory it came from (where a
 * {@code tokenizer.json} may lie beside it).
 */
public record LoadedModel(ModelConfig cfg, Weights weights, Path dir) {
}
