package neuroscan.engine.cuda;

import neuroscan.engine.gpu.Call;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@link Call}s on CUDA: packed into {@code kernelParams} (an array of pointers, one per kernel
 * parameter, each to that parameter's value) and launched on a stream, or added to a graph.
 */
final class Launches {
    private Launches() {
    }

    /**
     * The {@code void**} of a call's arguments, allocated in {@code a}: a CudaBuffer is its CUdeviceptr (a
     * 64-bit value), null is a NULL device pointer (a parameter the kernel does not read), ints and floats are
     * 4-byte values. The driver copies the values at launch (or node creation), so {@code a} may close after.
     */
    static MemorySegment pack(Arena a, Call c) {
        List<Object> args = c.args();
        MemorySegment params = a.allocate(ADDRESS, Math.max(args.size(), 1));
        for (int i = 0; i < args.size(); i++) {
            MemorySegment value = switch (args.get(i)) {
                case null -> a.allocateFrom(JAVA_LONG, 0L);
                case CudaBuffer b -> a.allocateFrom(JAVA_LONG, b.ptr());
                case Integer v -> a.allocateFrom(JAVA_INT, v);
                case Float v -> a.allocateFrom(JAVA_FLOAT, v);
                default -> throw new IllegalArgumentException(c.kernel() + ": argument " + i + " is not a CUDA buffer");
            };
            params.setAtIndex(ADDRESS, i, value);
        }
        return params;
    }

    /** CUDA's limit on a grid's y and z extents (x may reach 2^31 - 1). */
    static final int MAX_GRID_YZ = 65535;

    /** The grid (x, y, z) of a call: its work-group counts, 1 for missing dimensions. */
    static int[] grid(Call c) {
        int[] g = dims(c.groups());
        if (g[1] > MAX_GRID_YZ || g[2] > MAX_GRID_YZ) {
            throw new IllegalArgumentException(c.kernel() + ": a grid of " + g[0] + " x " + g[1] + " x " + g[2]
                    + " blocks exceeds CUDA's " + MAX_GRID_YZ + " in y and z (use smaller batches)");
        }
        return g;
    }

    /** The block (x, y, z) of a call: its work-group shape. */
    static int[] block(Call c) {
        return dims(c.local());
    }

    private static int[] dims(int[] d) {
        int[] out = {1, 1, 1};
        System.arraycopy(d, 0, out, 0, d.length);
        return out;
    }

    /** cuLaunchKernel of the call on {@code stream}. */
    static void launch(Modules m, MemorySegment stream, Call c) {
        if (c.empty()) return;
        int[] g = grid(c), b = block(c);
        try (Arena a = Arena.ofConfined()) {
            CU.check("cuLaunchKernel", m.function(c.kernel()), g[0], g[1], g[2], b[0], b[1], b[2], 0, stream, pack(a, c),
                    MemorySegment.NULL);
        }
    }

    /** A CUDA_KERNEL_NODE_PARAMS for the call, allocated in {@code a}. */
    static MemorySegment nodeParams(Arena a, MemorySegment function, Call c) {
        MemorySegment p = a.allocate(CU.KERNEL_NODE_PARAMS);   // zeroed: extra, kern and ctx stay NULL
        int[] g = grid(c), b = block(c);
        CU.field("func").set(p, 0L, function);
        CU.field("gridDimX").set(p, 0L, g[0]);
        CU.field("gridDimY").set(p, 0L, g[1]);
        CU.field("gridDimZ").set(p, 0L, g[2]);
        CU.field("blockDimX").set(p, 0L, b[0]);
        CU.field("blockDimY").set(p, 0L, b[1]);
        CU.field("blockDimZ").set(p, 0L, b[2]);
        CU.field("kernelParams").set(p, 0L, pack(a, c));
        return p;
    }

    /**
     * A batch's launches as one CUDA graph: a chain of kernel nodes, built and instantiated the first time,
     * then for each batch only the nodes' parameters are updated (token and document counts, grid sizes)
     * and the instantiated graph is replayed: one launch per batch instead of one per kernel. A different
     * sequence of kernels rebuilds it.
     */
    static final class Graph implements AutoCloseable {
        private MemorySegment graph, exec;
        private final List<MemorySegment> nodes = new ArrayList<>();
        private List<String> kernels = List.of();

        void launch(Modules m, MemorySegment stream, List<Call> calls) {
            List<String> names = calls.stream().map(Call::kernel).toList();
            try (Arena a = Arena.ofConfined()) {
                if (exec == null || !names.equals(kernels)) {
                    build(m, calls, a);
                } else {
                    for (int i = 0; i < calls.size(); i++) {
                        MemorySegment p = nodeParams(a, m.function(calls.get(i).kernel()), calls.get(i));
                        CU.check("cuGraphExecKernelNodeSetParams", exec, nodes.get(i), p);
                    }
                }
                CU.check("cuGraphLaunch", exec, stream);
            }
        }

        private void build(Modules m, List<Call> calls, Arena a) {
            close();
            graph = CU.create("cuGraphCreate", 0);
            MemorySegment dep = a.allocate(ADDRESS);
            MemorySegment prev = null;
            for (Call c : calls) {
                if (prev != null) dep.set(ADDRESS, 0, prev);
                MemorySegment node = CU.create("cuGraphAddKernelNode", graph, prev == null ? MemorySegment.NULL : dep,
                        prev == null ? 0L : 1L, nodeParams(a, m.function(c.kernel()), c));
                nodes.add(node);
                prev = node;
            }
            exec = CU.create("cuGraphInstantiateWithFlags", graph, 0L);
            kernels = calls.stream().map(Call::kernel).toList();
        }

        @Override
        public void close() {
            if (exec != null) CU.invoke("cuGraphExecDestroy", exec);
            if (graph != null) CU.invoke("cuGraphDestroy", graph);
            exec = graph = null;
            nodes.clear();
            kernels = List.of();
        }
    }
}
