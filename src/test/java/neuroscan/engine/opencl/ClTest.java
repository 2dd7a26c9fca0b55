package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FFM binding itself: discovery, buffers, events, error names, build logs. */
class ClTest {

    @Test
    void errorCodesHaveTheirClNames() {
        assertEquals("CL_OUT_OF_RESOURCES", CLException.name(-5));
        assertEquals("CL_INVALID_WORK_GROUP_SIZE", CLException.name(-54));
        assertEquals("CL_PLATFORM_NOT_FOUND_KHR", CLException.name(-1001));
        var e = new CLException("clCreateBuffer(x, 8 bytes)", -4);
        assertEquals("clCreateBuffer(x, 8 bytes): CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)", e.getMessage());
        assertTrue(e.isOutOfMemory());
        assertFalse(new CLException("clBuildProgram", -11).isOutOfMemory());
    }

    @Test
    void listsDevicesWithTheirProperties() {
        Device d = Device.get();
        List<OpenClDevices.Info> all = OpenClDevices.list();
        assertFalse(all.isEmpty());
        OpenClDevices.Info first = all.getFirst();
        assertEquals(0, first.index());
        assertFalse(first.name().isBlank());
        assertTrue(first.computeUnits() > 0);
        assertTrue(first.globalMemBytes() > 0);
        assertTrue(d.info.device().maxAllocSize() > 0 && d.info.device().maxAllocSize() <= first.globalMemBytes());
        assertTrue(first.describe().startsWith("0: " + first.name() + " (" + first.type() + ", "), first.describe());
    }

    @Test
    void selectingAMissingDeviceSaysWhatExists() {
        Device.get();
        int n = OpenClDevices.list().size();
        var e = assertThrows(NeuroscanException.class, () -> OpenClDevices.select(n));
        assertTrue(e.getMessage().startsWith("--device " + n + ": there"), e.getMessage());
        assertTrue(e.getMessage().contains("neuroscan devices"), e.getMessage());
    }

    @Test
    void buffersRoundTripBlockingAndNonBlocking() {
        Device d = Device.get();
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 7;
        try (CL.Buffer b = d.floats(v); Arena a = Arena.ofConfined()) {
            assertArrayEquals(v, d.read(b, v.length));
            MemorySegment host = a.allocate(ValueLayout.JAVA_FLOAT, 10);
            for (int i = 0; i < 10; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, -i);
            try (CL.Event w = CL.write(d.queue, b, 40, host, false, List.of())) {
                w.await();
                assertTrue(w.endNanos() >= w.startNanos());
            }
            float[] back = d.read(b, v.length);
            for (int i = 0; i < v.length; i++) assertEquals(i >= 10 && i < 20 ? -(i - 10) : v[i], back[i]);
        }
    }

    @Test
    void aKernelThatFailsToCompileShowsTheBuildLogVerbatim() {
        Device d = Device.get();
        String src = "__kernel void broken(__global float* x) {\n  x[0] = undeclared_thing;\n}\n";
        var e = assertThrows(NeuroscanException.class,
                () -> CL.buildProgram(d.ctx, d.info.device(), "kernels/broken.cl", src, ""));
        String m = e.getMessage();
        assertTrue(m.startsWith("kernels/broken.cl: OpenCL build failed on " + d.info.name() + " (CL_BUILD_PROGRAM_FAILURE)"), m);
        assertTrue(m.contains("undeclared_thing"), m);   // the compiler's own words
        assertTrue(m.contains("\n"), "the log keeps its lines: " + m);
    }

    @Test
    void allKernelFilesBuild() {
        Device d = Device.get();
        Kernels k = d.kernels(16);
        assertEquals(16, k.dHead());
    }

    @Test
    void aFailedLaunchNamesTheKernelAndTheError() {
        Device d = Device.get();
        Kernels ks = d.kernels(16);
        try (CL.Buffer x = d.filled(4, 0)) {
            // a work-group of 64 over 63 work-items is invalid
            var e = assertThrows(CLException.class,
                    () -> CL.enqueueKernel(d.queue, ks.kernel("layer_norm"), new long[]{63}, new long[]{64}, List.of()));
            assertTrue(e.getMessage().startsWith("clEnqueueNDRangeKernel(layer_norm): CL_INVALID_"), e.getMessage());
        }
    }
}
