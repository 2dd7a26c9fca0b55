package neuroscan.engine.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CUDA binding checked against the real cuda.h with the C compiler, with no GPU needed: the symbol
 * cuda.h maps each API name to (the first symbol the binding tries), each function's parameters (pointer,
 * 4- or 8-byte integer) from the preprocessed prototype, the constants, and the layout of
 * CUDA_KERNEL_NODE_PARAMS. Skips where gcc or cuda.h (CUDA toolkit) is missing.
 */
class CudaHeaderTest {
    @TempDir
    static Path tmp;
    static Path include;

    /** The binding's constants and the cuda.h names they stand for. */
    static final Map<String, Integer> CONSTANTS = new LinkedHashMap<>();

    static {
        CONSTANTS.put("CUDA_SUCCESS", CU.SUCCESS);
        CONSTANTS.put("CUDA_ERROR_OUT_OF_MEMORY", CU.ERROR_OUT_OF_MEMORY);
        CONSTANTS.put("CUDA_ERROR_NO_DEVICE", CU.ERROR_NO_DEVICE);
        CONSTANTS.put("CUDA_ERROR_INVALID_IMAGE", CU.ERROR_INVALID_IMAGE);
        CONSTANTS.put("CUDA_ERROR_NO_BINARY_FOR_GPU", CU.ERROR_NO_BINARY_FOR_GPU);
        CONSTANTS.put("CUDA_ERROR_INVALID_PTX", CU.ERROR_INVALID_PTX);
        CONSTANTS.put("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", CU.ERROR_UNSUPPORTED_PTX_VERSION);
        CONSTANTS.put("CU_DEVICE_ATTRIBUTE_CLOCK_RATE", CU.DEVICE_ATTRIBUTE_CLOCK_RATE);
        CONSTANTS.put("CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT", CU.DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        CONSTANTS.put("CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR", CU.DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        CONSTANTS.put("CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR", CU.DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        CONSTANTS.put("CU_STREAM_NON_BLOCKING", CU.STREAM_NON_BLOCKING);
        CONSTANTS.put("CU_EVENT_DEFAULT", CU.EVENT_DEFAULT);
        CONSTANTS.put("CU_EVENT_DISABLE_TIMING", CU.EVENT_DISABLE_TIMING);
        CONSTANTS.put("CU_JIT_ERROR_LOG_BUFFER", CU.JIT_ERROR_LOG_BUFFER);
        CONSTANTS.put("CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES", CU.JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
    }

    static final List<String> FIELDS = List.of("func", "gridDimX", "gridDimY", "gridDimZ", "blockDimX", "blockDimY",
            "blockDimZ", "sharedMemBytes", "kernelParams", "extra", "kern", "ctx");

    static Map<String, String> probe;   // what the C program printed: key -> value
    static String preprocessed;         // cuda.h through the C preprocessor, one line

    @BeforeAll
    static void compileProbe() throws Exception {
        for (String d : new String[]{System.getenv("CUDA_HOME"), "/usr/local/cuda"}) {
            if (d != null && Files.exists(Path.of(d, "include", "cuda.h"))) {
                include = Path.of(d, "include");
                break;
            }
        }
        Assumptions.assumeTrue(include != null, "cuda.h not found (no CUDA toolkit): header checks skipped");
        Assumptions.assumeTrue(run(List.of("gcc", "--version")) != null, "gcc not found: header checks skipped");
        StringBuilder c = new StringBuilder("#include <cuda.h>\n#include <stdio.h>\n#include <stddef.h>\n"
                + "#define S(x) #x\n#define XS(x) S(x)\nint main(void) {\n");
        for (String api : CU.FUNCTIONS.keySet()) c.append("  printf(\"sym.").append(api).append("=%s\\n\", XS(").append(api).append("));\n");
        for (String k : CONSTANTS.keySet()) c.append("  printf(\"const.").append(k).append("=%d\\n\", (int) ").append(k).append(");\n");
        for (String f : FIELDS) {
            c.append("  printf(\"offset.").append(f).append("=%zu\\n\", offsetof(CUDA_KERNEL_NODE_PARAMS, ").append(f).append("));\n");
        }
        c.append("  printf(\"size=%zu\\n\", sizeof(CUDA_KERNEL_NODE_PARAMS));\n  return 0;\n}\n");
        Path src = tmp.resolve("probe.c"), exe = tmp.resolve("probe");
        Files.writeString(src, c);
        String out = run(List.of("gcc", "-I" + include, "-o", exe.toString(), src.toString()));
        assertNotNull(out, "the probe did not compile");
        probe = new HashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) probe.put(line.substring(0, eq), line.substring(eq + 1).strip());
        }
        preprocessed = run(List.of("gcc", "-E", "-I" + include, src.toString())).replace('\n', ' ');
    }

    @Test
    void eachFunctionBindsTheSymbolCudaHPicks() {
        for (CU.Fn f : CU.FUNCTIONS.values()) {
            assertEquals(probe.get("sym." + f.api()), f.symbols().getFirst(), f.api() + ": cuda.h maps it to another symbol");
        }
    }

    @Test
    void eachFunctionHasThePrototypesParameters() {
        for (CU.Fn f : CU.FUNCTIONS.values()) {
            for (String symbol : f.symbols()) {   // the fallbacks must share the signature
                Matcher m = Pattern.compile("CUresult\\s+" + symbol + "\\s*\\(([^;]*?)\\)\\s*;").matcher(preprocessed);
                if (!m.find()) {
                    if (symbol.equals(f.symbols().getFirst())) fail(symbol + ": no prototype in cuda.h");
                    continue;   // an old symbol newer headers no longer declare
                }
                List<String> want = new ArrayList<>();
                String params = m.group(1).strip();
                if (!params.equals("void") && !params.isEmpty()) for (String p : params.split(",")) want.add(kind(symbol, p));
                List<String> got = new ArrayList<>();
                for (MemoryLayout l : f.descriptor().argumentLayouts()) got.add(kind(l));
                assertEquals(want, got, symbol + "(" + params + ")");
                assertEquals(ValueLayout.JAVA_INT, f.descriptor().returnLayout().orElseThrow(), symbol + " returns CUresult");
            }
        }
    }

    @Test
    void constantsMatchCudaH() {
        CONSTANTS.forEach((name, value) -> assertEquals(probe.get("const." + name), String.valueOf(value), name));
    }

    @Test
    void kernelNodeParamsHasCudaHsLayout() {
        for (String f : FIELDS) assertEquals(probe.get("offset." + f), String.valueOf(CU.offsetOf(f)), f);
        assertEquals(probe.get("size"), String.valueOf(CU.KERNEL_NODE_PARAMS.byteSize()));
    }

    private static final Set<String> HANDLES = Set.of("CUcontext", "CUmodule", "CUfunction", "CUstream", "CUevent",
            "CUgraph", "CUgraphExec", "CUgraphNode");
    private static final Set<String> FOUR = Set.of("int", "unsigned int", "CUdevice", "CUresult", "CUdevice_attribute",
            "CUjit_option");
    private static final Set<String> EIGHT = Set.of("size_t", "CUdeviceptr", "unsigned long long", "cuuint64_t");

    /** "P" (a pointer or handle), "I" (4 bytes) or "L" (8 bytes) for a C parameter declaration. */
    private static String kind(String symbol, String param) {
        String p = param.strip().replaceAll("\\bconst\\b", "").strip();
        if (p.contains("*")) return "P";
        String type = p.replaceAll("\\s+\\w+$", "").strip();   // drop the parameter's name
        if (HANDLES.contains(type)) return "P";
        if (FOUR.contains(type)) return "I";
        if (EIGHT.contains(type)) return "L";
        fail(symbol + ": parameter type not classified: " + param);
        return null;
    }

    private static String kind(MemoryLayout l) {
        if (l instanceof java.lang.foreign.AddressLayout) return "P";
        return l.byteSize() == 4 ? "I" : "L";
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            System.err.println(String.join(" ", cmd) + ":\n" + out);
            return null;
        }
        return out;
    }
}
