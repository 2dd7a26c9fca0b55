package neuroscan.kernel.translate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Build step (Maven runs it after compiling, before the PTX build; see pom.xml): translates every
 * {@code @Kernel} of {@code kernels/} to C, into {@code target/classes/kernels/}: {@code <name>.c} per
 * kernel and {@code kernels.json} (names, Java methods, parameters, build options) for the hosts and
 * {@code neuroscan kernels}. A construct outside the subset fails the build with {@code File.java:line:col: message}.
 *
 * <p>Arguments: the kernel source folder, the output classes folder (also the classpath with the API).
 */
public final class KernelBuild {
    public static final String INDEX = "kernels.json";

    private KernelBuild() {
    }

    public static void main(String[] args) throws IOException {
        Path sources = Path.of(args.length > 0 ? args[0] : "kernels");
        Path classes = Path.of(args.length > 1 ? args[1] : "target/classes");
        long t0 = System.nanoTime();
        List<Path> files;
        try (Stream<Path> s = Files.walk(sources)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        Path root = sources.toAbsolutePath().getParent();
        Translator.Result r = Translator.translate(files, classes.toString(), root);
        if (!r.errors().isEmpty()) {
            StringBuilder sb = new StringBuilder("kernel translation failed:");
            for (KernelSyntaxError e : r.errors()) sb.append("\n").append(e);
            System.err.println(sb);
            throw new IllegalStateException(sb.toString());
        }
        Path out = classes.resolve("kernels");
        Files.createDirectories(out);
        List<Map<String, Object>> index = new ArrayList<>();
        for (Translator.Output o : r.kernels()) {
            writeIfChanged(out.resolve(o.name() + ".c"), o.c());
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("name", o.name());
            k.put("class", o.javaClass());
            k.put("method", o.javaMethod());
            k.put("source", o.javaFile());
            List<Map<String, Object>> params = new ArrayList<>();
            for (Translator.Param p : o.params()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", p.name());
                m.put("type", p.type());
                if (p.type().endsWith("[]")) m.put("access", p.written() ? "read-write" : "read");
                params.add(m);
            }
            k.put("params", params);
            if (!o.workGroup().isEmpty()) k.put("workGroup", o.workGroup());
            if (o.mma()) k.put("mma", true);   // tensor cores: PtxBuild targets sm_80 for it
            index.add(k);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("options", r.options());
        json.put("kernels", index);
        writeIfChanged(out.resolve(INDEX), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json) + "\n");
        System.out.printf("[kernels] %d kernels translated from %d Java files in %.1f s into %s%n", r.kernels().size(), files.size(),
                (System.nanoTime() - t0) / 1e9, out);
    }

    /** Writes through a temp file and a rename; an unchanged file keeps its time (no PTX rebuild). */
    static void writeIfChanged(Path file, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) return;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
