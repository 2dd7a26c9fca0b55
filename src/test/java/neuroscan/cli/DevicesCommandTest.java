package neuroscan.cli;

import neuroscan.engine.opencl.CL;
import neuroscan.engine.opencl.OpenClDevices;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicesCommandTest {

    @Test
    void listsEveryDeviceUnderItsPlatform() {
        var why = CL.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "OpenCL tests skipped: " + why.orElse(""));
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new DevicesCommand());
        cl.setOut(new PrintWriter(out, true));
        assertEquals(0, cl.execute());
        String text = out.toString();
        var first = OpenClDevices.list().getFirst();
        // the CUDA section comes first: the GPUs, or one line saying why there are none
        var cuda = neuroscan.engine.cuda.CU.unavailable();
        if (cuda.isPresent()) assertTrue(text.startsWith("No CUDA GPU: " + cuda.get() + ".\n"), text);
        else assertTrue(text.startsWith("CUDA: CUDA driver "), text);
        assertTrue(text.contains("\nPlatform: " + first.platform() + " ("), text);
        assertTrue(text.contains("\n  0: " + first.name() + " (" + first.type() + ", " + first.computeUnits()
                + " compute units, "), text);
    }

    @Test
    void withoutOpenClItSaysWhyAndThatCpuRemains() {
        StringWriter out = new StringWriter();
        DevicesCommand.print(new PrintWriter(out, true), Optional.of("the OpenCL ICD loader (libOpenCL.so.1) is not installed"),
                List.of());
        assertEquals("No OpenCL device: the OpenCL ICD loader (libOpenCL.so.1) is not installed. "
                + "The cpu backend is always available." + System.lineSeparator(), out.toString());
    }

    @Test
    void withoutCudaItSaysWhy() {
        StringWriter out = new StringWriter();
        DevicesCommand.printCuda(new PrintWriter(out, true), Optional.of("the CUDA driver (libcuda.so.1) is not installed"));
        assertEquals("No CUDA GPU: the CUDA driver (libcuda.so.1) is not installed." + System.lineSeparator(), out.toString());
    }

    @Test
    void aPlatformWithoutDevicesIsShown() {
        StringWriter out = new StringWriter();
        DevicesCommand.print(new PrintWriter(out, true), Optional.empty(),
                List.of(new OpenClDevices.PlatformInfo("Empty", "Nobody", "OpenCL 1.2", List.of())));
        assertEquals("Platform: Empty (Nobody, OpenCL 1.2)" + System.lineSeparator() + "  (no devices)"
                + System.lineSeparator(), out.toString());
    }
}
