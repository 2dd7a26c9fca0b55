package neuroscan.engine.gpu;

import neuroscan.NeuroscanException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static neuroscan.engine.gpu.Calls.*;

/**
 * The text of the kernels in {@code kernels/} (on the classpath under {@code /kernels/}) and the -D
 * options they are built with: the same for the OpenCL compiler, nvcc at build time and NVRTC at run time.
 */
public final class KernelSources {
    private KernelSources() {
    }

    /** Each kernel file (without .cl) and the headers prepended to it, in this order. */
    private static final Map<String, List<String>> FILES = new LinkedHashMap<>();

    static {
        FILES.put("embed", List.of("common.h"));
        FILES.put("layer_norm", List.of("common.h"));
        FILES.put("gemm_bias", List.of("common.h", "gemm_tile.h"));
        FILES.put("causal_attention", List.of("common.h"));
        FILES.put("mlp_in_gelu_max", List.of("common.h", "gemm_tile.h"));
        FILES.put("topk_merge", List.of("common.h"));
    }

    /** Each kernel file (without .cl; also the kernel's name) and the headers prepended to it. */
    public static Map<String, List<String>> files() {
        return Collections.unmodifiableMap(FILES);
    }

    /** The -D definitions: the geometry the host launches with, so kernel and host cannot disagree. */
    public static List<String> defines(int dHead) {
        return List.of("D_HEAD=" + dHead, "GEMM_TM=" + GEMM_TM, "GEMM_TN=" + GEMM_TN, "GEMM_TK=" + GEMM_TK,
                "GEMM_WM=" + GEMM_WM, "GEMM_WN=" + GEMM_WN, "LN_WG=" + LN_WG, "ATT_BQ=" + ATT_BQ, "ATT_BK=" + ATT_BK);
    }

    /** The defines as one OpenCL build-options string: {@code -D D_HEAD=64 -D GEMM_TM=64 ...}. */
    public static String options(int dHead) {
        List<String> out = new ArrayList<>();
        for (String d : defines(dHead)) out.add("-D " + d);
        return String.join(" ", out);
    }

    /** The program text of kernel file {@code name}: its headers, then the file, each under a #line naming it. */
    public static String source(String name) {
        List<String> headers = FILES.get(name);
        if (headers == null) throw new IllegalArgumentException("no kernel file " + name);
        StringBuilder sb = new StringBuilder();
        for (String h : headers) sb.append("#line 1 \"").append(h).append("\"\n").append(resource(h)).append('\n');
        String file = name + ".cl";
        return sb.append("#line 1 \"").append(file).append("\"\n").append(resource(file)).toString();
    }

    /** A file of /kernels/ on the classpath, as text. */
    public static String resource(String name) {
        try (InputStream in = KernelSources.class.getResourceAsStream("/kernels/" + name)) {
            if (in == null) throw new NeuroscanException("kernels/" + name + ": missing from the classpath (a broken build?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NeuroscanException("kernels/" + name + ": " + e.getMessage(), e);
        }
    }
}
