package neuroscan.bench;

import neuroscan.model.ModelLoader;

import java.nio.file.Files;
import java.nio.file.Path;

/** The benchmark model: gelu-1l's shapes (d_model 512, 8 heads, d_mlp 2048, n_ctx 1024, d_vocab 48262), random weights. */
public final class BenchModel {
    public static final Path DEFAULT = Path.of("target/gelu1l-shaped");

    private BenchModel() {
    }

    /**
     * Writes the model to {@code dir} unless it already holds one. TorchCheckpointWriter lives in the test
     * sources, so it is called by name: the bench compiles without them, and target/test-classes must be
     * on the classpath only when the model has to be written.
     */
    public static void ensure(Path dir) throws Exception {
        if (Files.exists(dir.resolve(ModelLoader.CONFIG))) return;
        Class<?> writer;
        try {
            writer = Class.forName("neuroscan.model.TorchCheckpointWriter");
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(dir + " has no model and target/test-classes is not on the classpath"
                    + " to write one (see bench/README.md)", e);
        }
        Files.createDirectories(dir);
        System.out.println("writing a gelu-1l-shaped random model to " + dir);
        writer.getMethod("writeGelu1lShaped", Path.class, long.class).invoke(null, dir, 1L);
    }
}
