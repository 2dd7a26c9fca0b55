package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;
import neuroscan.engine.gpu.KernelSources;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The kernels of {@code kernels/} loaded as CUDA modules, one per file, and their functions. The PTX comes
 * from the jar (built by nvcc at build time, see {@link Ptx}) when it was built with this model's -D
 * defines; otherwise, when {@code NEUROSCAN_CUDA_PTX=nvrtc}, or when this driver cannot load it (older
 * than the nvcc that made it), NVRTC compiles the same source for this GPU at run time.
 */
final class Modules implements AutoCloseable {
    private final Map<String, MemorySegment> modules = new LinkedHashMap<>();
    private final Map<String, MemorySegment> functions = new LinkedHashMap<>();
    private final List<String> origins = new ArrayList<>();

    Modules(CudaDevices.Info gpu, int dHead) {
        boolean forceNvrtc = "nvrtc".equalsIgnoreCase(System.getenv("NEUROSCAN_CUDA_PTX"));
        Optional<Shipped> shipped = forceNvrtc ? Optional.empty() : Shipped.load().filter(s -> s.fits(dHead));
        try {
            for (String name : KernelSources.names()) {
                MemorySegment module = null;
                if (KernelSources.entry(name).mma() && gpu.ccMajor() < 8) {
                    // the jar's PTX for it is sm_80 (tensor cores): NVRTC builds the model of the instruction instead
                    if (Nvrtc.unavailable().isPresent()) continue;   // left out: the engine screens only on sm_80+
                    module = load(name, nvrtc(name, gpu, dHead));
                    origins.add("nvrtc");
                }
                if (module == null && shipped.isPresent()) {
                    try {
                        module = load(name, shipped.get().ptx(name));
                        origins.add("jar");
                    } catch (CudaException e) {
                        if (!e.isImageProblem()) throw e;
                        if (Nvrtc.unavailable().isPresent()) {
                            throw new NeuroscanException("kernel " + name + ": this driver (" + CudaDevices.driverVersion()
                                    + ") cannot load the PTX in the jar (" + shipped.get().nvcc + "): " + e.getMessage()
                                    + "; and " + Nvrtc.unavailable().get());
                        }
                        shipped = Optional.empty();   // the rest of the jar's PTX would fail the same way
                    }
                }
                if (module == null) {
                    module = load(name, nvrtc(name, gpu, dHead));
                    origins.add("nvrtc");
                }
                modules.put(name, module);
                try (Arena a = Arena.ofConfined()) {
                    functions.put(name, CU.create("cuModuleGetFunction", module, a.allocateFrom(name)));
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Whether kernel {@code name} was loaded (a tensor-core kernel is left out on a pre-sm_80 GPU without NVRTC). */
    boolean has(String name) {
        return functions.containsKey(name);
    }

    /** The kernel function {@code name} (the file's name, e.g. "gemm_bias"). */
    MemorySegment function(String name) {
        MemorySegment f = functions.get(name);
        if (f == null) throw new IllegalArgumentException("no kernel " + name);
        return f;
    }

    /** "PTX from the jar" / "NVRTC" / a mix, for describe(). */
    String origin() {
        boolean jar = origins.contains("jar"), nv = origins.contains("nvrtc");
        return jar && nv ? "PTX from the jar and NVRTC" : jar ? "PTX from the jar" : "NVRTC " + Nvrtc.describe();
    }

    /** PTX for this GPU's architecture from NVRTC, with the model's defines. */
    static String nvrtc(String name, CudaDevices.Info gpu, int dHead) {
        List<String> options = new ArrayList<>();
        options.add("--gpu-architecture=compute_" + gpu.ccMajor() + gpu.ccMinor());
        for (String d : KernelSources.defines(dHead)) options.add("-D" + d);
        return Nvrtc.compile(name + ".cu", KernelSources.source(name), options);
    }

    /** cuModuleLoadDataEx with the JIT's error log captured, so a bad PTX says why. */
    private static MemorySegment load(String name, String ptx) {
        try (Arena a = Arena.ofConfined()) {
            int logSize = 8192;
            MemorySegment log = a.allocate(logSize);
            MemorySegment opts = a.allocate(JAVA_INT, 2), values = a.allocate(ADDRESS, 2);
            opts.setAtIndex(JAVA_INT, 0, CU.JIT_ERROR_LOG_BUFFER);
            opts.setAtIndex(JAVA_INT, 1, CU.JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
            values.setAtIndex(ADDRESS, 0, log);
            values.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(logSize));   // a size passed as a void*
            MemorySegment out = a.allocate(ADDRESS);
            int rc = CU.invoke("cuModuleLoadDataEx", out, a.allocateFrom(ptx), 2, opts, values);
            if (rc != CU.SUCCESS) {
                CudaException e = CU.error("cuModuleLoadDataEx(" + name + ")", rc);
                String jitLog = log.getString(0).strip();
                if (jitLog.isEmpty() || e.isImageProblem()) throw e;
                throw new NeuroscanException(e.getMessage() + ":\n" + jitLog, e);
            }
            return out.get(ADDRESS, 0);
        }
    }

    @Override
    public void close() {
        for (MemorySegment m : modules.values()) CU.invoke("cuModuleUnload", m);
        modules.clear();
        functions.clear();
    }

    /** The PTX shipped in the jar and how it was built (ptx.properties). */
    record Shipped(String defines, String nvcc) {
        static Optional<Shipped> load() {
            try (InputStream in = Modules.class.getResourceAsStream("/" + Ptx.DIR + "/" + Ptx.PROPERTIES)) {
                if (in == null) return Optional.empty();
                Properties p = new Properties();
                p.load(in);
                return Optional.of(new Shipped(p.getProperty("defines", ""), p.getProperty("nvcc", "nvcc")));
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        /** Whether the PTX was built with the defines this model needs (d_head is one of them). */
        boolean fits(int dHead) {
            return defines.equals(String.join(" ", KernelSources.defines(dHead)));
        }

        String ptx(String name) {
            try (InputStream in = Modules.class.getResourceAsStream("/" + Ptx.DIR + "/" + name + ".ptx")) {
                if (in == null) throw new NeuroscanException(Ptx.DIR + "/" + name + ".ptx: missing from the jar");
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new NeuroscanException(Ptx.DIR + "/" + name + ".ptx: " + e.getMessage(), e);
            }
        }
    }
}
