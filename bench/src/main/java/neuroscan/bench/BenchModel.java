package neuroscan.bench;

import neuroscan.model.ModelLoader;
import neuroscan.model.TorchCheckpointWriter;

import java.nio.file.Files;
import java.nio.file.Path;

/** The benchmark model: gelu-1l's shapes (d_model 512, 8 heads, d_mlp 2048, n_ctx 1024, d_vocab 48262), random weights. */
public final class BenchModel {
    public static final Path DEFAULT = Path.of("target/gelu1l-shaped");

    private BenchModel() {
    }

    /** Writes the model to {@code dir} (TorchCheckpointWriter, seed 1) unless it already holds one. */
    public static void ensure(Path dir) throws Exception {
        if (Files.exists(dir.resolve(ModelLoader.CONFIG))) return;
        Files.createDirectories(dir);
        System.out.println("writing a gelu-1l-shaped random model to " + dir);
        TorchCheckpointWriter.writeGelu1lShaped(dir, 1);
    }
}
