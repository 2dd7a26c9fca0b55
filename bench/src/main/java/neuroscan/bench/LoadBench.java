package neuroscan.bench;

import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Loading a 213 MB gelu-1l-shaped {@code model_final.pth} (goal: under ~2 s). Each measurement is a fresh
 * load in a warm page cache: parse the zip directory and the pickle, map the file, check every shape.
 * Make the checkpoint first (src/support's writer, real torch.save layout; after {@code mvn -Pbench compile}):
 * {@code java -cp target/classes:$(cat target/bench.classpath) neuroscan.model.TorchCheckpointWriter target/gelu1l-shaped}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LoadBench {
    @Param({"target/gelu1l-shaped"})
    public String model;

    @Setup
    public void check() {
        if (!Files.isRegularFile(Path.of(model, "model_final.pth"))) {
            throw new IllegalStateException(model + "/model_final.pth is missing; see LoadBench's comment for how to make it");
        }
    }

    @Benchmark
    public LoadedModel load() {
        LoadedModel m = ModelLoader.load(Path.of(model));
        // touch the last row of W_E so the mapping is real, not just reserved
        m.weights().W_E().get(m.weights().W_E().numel() - 1);
        return m;
    }
}
