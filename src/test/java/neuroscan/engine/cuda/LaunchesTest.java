package neuroscan.engine.cuda;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * How a {@link Call} becomes CUDA launch parameters, checked without a GPU: the kernelParams array
 * (read back through the pointers the driver will follow) and the CUDA_KERNEL_NODE_PARAMS of a graph node.
 * Device pointers here are made-up numbers: nothing is dereferenced on a device.
 */
class LaunchesTest {
    static final CudaBuffer X = new CudaBuffer(0x7f00_0000_1000L, 4096, "x"), W = new CudaBuffer(0x7f00_0002_0000L, 64, "w"),
            Y = new CudaBuffer(0x7f00_0003_0000L, 4096, "y");

    @Test
    void kernelParamsPointAtEachArgumentInOrder() {
        // layer_norm(x, w, b, y, dModel, eps, affine): b is unused (null) -> a NULL device pointer
        Call c = Calls.layerNorm(X, W, null, Y, 7, 45, 1e-5f);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = Launches.pack(a, c).reinterpret(ADDRESS.byteSize() * 7);
            assertEquals(X.ptr(), arg(params, 0).get(JAVA_LONG, 0));
            assertEquals(W.ptr(), arg(params, 1).get(JAVA_LONG, 0));
            assertEquals(0L, arg(params, 2).get(JAVA_LONG, 0));
            assertEquals(Y.ptr(), arg(params, 3).get(JAVA_LONG, 0));
            assertEquals(45, arg(params, 4).get(JAVA_INT, 0));
            assertEquals(1e-5f, arg(params, 5).get(JAVA_FLOAT, 0));
            assertEquals(1, arg(params, 6).get(JAVA_INT, 0));
        }
    }

    @Test
    void gridAndBlockAreTheCallsGroupsAndWorkGroupPaddedToThreeDimensions() {
        // gemm_bias over M 130 x N 129: ceil(129 / 64) = 3 column tiles, ceil(130 / 64) = 3 row tiles
        Call c = Calls.gemmBias(X, W, W, null, Y, 130, 129, 17, Calls.ACT_GELU);
        assertArrayEquals(new int[]{3, 3, 1}, Launches.grid(c));
        assertArrayEquals(new int[]{Calls.GEMM_WN, Calls.GEMM_WM, 1}, Launches.block(c));
        Call t = Calls.topkMerge(X, X, X, 4, 100, 5, Y, Y, Y, Y);   // 1-D: ceil(100 / 64) = 2
        assertArrayEquals(new int[]{2, 1, 1}, Launches.grid(t));
        assertArrayEquals(new int[]{Calls.TOPK_WG, 1, 1}, Launches.block(t));
    }

    @Test
    void aGridBeyondCudasYLimitIsRefusedWithAClearMessage() {
        Call ok = Calls.embed(X, W, 1, 65535, 512, X, X, Y), tooTall = Calls.embed(X, W, 1, 65536, 512, X, X, Y);
        assertArrayEquals(new int[]{8, 65535, 1}, Launches.grid(ok));
        var e = assertThrows(IllegalArgumentException.class, () -> Launches.grid(tooTall));
        assertEquals("embed: a grid of 8 x 65536 x 1 blocks exceeds CUDA's 65535 in y and z (use smaller batches)", e.getMessage());
    }

    @Test
    void graphNodeParamsCarryFunctionGeometryAndArguments() {
        Call c = Calls.causalAttention(X, W, 3, 70, 2, Y);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fn = MemorySegment.ofAddress(0x1234_5678L);
            MemorySegment p = Launches.nodeParams(a, fn, c);
            assertEquals(CU.KERNEL_NODE_PARAMS.byteSize(), p.byteSize());
            assertEquals(fn, p.get(ADDRESS, CU.offsetOf("func")));
            int[] want = {3, 2, 1, Calls.ATT_BQ, 1, 1};   // ceil(70 / 32) query blocks x 2 heads
            String[] fields = {"gridDimX", "gridDimY", "gridDimZ", "blockDimX", "blockDimY", "blockDimZ"};
            for (int i = 0; i < fields.length; i++) assertEquals(want[i], p.get(JAVA_INT, CU.offsetOf(fields[i])), fields[i]);
            assertEquals(0, p.get(JAVA_INT, CU.offsetOf("sharedMemBytes")));
            MemorySegment params = p.get(ADDRESS, CU.offsetOf("kernelParams")).reinterpret(ADDRESS.byteSize() * 6);
            assertEquals(X.ptr(), arg(params, 0).get(JAVA_LONG, 0));
            assertEquals(70, arg(params, 3).get(JAVA_INT, 0));   // T
            assertEquals(Y.ptr(), arg(params, 5).get(JAVA_LONG, 0));
            assertEquals(MemorySegment.NULL, p.get(ADDRESS, CU.offsetOf("extra")));
            assertEquals(MemorySegment.NULL, p.get(ADDRESS, CU.offsetOf("kern")));
        }
    }

    @Test
    void aBufferOfAnotherRuntimeIsRefused() {
        neuroscan.engine.gpu.DeviceBuffer other = new neuroscan.engine.gpu.DeviceBuffer() {
            public long bytes() {
                return 4;
            }

            public void close() {
            }
        };
        Call c = Calls.embed(other, X, 1, 1, 1, X, X, X);
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> Launches.pack(a, c));
        }
    }

    @Test
    void withoutADriverCudaSaysWhyInOneLine() {
        var why = CU.unavailable();
        org.junit.jupiter.api.Assumptions.assumeTrue(why.isPresent(), "a CUDA driver is present");
        assertEquals(1, why.get().lines().count(), why.get());
        assertThrows(neuroscan.NeuroscanException.class, () -> CudaDevices.select(0));
        assertEquals(java.util.List.of(), CudaDevices.list());
    }

    private static MemorySegment arg(MemorySegment params, int i) {
        return params.getAtIndex(ADDRESS, i).reinterpret(8);
    }
}
