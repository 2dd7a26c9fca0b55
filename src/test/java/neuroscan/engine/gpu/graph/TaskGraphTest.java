package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.Calls;
import neuroscan.kernel.KernelContext;
import neuroscan.kernels.Embed;
import neuroscan.kernels.GemmBias;
import neuroscan.kernels.TopkMerge;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Building task graphs and plans: every mistake is an error when the graph or plan is built, with a clear message. */
class TaskGraphTest {
    private final GpuArray tokens = GpuArray.ints("tokens", 100), offsets = GpuArray.ints("offsets", 5);
    private final GpuArray W_E = GpuArray.floats("W_E", 37 * 8), W_pos = GpuArray.floats("W_pos", 100 * 8);
    private final GpuArray x = GpuArray.floats("x", 100 * 8);
    private final IntParam T = new IntParam("T", 100), nDocs = new IntParam("nDocs", 4);

    /** Not a @Kernel, though shaped like one. */
    static void notAKernel(KernelContext ctx, float[] a) {
        a[0] = 1;
    }

    private TaskGraph embedGraph() {
        return new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, offsets)
                .task("embed", Embed::embed, tokens, offsets, nDocs, T, 8, W_E, W_pos, x)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
    }

    @Test
    void aTaskNamesItsKernelByMethodReferenceAndBecomesTheSameLaunchAsCalls() {
        FakeDevice dev = new FakeDevice(1024, Integer.MAX_VALUE, 65535, 65535);
        DeviceMemory mem = new DeviceMemory(dev);
        ExecutionPlan plan = ExecutionPlan.on(mem, embedGraph().snapshot())
                .grid("embed", () -> ExecutionPlan.Geometry.of(Calls.embedGrid(T.get(), 8))).build();
        T.set(42);
        nDocs.set(3);
        tokens.use(42);
        Call c = plan.calls().getFirst();
        Call expected = Calls.embed(mem.buffer(tokens), mem.buffer(offsets), 3, 42, 8, mem.buffer(W_E), mem.buffer(W_pos), mem.buffer(x));
        assertEquals(expected.kernel(), c.kernel());
        assertEquals(expected.args(), c.args());
        assertArrayEquals(expected.groups(), c.groups());
        assertArrayEquals(expected.local(), c.local());
        plan.execute();
        plan.execute();
        // uploads on the transfer stream (the second waits for the first execution's work), the launch, the download
        assertEquals(List.of("in tokens 168 TRANSFER", "in offsets 20 TRANSFER", "mark TRANSFER", "wait COMPUTE", "launch 1",
                "out x 3200 COMPUTE", "mark COMPUTE"), dev.log.subList(5, 12));
        assertEquals("wait TRANSFER", dev.log.get(12));
        assertEquals(168 + 20, plan.bytesToDevice());
        assertEquals(3200, plan.bytesToHost());
    }

    @Test
    void firstExecutionTransfersRunOnce() {
        FakeDevice dev = new FakeDevice(1024, Integer.MAX_VALUE, 65535, 65535);
        ExecutionPlan plan = ExecutionPlan.on(new DeviceMemory(dev),
                new TaskGraph("w").transferToDevice(DataTransferMode.FIRST_EXECUTION, W_E).snapshot()).build();
        plan.execute();
        plan.execute();
        plan.execute();
        assertEquals(1, dev.log.stream().filter(l -> l.startsWith("in W_E")).count());
    }

    @Test
    void anUnknownKernelOrALambdaIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", TaskGraphTest::notAKernel, x));
        assertTrue(e.getMessage().startsWith("task g.t: TaskGraphTest.notAKernel is not a @Kernel of kernels/"), e.getMessage());
        Tasks.Task1<float[]> lambda = (ctx, a) -> a[0] = 2;
        e = assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g").task("t", lambda, x));
        assertTrue(e.getMessage().contains("a lambda is not a kernel"), e.getMessage());
    }

    @Test
    void argumentsThatDoNotMatchTheKernelsParametersAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new TaskGraph("g").task("embed", Embed::embed, x, offsets, nDocs, T, 8, W_E, W_pos, x));
        assertEquals("g.embed: argument 1 (int[] tokens) of embed must be a int[] GpuArray, got GpuArray x (float[], 800)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TaskGraph("g").task("embed", Embed::embed, tokens, offsets, 2.5f, T, 8, W_E, W_pos, x));
        assertEquals("g.embed: argument 3 (int nDocs) of embed must be an Integer or an IntParam, got Float 2.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TaskGraph("g")
                .task("embed", Embed::embed, tokens, offsets, nDocs, T, 8, W_E, W_pos, x)
                .task("embed", Embed::embed, tokens, offsets, nDocs, T, 8, W_E, W_pos, x));
        assertEquals("g.embed: two tasks of one graph have this name", e.getMessage());
    }

    @Test
    void aGridTheKernelCannotTakeIsRefusedWhenThePlanIsBuilt() {
        FakeDevice dev = new FakeDevice(1024, Integer.MAX_VALUE, 65535, 65535);
        GpuArray a = GpuArray.floats("a", 100), c = GpuArray.floats("c", 100);
        ImmutableTaskGraph g = new TaskGraph("g").task("gemm", GemmBias::gemmBias, a, a, a, null, c, T, 10, 10, 0, 0).snapshot();
        var e = assertThrows(IllegalArgumentException.class,
                () -> ExecutionPlan.on(new DeviceMemory(dev), g).grid("gemm", () -> ExecutionPlan.Geometry.of(new int[]{1, 1}, new int[]{8, 8})).build());
        assertEquals("g.gemm: gemm_bias is written for work-groups of [16, 16], the grid gives [8, 8]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionPlan.on(new DeviceMemory(dev), g).build());
        assertEquals("g.gemm: no grid given", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionPlan.on(new DeviceMemory(dev), g).grid("nope", () -> null));
        assertEquals("g: no task named nope", e.getMessage());
        // the device's limits, checked at the parameters' maxima (T = 100 000 rows of embed > 65535)
        IntParam big = new IntParam("T", 100_000);
        ImmutableTaskGraph tall = new TaskGraph("g").task("embed", Embed::embed, tokens, offsets, nDocs, big, 8, W_E, W_pos, x).snapshot();
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionPlan.on(new DeviceMemory(dev), tall)
                .grid("embed", () -> ExecutionPlan.Geometry.of(Calls.embedGrid(big.get(), 8))).build());
        assertEquals("g.embed: grid [1, 100000] x [64, 1] needs 100000 work-groups along dimension 1; fake device allows 65535", e.getMessage());
        assertEquals(100_000, big.get(), "the parameter is back at its value");
        FakeDevice small = new FakeDevice(128, Integer.MAX_VALUE, 65535, 65535);
        e = assertThrows(IllegalArgumentException.class, () -> ExecutionPlan.on(new DeviceMemory(small), g)
                .grid("gemm", () -> ExecutionPlan.Geometry.of(new int[]{1, 1}, new int[]{16, 16})).build());
        assertEquals("g.gemm: work-groups of 256 work-items; fake device allows 128", e.getMessage());
    }

    @Test
    void aParameterOutsideItsRangeIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> T.set(101));
        assertEquals("T = 101 is outside 0..100", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tokens.use(101));
        assertEquals("tokens: 101 elements, capacity 100", e.getMessage());
    }

    @Test
    void nullIsAllowedForABufferTheKernelDoesNotReadButNotForAScalar() {
        GpuArray f = GpuArray.floats("f", 10);
        GpuArray i = GpuArray.ints("i", 10);
        new TaskGraph("g").task("merge", TopkMerge::topkMerge, f, i, i, 1, 10, 1, f, i, i, null);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new TaskGraph("g").task("merge", TopkMerge::topkMerge, f, i, i, null, 10, 1, f, i, i, i));
        assertTrue(e.getMessage().contains("argument 4 (int nDocs)"), e.getMessage());
    }
}
