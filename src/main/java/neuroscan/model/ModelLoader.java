package neuroscan.model;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads a model from a directory ({@code config.json} plus {@code model_final.pth}, another single
 * {@code *.pth}, or {@code model.safetensors}) or from a checkpoint file with {@code config.json} beside it.
 */
public final class ModelLoader {
    private ModelLoader() {
    }

    public static final String CONFIG = "config.json";

    public static LoadedModel load(Path modelDirOrFile) {
        Path p = modelDirOrFile.toAbsolutePath().normalize();
        if (!Files.exists(p)) throw new NeuroscanException(modelDirOrFile + ": no such file or directory");
        Path dir = Files.isDirectory(p) ? p : p.getParent();
        Path checkpoint = Files.isDirectory(p) || p.getFileName().toString().equals(CONFIG) ? findCheckpoint(dir) : p;
        Path config = dir.resolve(CONFIG);
        if (!Files.isRegularFile(config)) {
            throw new NeuroscanException(dir + ": no " + CONFIG + " beside " + checkpoint.getFileName());
        }
        ModelConfig cfg = ConfigReader.read(config);
        Map<String, Tensor> tensors = readCheckpoint(checkpoint);
        return new LoadedModel(cfg, Weights.from(cfg, tensors, checkpoint.getFileName().toString()), dir);
    }

    /** A {@code .pth} or {@code .safetensors} file's tensors. */
    public static Map<String, Tensor> readCheckpoint(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors")) return SafetensorsCheckpoint.read(file);
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".bin")) return TorchCheckpoint.read(file);
        throw new NeuroscanException(name + ": not a model checkpoint (expected .pth or .safetensors)");
    }

    /** model_final.pth, else model.safetensors, else the directory's only *.pth / *.safetensors. */
    public static Path findCheckpoint(Path dir) {
        for (String preferred : List.of("model_final.pth", "model.safetensors")) {
            if (Files.isRegularFile(dir.resolve(preferred))) return dir.resolve(preferred);
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(dir)) {
            found = s.filter(f -> Files.isRegularFile(f) && (f.toString().endsWith(".pth") || f.toString().endsWith(".safetensors")))
                    .sorted().toList();
        } catch (IOException e) {
            throw new NeuroscanException(dir + ": cannot list: " + AtomicFiles.describe(e), e);
        }
        if (found.size() == 1) return found.getFirst();
        if (found.isEmpty()) {
            throw new NeuroscanException(dir + ": no model checkpoint (model_final.pth, *.pth or model.safetensors)");
        }
        throw new NeuroscanException(dir + ": several checkpoints (" + String.join(", ",
                found.stream().map(f -> f.getFileName().toString()).toList()) + "); name the one to load");
    }
}
