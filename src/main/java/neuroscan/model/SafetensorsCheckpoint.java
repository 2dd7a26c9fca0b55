package neuroscan.model;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code .safetensors} model file as float32 tensors: F32 data is a zero-copy slice of the mapped
 * file, F16/BF16 (and BOOL buffers) are widened once by {@link Dtype}.
 */
public final class SafetensorsCheckpoint {
    private SafetensorsCheckpoint() {
    }

    /** The file's tensors by name, in header order (a new map, the caller's to change). */
    public static Map<String, Tensor> read(Path file) {
        String source = file.getFileName().toString();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : Safetensors.read(file).tensors().entrySet()) {
            String name = e.getKey();
            Safetensors.Entry t = e.getValue();
            Dtype dtype = switch (t.dtype()) {
                case "F32" -> Dtype.F32;
                case "F16" -> Dtype.F16;
                case "BF16" -> Dtype.BF16;
                case "BOOL" -> Dtype.BOOL;
                default -> throw new NeuroscanException(source + ": tensor " + name + " has unsupported dtype "
                        + t.dtype() + " (neuroscan reads F32, F16 and BF16)");
            };
            out.put(name, dtype.tensor(name, t.data(), t.shape(), source));
        }
        return out;
    }
}
