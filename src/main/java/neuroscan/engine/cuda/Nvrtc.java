package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * NVRTC, CUDA's run-time compiler, through FFM: turns a kernel source into PTX for this GPU when the
 * PTX shipped in the jar cannot be used (a driver older than the nvcc that built it, another d_head,
 * or {@code NEUROSCAN_CUDA_PTX=nvrtc}). It comes with the CUDA toolkit and with PyTorch's CUDA wheels;
 * {@link #libraries()} says where it is looked for.
 */
public final class Nvrtc {
    private Nvrtc() {
    }

    private static final String[] VERSIONS = {"", ".13", ".12", ".11.2"};

    /** Names and paths tried in order: NEUROSCAN_NVRTC_LIB, the loader's search path, CUDA_HOME, PyTorch's wheels. */
    static List<String> libraries() {
        List<String> out = new ArrayList<>();
        String env = System.getenv("NEUROSCAN_NVRTC_LIB");
        if (env != null && !env.isBlank()) out.add(env);
        for (String v : VERSIONS) out.add("libnvrtc.so" + v);
        List<Path> dirs = new ArrayList<>();
        for (String home : new String[]{System.getenv("CUDA_HOME"), System.getenv("CUDA_PATH"), "/usr/local/cuda"}) {
            if (home != null) {
                dirs.add(Path.of(home, "lib64"));
                dirs.add(Path.of(home, "targets", "x86_64-linux", "lib"));
            }
        }
        dirs.addAll(pythonWheelDirs());
        for (Path d : dirs)
            for (String v : VERSIONS) out.add(d.resolve("libnvrtc.so" + v).toString());
        return out;
    }

    /** site-packages/nvidia/cuda_nvrtc/lib of the Python installs PyTorch's CUDA wheels put NVRTC in. */
    private static List<Path> pythonWheelDirs() {
        List<Path> out = new ArrayList<>();
        for (String root : new String[]{"/usr/lib", "/usr/local/lib", System.getProperty("user.home") + "/.local/lib", "/opt/conda/lib"}) {
            try (Stream<Path> pys = Files.list(Path.of(root))) {
                pys.filter(p -> p.getFileName().toString().startsWith("python3")).forEach(py -> {
                    for (String site : new String[]{"site-packages", "dist-packages"}) {
                        Path lib = py.resolve(site).resolve("nvidia/cuda_nvrtc/lib");
                        if (Files.isDirectory(lib)) out.add(lib);
                    }
                });
            } catch (IOException | RuntimeException notThere) {
                // no such root
            }
        }
        return out;
    }

    private record Api(MethodHandle version, MethodHandle create, MethodHandle compile, MethodHandle ptxSize,
                       MethodHandle ptx, MethodHandle logSize, MethodHandle log, MethodHandle destroy,
                       MethodHandle errorString, String library) {
    }

    private static Api api;
    private static String problem;

    private static synchronized Api api() {
        if (api == null && problem == null) {
            for (String lib : libraries()) {
                try {
                    api = bind(SymbolLookup.libraryLookup(lib, Arena.global()), lib);
                    break;
                } catch (IllegalArgumentException notThere) {
                    // try the next
                } catch (IllegalCallerException e) {
                    problem = "native access is disabled; run java with --enable-native-access=ALL-UNNAMED";
                    break;
                }
            }
            if (api == null && problem == null) {
                problem = "NVRTC (libnvrtc.so, from the CUDA toolkit or PyTorch's nvidia-cuda-nvrtc wheel) was not found;"
                        + " set NEUROSCAN_NVRTC_LIB to its path";
            }
        }
        return api;
    }

    private static Api bind(SymbolLookup lib, String name) {
        Linker l = Linker.nativeLinker();
        var P = ADDRESS;
        var I = JAVA_INT;
        java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> h = (s, d) ->
                l.downcallHandle(lib.find(s).orElseThrow(() -> new IllegalArgumentException(name + " lacks " + s)), d);
        return new Api(h.apply("nvrtcVersion", FunctionDescriptor.of(I, P, P)),
                h.apply("nvrtcCreateProgram", FunctionDescriptor.of(I, P, P, P, I, P, P)),
                h.apply("nvrtcCompileProgram", FunctionDescriptor.of(I, P, I, P)),
                h.apply("nvrtcGetPTXSize", FunctionDescriptor.of(I, P, P)),
                h.apply("nvrtcGetPTX", FunctionDescriptor.of(I, P, P)),
                h.apply("nvrtcGetProgramLogSize", FunctionDescriptor.of(I, P, P)),
                h.apply("nvrtcGetProgramLog", FunctionDescriptor.of(I, P, P)),
                h.apply("nvrtcDestroyProgram", FunctionDescriptor.of(I, P)),
                h.apply("nvrtcGetErrorString", FunctionDescriptor.of(P, I)), name);
    }

    /** Empty when NVRTC can be loaded; otherwise why not. */
    public static Optional<String> unavailable() {
        return api() == null ? Optional.of(problem) : Optional.empty();
    }

    /** "12.4 (libnvrtc.so.12)". */
    public static String describe() {
        Api a = require();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(JAVA_INT), minor = arena.allocate(JAVA_INT);
            check(a, (int) a.version.invokeExact(major, minor), "nvrtcVersion");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0) + " (" + a.library + ")";
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Compiles {@code source} (named {@code name} in messages) with {@code options} (e.g.
     * {@code --gpu-architecture=compute_90}, {@code -DD_HEAD=64}) and returns the PTX text. A compile error
     * throws with NVRTC's log.
     */
    public static String compile(String name, String source, List<String> options) {
        Api a = require();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment prog = arena.allocate(ADDRESS);
            check(a, (int) a.create.invokeExact(prog, arena.allocateFrom(source), arena.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram");
            MemorySegment p = prog.get(ADDRESS, 0);
            try {
                MemorySegment opts = arena.allocate(ADDRESS, Math.max(options.size(), 1));
                for (int i = 0; i < options.size(); i++) opts.setAtIndex(ADDRESS, i, arena.allocateFrom(options.get(i)));
                int rc = (int) a.compile.invokeExact(p, options.size(), opts);
                if (rc != 0) {
                    throw new NeuroscanException("NVRTC could not compile " + name + " (" + errorString(a, rc) + "):\n"
                            + log(a, p, arena).strip());
                }
                MemorySegment size = arena.allocate(JAVA_LONG);
                check(a, (int) a.ptxSize.invokeExact(p, size), "nvrtcGetPTXSize");
                MemorySegment ptx = arena.allocate(size.get(JAVA_LONG, 0) + 1);
                check(a, (int) a.ptx.invokeExact(p, ptx), "nvrtcGetPTX");
                return ptx.getString(0);
            } finally {
                int ignored = (int) a.destroy.invokeExact(prog);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String log(Api a, MemorySegment p, Arena arena) throws Throwable {
        MemorySegment size = arena.allocate(JAVA_LONG);
        if ((int) a.logSize.invokeExact(p, size) != 0) return "(no log)";
        MemorySegment log = arena.allocate(size.get(JAVA_LONG, 0) + 1);
        if ((int) a.log.invokeExact(p, log) != 0) return "(no log)";
        return log.getString(0);
    }

    private static Api require() {
        Api a = api();
        if (a == null) throw new NeuroscanException(problem);
        return a;
    }

    private static void check(Api a, int rc, String call) throws Throwable {
        if (rc != 0) throw new NeuroscanException(call + " failed: " + errorString(a, rc));
    }

    private static String errorString(Api a, int rc) throws Throwable {
        MemorySegment s = (MemorySegment) a.errorString.invokeExact(rc);
        return s.equals(MemorySegment.NULL) ? "nvrtcResult " + rc : s.reinterpret(256).getString(0);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
