package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.engine.gpu.KernelSources;
import neuroscan.format.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code neuroscan kernels}: the GPU kernels, which are Java methods (kernels/neuroscan/kernels/*.java),
 * with their parameters; with {@code --emit DIR} the C each one became, as OpenCL C ({@code .cl}) or CUDA
 * ({@code .cu}): common.h, the build options' defaults, the helpers and the kernel, with #line naming
 * the Java. The files compile as they are ({@code nvcc -ptx -arch=sm_90 gemm_bias.cu}).
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "List the GPU kernels (Java methods) with their parameters, or write the C the build generated from them.")
public final class KernelsCommand implements Callable<Integer> {
    enum Target { opencl, cuda }

    @Spec
    CommandSpec spec;

    @Option(names = "--emit", paramLabel = "DIR", description = "Write each kernel's generated source into DIR.")
    Path emit;

    @Option(names = "--target", defaultValue = "opencl", paramLabel = "opencl|cuda",
            description = "With --emit: OpenCL C (.cl) or CUDA (.cu); one source serves both (default: ${DEFAULT-VALUE}).")
    Target target;

    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Kernels by C name (gemm_bias) or Java method (gemmBias); default: all.")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<KernelSources.Entry> chosen = choose();
        if (emit == null) {
            list(out, chosen);
        } else {
            emit(out, chosen);
        }
        out.flush();
        return 0;
    }

    private List<KernelSources.Entry> choose() {
        List<KernelSources.Entry> all = KernelSources.entries();
        if (names.isEmpty()) return all;
        List<KernelSources.Entry> out = new ArrayList<>();
        for (String n : names) {
            KernelSources.Entry e = all.stream().filter(k -> k.name().equals(n) || k.javaMethod().equals(n)).findFirst()
                    .orElseThrow(() -> new NeuroscanException("no kernel named " + Printable.quote(n) + "; the kernels are "
                            + String.join(", ", KernelSources.names())));
            if (!out.contains(e)) out.add(e);
        }
        return out;
    }

    private static void list(PrintWriter out, List<KernelSources.Entry> kernels) {
        for (KernelSources.Entry k : kernels) {
            String cls = k.javaClass().substring(k.javaClass().lastIndexOf('.') + 1);
            out.println(k.name() + "  =  " + cls + "." + k.javaMethod() + "  (" + k.source() + ")");
            List<String> ps = new ArrayList<>();
            for (KernelSources.Param p : k.params()) {
                ps.add(p.type() + " " + p.name() + (p.access() == null ? "" : p.access().equals("read") ? " (read)" : " (written)"));
            }
            out.println("    " + String.join(", ", ps));
        }
        List<String> opts = new ArrayList<>();
        KernelSources.options().forEach((k, v) -> opts.add(k + "=" + v));
        out.println("build options (-D, defaults): " + String.join(" ", opts));
    }

    private void emit(PrintWriter out, List<KernelSources.Entry> kernels) {
        try {
            Files.createDirectories(emit);
        } catch (IOException e) {
            throw new NeuroscanException(emit + ": cannot create the directory (" + AtomicFiles.describe(e) + ")");
        }
        String ext = target == Target.cuda ? ".cu" : ".cl";
        for (KernelSources.Entry k : kernels) {
            Path file = emit.resolve(k.name() + ext);
            String text = "/* " + k.name() + " for " + (target == Target.cuda ? "CUDA (nvcc, NVRTC)" : "OpenCL C")
                    + ": common.h followed by the C the build generated from " + k.source() + ". */\n"
                    + KernelSources.text("common.h") + "\n" + KernelSources.text(k.name() + ".c");
            AtomicFiles.writeString(file, text);
            out.println(file);
        }
    }
}
