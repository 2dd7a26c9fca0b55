package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.engine.ReferenceEngine;
import neuroscan.engine.cpu.CpuEngine;
import neuroscan.engine.cuda.CU;
import neuroscan.engine.cuda.CudaEngine;
import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.OpenClDevices;
import neuroscan.engine.opencl.OpenClEngine;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.Screening;
import neuroscan.model.Weights;
import neuroscan.report.ReportEngines;
import picocli.CommandLine.Option;

import java.util.Optional;

/** {@code --backend}, {@code --device} and {@code --threads}: which engine runs the forward pass. */
final class EngineOptions {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
            description = "auto, cuda, opencl, cpu or reference (default: ${DEFAULT-VALUE}: an NVIDIA GPU through CUDA if there is one, else an OpenCL GPU, else the CPU engine).")
    String backend;

    @Option(names = "--device", paramLabel = "N", description = "Device index from `neuroscan devices`, among the CUDA GPUs for cuda and the OpenCL devices for opencl (default: the first GPU, else 0).")
    Integer device;

    @Option(names = "--threads", paramLabel = "T", description = "CPU threads (default: every core).")
    Integer threads;

    /** The scan's --screen / --exact-fp32 (set by ScanCommand; other commands do not scan). */
    Screening.Mode screening = Screening.Mode.AUTO;

    /** The engine for a scan or a trace; {@code announce} names it on stderr. */
    Engine open(Weights weights, boolean announce) {
        Engine e = openEngine(weights);
        try {
            if (e instanceof GpuEngine g) g.screening(screening);
            else if (screening == Screening.Mode.ON) throw new NeuroscanException("--screen: the " + backendName(e)
                    + " engine computes in FP32 throughout; screening needs --backend cuda or opencl");
        } catch (RuntimeException x) {
            e.close();
            throw x;
        }
        if (announce) System.err.println("neuroscan: engine " + e.describe()
                + (e instanceof GpuEngine g && g.screens() ? ", MLP screened with TF32 matrix instructions" : ""));
        return e;
    }

    private static String backendName(Engine e) {
        return e instanceof ReferenceEngine ? "reference" : "cpu";
    }

    private Engine openEngine(Weights weights) {
        int t = threads();
        Engine e = switch (backend) {
            case "auto" -> gpu(weights).orElseGet(() -> new CpuEngine(weights, t));
            case "cuda" -> {
                Optional<String> why = CU.unavailable();
                if (why.isPresent()) throw new NeuroscanException("--backend cuda: " + why.get());
                yield CudaEngine.open(weights, device != null ? device : 0);
            }
            case "cpu" -> new CpuEngine(weights, t);
            case "opencl" -> {
                Optional<String> why = CL.unavailable();
                if (why.isPresent()) throw new NeuroscanException("--backend opencl: " + why.get());
                yield OpenClEngine.open(weights, device != null ? device : openClGpu().orElse(0));
            }
            case "reference" -> new ReferenceEngine(weights);
            default -> throw new NeuroscanException("--backend " + backend + " is not one of auto, cuda, opencl, cpu, reference");
        };
        return e;
    }

    /**
     * The engines for the reports of show, compare, site and the flagship: the same backend, as one
     * single-threaded engine per --threads worker for cpu and reference (one document's forward pass runs on
     * one core) and as the one engine of a GPU.
     */
    ReportEngines forReports(Weights weights) {
        int t = threads();
        return switch (backend) {
            case "auto" -> gpu(weights).map(ReportEngines::single).orElseGet(() -> ReportEngines.perWorker(t, () -> new CpuEngine(weights, 1)));
            case "cpu" -> ReportEngines.perWorker(t, () -> new CpuEngine(weights, 1));
            case "reference" -> ReportEngines.perWorker(t, () -> new ReferenceEngine(weights));
            default -> ReportEngines.single(open(weights, false));
        };
    }

    private int threads() {
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) throw new NeuroscanException("--threads must be at least 1");
        int cores = Runtime.getRuntime().availableProcessors(), max = maxThreads();
        if (t > max) {
            throw new NeuroscanException("--threads " + t + " is far more than this machine's " + cores + " cores (each thread "
                    + "needs its own buffers); use at most " + max + ", or leave --threads out for one per core");
        }
        return t;
    }

    /** The most --threads accepted: 8 per core, at least 64. */
    static int maxThreads() {
        return Math.max(64, 8 * Runtime.getRuntime().availableProcessors());
    }

    /** auto's GPU: CUDA, then an OpenCL GPU, else none (the CPU engine). A GPU that fails to open says why on stderr. */
    private Optional<Engine> gpu(Weights weights) {
        if (CU.unavailable().isEmpty()) {
            try {
                return Optional.of(CudaEngine.open(weights, device != null ? device : 0));
            } catch (NeuroscanException e) {
                System.err.println("neuroscan: CUDA GPU not usable (" + e.getMessage() + "); trying the next backend");
            }
        }
        Optional<Integer> cl = openClGpu();
        if (cl.isPresent()) {
            try {
                return Optional.of(OpenClEngine.open(weights, cl.get()));
            } catch (NeuroscanException e) {
                System.err.println("neuroscan: OpenCL GPU not usable (" + e.getMessage() + "); using the CPU engine");
            }
        }
        return Optional.empty();
    }

    /** The device to use for auto: --device if given, else the first OpenCL GPU (PoCL's CPU device is slower than ours). */
    private Optional<Integer> openClGpu() {
        if (CL.unavailable().isPresent()) return Optional.empty();
        if (device != null) return Optional.of(device);
        return OpenClDevices.list().stream().filter(d -> d.type().contains("GPU")).map(OpenClDevices.Info::index).findFirst();
    }
}
