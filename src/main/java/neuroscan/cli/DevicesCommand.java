package neuroscan.cli;

import neuroscan.engine.cuda.CU;
import neuroscan.engine.cuda.CudaDevices;
import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.OpenClDevices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code neuroscan devices}: the CUDA GPUs, then the OpenCL platforms and devices, numbered as {@code --device N} takes them. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the CUDA GPUs and the OpenCL platforms and devices; --device N picks one for --backend cuda or opencl.")
public final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        printCuda(out, CU.unavailable());
        print(out, CL.unavailable(), OpenClDevices.platforms());
        return 0;
    }

    /** The CUDA GPUs (--backend cuda --device N), or why there are none. */
    static void printCuda(PrintWriter out, Optional<String> problem) {
        if (problem.isPresent()) {
            out.println("No CUDA GPU: " + problem.get() + ".");
        } else {
            out.println("CUDA: " + CudaDevices.driverVersion());
            for (CudaDevices.Info d : CudaDevices.list()) out.println("  " + d.describe());
        }
        out.flush();
    }

    /** No OpenCL is not an error here: the listing says so and that the cpu backend remains. */
    static void print(PrintWriter out, Optional<String> problem, List<OpenClDevices.PlatformInfo> platforms) {
        if (problem.isPresent()) {
            out.println("No OpenCL device: " + problem.get() + ". The cpu backend is always available.");
            return;
        }
        for (OpenClDevices.PlatformInfo p : platforms) {
            out.println("Platform: " + p.name() + " (" + p.vendor() + ", " + p.version() + ")");
            if (p.devices().isEmpty()) out.println("  (no devices)");
            for (OpenClDevices.Info d : p.devices()) out.println("  " + d.describe());
        }
        out.flush();
    }
}
