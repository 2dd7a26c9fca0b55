package neuroscan.engine.opencl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One kernel source, two runtimes: every file of kernels/ with common.h's CUDA half, built by nvcc to
 * PTX for sm_90 (H100/H200) with the same -D geometry the OpenCL host uses, and ptxas must report no
 * register spills. Skips where nvcc is not installed.
 */
class PtxBuildTest {
    @TempDir
    Path tmp;

    static Path nvcc() {
        for (String c : new String[]{System.getenv("NVCC"), "/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc", "/usr/bin/nvcc"}) {
            if (c != null && Files.isExecutable(Path.of(c))) return Path.of(c);
        }
        return null;
    }

    @Test
    void everyKernelCompilesToPtxForSm90WithoutSpills() throws Exception {
        Path nvcc = nvcc();
        Assumptions.assumeTrue(nvcc != null, "PTX build test skipped: nvcc not found (set NVCC)");
        Path ptxas = nvcc.resolveSibling("ptxas");
        List<String> defines = new ArrayList<>();
        for (String d : Kernels.options(64).split(" -D ")) defines.add("-D" + d.replace("-D ", "").strip());
        for (var f : Kernels.files().entrySet()) {
            String file = f.getKey() + ".cl";
            Path cu = tmp.resolve(f.getKey() + ".cu"), ptx = tmp.resolve(f.getKey() + ".ptx");
            Files.writeString(cu, Kernels.source(f.getValue(), file));
            List<String> cmd = new ArrayList<>(List.of(nvcc.toString(), "-ptx", "-arch=sm_90", "-diag-suppress", "177"));
            cmd.addAll(defines);
            cmd.addAll(List.of("-o", ptx.toString(), cu.toString()));
            assertEquals(0, run(cmd), file + ": nvcc failed");
            String report = output(List.of(ptxas.toString(), "-arch=sm_90", "-v", ptx.toString(), "-o", tmp.resolve("x.cubin").toString()));
            Matcher m = Pattern.compile("(\\d+) bytes spill stores, (\\d+) bytes spill loads").matcher(report);
            assertTrue(m.find(), file + ": no ptxas report: " + report);
            do {
                assertEquals("0", m.group(1), file + " spills registers: " + report);
                assertEquals("0", m.group(2), file + " spills registers: " + report);
            } while (m.find());
        }
    }

    private int run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        if (p.exitValue() != 0) System.err.println(Files.readString(tmp.resolve("log.txt")));
        return p.exitValue();
    }

    private String output(List<String> cmd) throws IOException, InterruptedException {
        assertEquals(0, run(cmd), String.join(" ", cmd));
        return Files.readString(tmp.resolve("log.txt"));
    }
}
