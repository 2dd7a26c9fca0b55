package neuroscan.spark;

import neuroscan.cli.Main;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.resource.ResourceInformation;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The task: a plain {@code neuroscan scan --doc-range A:B} of one shard into a task-local temporary
 * directory (neuroscan's own dataset reader, so documents are numbered as one scan numbers them), returned
 * as bytes. Every task resolves the model, tokenizer and dataset from the same options, and a shard's scan
 * is deterministic, so a retried task returns the same bytes.
 *
 * @param scanArgs the scan options without --out, --doc-range, --device and --quiet
 * @param device   --device as given (null: none); a GPU Spark assigned to the task wins
 */
record ShardTask(List<String> scanArgs, String device) implements Function<Shard, ShardResult> {
    @Override
    public ShardResult call(Shard shard) {
        long t0 = System.nanoTime();
        TaskContext ctx = TaskContext.get();
        if (shard.failFirstAttempt() && ctx != null && ctx.attemptNumber() == 0) {
            throw new ShardFailure(shard.label() + ": injected failure (first attempt)");
        }
        if (probesDevices()) probeDevicesOnce();
        String dev = gpu(ctx);
        if (dev == null) dev = device;
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("neuroscan-shard-");
            Path run = tmp.resolve("run");
            List<String> argv = new ArrayList<>();
            argv.add("scan");
            argv.addAll(scanArgs);
            argv.addAll(List.of("--doc-range", shard.range(), "--out", run.toString(), "--quiet"));
            if (dev != null) argv.addAll(List.of("--device", dev));
            StringWriter out = new StringWriter(), err = new StringWriter();
            int rc = Main.run(argv.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
            if (rc != 0) throw new ShardFailure(shard.label() + ": " + lastLine(err.toString()));
            return new ShardResult(shard.index(), Files.readAllBytes(run.resolve(Manifest.NAME)),
                    Files.readAllBytes(run.resolve(StoreFile.NAME)), Files.readAllBytes(run.resolve(TokenCache.NAME)),
                    dev, (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new ShardFailure(shard.label() + ": " + e);
        } finally {
            if (tmp != null) delete(tmp);
        }
    }

    /** Whether --backend (auto, cuda, opencl) looks for GPUs; cpu and reference do not. */
    boolean probesDevices() {
        int i = scanArgs.lastIndexOf("--backend");
        String b = i >= 0 && i + 1 < scanArgs.size() ? scanArgs.get(i + 1) : "auto";
        return !b.equals("cpu") && !b.equals("reference");
    }

    private static final Object PROBE = new Object();
    private static volatile boolean probed;

    /**
     * The first look at the CUDA driver and the OpenCL platforms in this JVM, one task at a time: with local[N] an
     * executor runs N scans in one JVM, and PoCL's first platform enumeration from two threads at once crashed
     * the JVM (SIGSEGV in clGetDeviceInfo). Later enumerations find them initialised.
     */
    static void probeDevicesOnce() {
        if (probed) return;
        synchronized (PROBE) {
            if (probed) return;
            try {
                neuroscan.engine.cuda.CU.unavailable();
                if (neuroscan.engine.opencl.CL.unavailable().isEmpty()) neuroscan.engine.opencl.OpenClDevices.list();
            } catch (RuntimeException | LinkageError e) {
                // the scan itself reports what is wrong with a backend
            }
            probed = true;
        }
    }

    /** The GPU address Spark gave this task (spark.task.resource.gpu.amount), or null. */
    static String gpu(TaskContext ctx) {
        if (ctx == null) return null;
        ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? null : gpu.addresses()[0];
    }

    /** The CLI's error line without its "neuroscan: " prefix (usage errors print more; the first line says it). */
    static String lastLine(String err) {
        List<String> lines = err.strip().lines().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) return "the scan failed with no message";
        String l = lines.stream().filter(s -> s.startsWith("neuroscan: ")).reduce((a, b) -> b).orElse(lines.getFirst());
        return l.startsWith("neuroscan: ") ? l.substring("neuroscan: ".length()) : l;
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
