package neuroscan.cli;

import neuroscan.model.ModelConfig;
import neuroscan.model.TorchCheckpointWriter;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small random gelu-1l-style model with the fixture tokenizer beside it, and a way to run the CLI (also serve's tests'). */
public final class CliFixtures {
    private CliFixtures() {
    }

    public static final Path TOKENIZER = Path.of("src/test/fixtures/data/tokenizer");
    public static final Path PARQUET = Path.of("src/test/fixtures/data/datasets/c4-mini.parquet");

    /** d_vocab covers the fixture tokenizer (276 ids); n_ctx 48 so long documents get truncated. */
    public static final ModelConfig DEMO = new ModelConfig(1, 32, 4, 8, 64, 48, 300, "gelu", "LN", 1e-5, null);

    public static Path demoModel(Path dir) throws IOException {
        return demoModel(dir, (name, values) -> { });
    }

    /** A random model of config {@code c} (e.g. several layers) with the fixture tokenizer beside it. */
    public static Path model(Path dir, ModelConfig c, long seed) throws IOException {
        TorchCheckpointWriter.writeRandom(dir, c, seed, (name, values) -> { });
        for (String f : new String[]{"tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"}) {
            Files.copy(TOKENIZER.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    /** The demo model with {@code edit} applied to its MLP weights (e.g. a NaN in {@code blocks.0.mlp.b_in}). */
    static Path demoModel(Path dir, java.util.function.BiConsumer<String, float[]> edit) throws IOException {
        TorchCheckpointWriter.writeRandom(dir, DEMO, 424, edit);
        for (String f : new String[]{"tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"}) {
            Files.copy(TOKENIZER.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    public record Result(int code, String out, String err) {
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }
}
