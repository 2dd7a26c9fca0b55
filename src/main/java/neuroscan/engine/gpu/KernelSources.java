package neuroscan.engine.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The C of the kernels, as the build generated it from {@code kernels/neuroscan/kernels/*.java}
 * ({@code neuroscan.kernel.translate.KernelBuild}): on the classpath as {@code /kernels/<name>.c}, with
 * {@code /kernels/kernels.json} listing the kernels and the build options, and {@code /kernels/common.h}.
 * The -D options are the same for the OpenCL compiler, nvcc at build time and NVRTC at run time.
 */
public final class KernelSources {
    private KernelSources() {
    }

    /**
     * One kernel of the index: its C name, the Java method it was generated from, its parameters; {@code mma}:
     * it uses the tensor cores (ctx.mmaTf32), so CUDA builds it for sm_80 and newer.
     */
    public record Entry(String name, String javaClass, String javaMethod, String source, List<Param> params,
                        List<Integer> workGroup, boolean mma) {
    }

    /** A parameter after the KernelContext: type int, float, float[] or int[]; access read / read-write for arrays. */
    public record Param(String name, String type, String access) {
    }

    private static volatile Index index;

    private record Index(Map<String, Entry> kernels, Map<String, Integer> options) {
    }

    private static Index index() {
        Index i = index;
        if (i == null) {
            try {
                JsonNode json = new ObjectMapper().readTree(resource("kernels.json"));
                Map<String, Entry> kernels = new LinkedHashMap<>();
                for (JsonNode k : json.get("kernels")) {
                    List<Param> params = new ArrayList<>();
                    for (JsonNode p : k.get("params")) {
                        params.add(new Param(p.get("name").asText(), p.get("type").asText(),
                                p.has("access") ? p.get("access").asText() : null));
                    }
                    List<Integer> wg = new ArrayList<>();
                    if (k.has("workGroup")) for (JsonNode v : k.get("workGroup")) wg.add(v.asInt());
                    kernels.put(k.get("name").asText(), new Entry(k.get("name").asText(), k.get("class").asText(),
                            k.get("method").asText(), k.get("source").asText(), List.copyOf(params), List.copyOf(wg),
                            k.has("mma") && k.get("mma").asBoolean()));
                }
                Map<String, Integer> options = new LinkedHashMap<>();
                json.get("options").properties().forEach(e -> options.put(e.getKey(), e.getValue().asInt()));
                index = i = new Index(kernels, options);
            } catch (IOException e) {
                throw new NeuroscanException("kernels/kernels.json: " + e.getMessage(), e);
            }
        }
        return i;
    }

    /** The kernels' C names, in the index's order. */
    public static List<String> names() {
        return List.copyOf(index().kernels().keySet());
    }

    /** Every kernel of the index. */
    public static List<Entry> entries() {
        return List.copyOf(index().kernels().values());
    }

    /** Kernel {@code name}'s entry. */
    public static Entry entry(String name) {
        Entry e = index().kernels().get(name);
        if (e == null) throw new IllegalArgumentException("no kernel " + name);
        return e;
    }

    /** The build options with their defaults (GEMM_TM=64, ..., D_HEAD=64). */
    public static Map<String, Integer> options() {
        return index().options();
    }

    /** The -D definitions: every build option at its default except D_HEAD, the model's head size. */
    public static List<String> defines(int dHead) {
        List<String> out = new ArrayList<>();
        out.add("D_HEAD=" + dHead);
        for (var e : options().entrySet()) if (!e.getKey().equals("D_HEAD")) out.add(e.getKey() + "=" + e.getValue());
        return out;
    }

    /** The defines as one OpenCL build-options string: {@code -D D_HEAD=64 -D GEMM_TM=64 ...}. */
    public static String options(int dHead) {
        List<String> out = new ArrayList<>();
        for (String d : defines(dHead)) out.add("-D " + d);
        return String.join(" ", out);
    }

    /** The program text of kernel {@code name}: common.h, then the generated C (whose #line names the Java). */
    public static String source(String name) {
        if (!index().kernels().containsKey(name)) throw new IllegalArgumentException("no kernel " + name);
        return "#line 1 \"common.h\"\n" + text("common.h") + "\n" + text(name + ".c");
    }

    /** A file of /kernels/ on the classpath, as text. */
    public static String text(String name) {
        try (InputStream in = resource(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new NeuroscanException("kernels/" + name + ": " + e.getMessage(), e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = KernelSources.class.getResourceAsStream("/kernels/" + name);
        if (in == null) throw new NeuroscanException("kernels/" + name + ": missing from the classpath (a broken build?)");
        return in;
    }
}
