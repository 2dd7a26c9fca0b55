package neuroscan.bench;

import neuroscan.NeuroscanException;
import neuroscan.bench.Sweep.Contender;
import neuroscan.bench.Sweep.Ref;
import neuroscan.bench.libtorch.LibTorchScans;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.OpenClDevices;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.opencl.OpenClEngine;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code bench/report}: neuroscan's CPU engine, the LibTorch seed and best pipelines and (where OpenCL is
 * installed) neuroscan's OpenCL engine on the same weights and corpus, over a sweep of corpus sizes, with
 * every store checked against neuroscan's before its time counts; plus a short JMH run of the CPU
 * kernels. Writes README.md, two SVG charts and results.json into bench/results/ (see {@link ReportOptions}).
 * Exits 1 when a store differs (the report is still written, without that time), 2 on bad options.
 */
public final class Report {
    private Report() {
    }

    public static void main(String[] args) {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println(ReportOptions.USAGE);
            return;
        }
        ReportOptions o;
        try {
            o = ReportOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench/report: " + e.getMessage());
            System.exit(2);
            return;
        }
        int rc;
        try {
            rc = run(o);
        } catch (NeuroscanException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("bench/report: " + e.getMessage());
            rc = 1;
        } catch (Exception e) {
            System.err.println("bench/report: " + e);
            rc = 1;
        }
        System.exit(rc);
    }

    static int run(ReportOptions o) throws Exception {
        long t0 = System.nanoTime();
        Machine machine = Machine.now();
        System.out.printf("bench/report: %s, %d cores, load %s, commit %s%n", machine.cpu(), machine.cores(), machine.load(), machine.commit());
        List<KernelBench.Kernel> kernels = List.of();
        if (o.jmh()) {
            System.out.println("JMH: FmaPeakBench and OpsBench" + (o.quick() ? " (quick)" : " (~1 minute)") + " ...");
            kernels = KernelBench.run(o.quick());
            for (var k : kernels) System.out.printf("  %-32s %2d thread(s) %7.1f GFLOP/s%n", k.name(), k.threads(), k.gflops());
        }
        BenchModel.ensure(o.model());
        LoadedModel lm = ModelLoader.load(o.model());
        int nCtx = lm.cfg().nCtx();
        List<int[]> corpus = Corpus.c4Like(o.maxSize(), nCtx, lm.cfg().dVocab(), o.corpusSeed());
        List<String> notes = new ArrayList<>();
        Map<String, String> engines = new LinkedHashMap<>();
        boolean torchNeeded = o.seedMax() >= o.sizes()[0] || o.bestMax() >= o.sizes()[0];
        GpuEngine ocl = o.openclMax() >= o.sizes()[0] ? openCl(lm, notes) : null;
        try (CpuEngine cpu = new CpuEngine(lm.weights()); LibTorchScans torch = torchNeeded ? new LibTorchScans(lm.weights()) : null) {
            engines.put("neuroscan CPU engine", cpu.describe());
            engines.put("LibTorch", torch != null ? torch.describe() : "not run");
            engines.put("OpenCL", ocl != null ? ocl.describe() : o.openclMax() >= o.sizes()[0] ? "none usable (see the notes)" : "not run (--opencl-max " + o.openclMax() + ")");
            List<Contender> cs = contenders(o, nCtx, cpu, torch, ocl);
            System.out.printf("%d systems over %s documents (top-k %d):%n", cs.size(), java.util.Arrays.toString(o.sizes()), o.topK());
            for (Contender c : cs) System.out.printf("  %-34s up to %,d documents%n", c.label(), Math.min(c.maxDocs(), o.maxSize()));
            Map<String, List<Sweep.Run>> runs = Sweep.run(cs, corpus, o.sizes(), nCtx, o.topK(), System.out);
            double wall = (System.nanoTime() - t0) / 1e9;
            var data = new ReportWriter.Data(o, machine, Machine.readLoad(), wall, lm.cfg(), modelNote(o.model()), corpus, cs, runs, kernels,
                    engines, notes);
            new ReportWriter(data).write();
            System.out.printf(Locale.ROOT, "wrote %s/{%s, %s, %s, %s} in %.1f minutes%n", o.out(), ReportWriter.README,
                    ReportWriter.THROUGHPUT_SVG, ReportWriter.SCAN_TIME_SVG, ReportWriter.JSON, wall / 60);
            boolean differs = runs.values().stream().flatMap(List::stream).anyMatch(r -> !r.reported());
            if (differs) System.err.println("bench/report: a store differs from neuroscan's; its time is not reported (see the report)");
            return differs ? 1 : 0;
        } finally {
            if (ocl != null) ocl.close();
        }
    }

    static List<Contender> contenders(ReportOptions o, int nCtx, CpuEngine cpu, LibTorchScans torch, GpuEngine ocl) {
        List<Contender> cs = new ArrayList<>();
        cs.add(new Contender("cpu", "neuroscan CPU", "`CpuEngine` (Java Vector API, all cores): `docMax` over windows "
                + "of 64 documents and `TopK.merge`, the compute path of `neuroscan scan`; documents unpadded, documents of "
                + "similar lengths packed into bins by the engine.", o.maxSize(), false, Ref.NONE, true, true, Ref.CPU,
                (docs, k) -> EngineScan.scan(cpu, docs, k)));
        if (torch != null && o.seedMax() > 0) {
            cs.add(new Contender("cpu-padded", "neuroscan CPU, padded to n_ctx", "the same engine on every document right-padded "
                    + "with PAD to n_ctx = " + nCtx + " (`neuroscan scan --include-padding`): the seed's semantics and the same work as the "
                    + "seed pipeline; the reference for its store. Not in the charts.", o.seedMax(), true, Ref.NONE, false, false,
                    Ref.CPU_PADDED, (docs, k) -> EngineScan.scan(cpu, docs, k)));
            cs.add(new Contender("seed", "LibTorch seed pipeline", "the seed notebook's scan in LibTorch: "
                    + "batches of 16 documents padded with PAD to n_ctx, full forward to `hook_post`, max over all positions (pads "
                    + "included), the seed's `MaxStore.batch_update` (sort the batch, masked replace of the store minimum row by row), "
                    + "final sort.", o.seedMax(), false, Ref.CPU_PADDED, false, true, Ref.NONE, torch::seed));
        }
        if (torch != null && o.bestMax() > 0) {
            cs.add(new Contender("best", "LibTorch best pipeline", "the fastest plain LibTorch scan we wrote: documents sorted by "
                    + "length, batches of <= 64 documents and <= 16k padded tokens padded only to their longest, causal mask, pad rows "
                    + "set to -inf before the max, store merged per batch with `topk` over concat(store, batch). Same forward "
                    + "(`TorchForward`: embedding gather, `layer_norm`, one GEMM for Q, K and V, softmax, W_O, W_in, exact `gelu`).",
                    o.bestMax(), false, Ref.CPU, true, true, Ref.NONE, torch::best));
        }
        if (ocl != null) {
            cs.add(new Contender("opencl", ocl.describe().contains("Portable Computing Language") ? "neuroscan OpenCL (PoCL)" : "neuroscan OpenCL",
                    "`OpenClEngine` (the GPU engine on OpenCL), the Java kernels of `kernels/` (device in the machine table), same windows and merge as neuroscan CPU. "
                            + "Under PoCL it runs on the same CPU cores: it is there to test the kernels, not to be fast.",
                    o.openclMax(), false, Ref.CPU, true, true, Ref.NONE, (docs, k) -> EngineScan.scan(ocl, docs, k)));
        }
        return cs;
    }

    /** The first OpenCL GPU, else device 0 (PoCL's CPU device); null, with a note saying why, when there is none. */
    private static GpuEngine openCl(LoadedModel lm, List<String> notes) {
        var why = CL.unavailable();
        if (why.isPresent()) {
            notes.add("neuroscan OpenCL not run: " + why.get());
            return null;
        }
        try {
            List<OpenClDevices.Info> all = OpenClDevices.list();
            if (all.isEmpty()) {
                notes.add("neuroscan OpenCL not run: no OpenCL device is installed");
                return null;
            }
            int dev = all.stream().filter(d -> d.type().contains("GPU")).mapToInt(OpenClDevices.Info::index).findFirst().orElse(0);
            return OpenClEngine.open(lm.weights(), dev);
        } catch (RuntimeException e) {
            notes.add("neuroscan OpenCL not run: " + e.getMessage());
            return null;
        }
    }

    private static String modelNote(Path dir) {
        long bytes;
        try (Stream<Path> files = Files.list(dir)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            bytes = -1;
        }
        String size = bytes < 0 ? "" : String.format(Locale.ROOT, ", %.0f MB", bytes / 1e6);
        return "`" + dir + "`" + size + (dir.equals(BenchModel.DEFAULT)
                ? ": random weights in gelu-1l's shapes, written once by `TorchCheckpointWriter` (seed 1)" : "");
    }
}
