package neuroscan.engine.opencl;

import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.KernelSources;
import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Event;
import neuroscan.engine.opencl.CL.Kernel;
import neuroscan.engine.opencl.CL.Program;
import neuroscan.engine.opencl.CL.Queue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernels (the C generated from {@code kernels/}), built for one device and head size, and {@link #launch} of a
 * {@link Call} (argument order and geometry from {@link neuroscan.engine.gpu.Calls}, shared with the
 * CUDA host) on a queue.
 */
final class Kernels implements AutoCloseable {
    private final Map<String, Program> programs = new LinkedHashMap<>();
    private final Map<String, Kernel> kernels = new LinkedHashMap<>();
    private final int dHead;
    /** Bound to kernel arguments that a configuration does not use (LNPre's w/b, no residual). */
    final Buffer unused;

    Kernels(CL.Context ctx, CL.Device dev, int dHead) {
        this(ctx, dev, dHead, KernelSources::source);
    }

    /** The kernels built from {@code source(name)} instead of the jar's (a test compares two versions). */
    Kernels(CL.Context ctx, CL.Device dev, int dHead, java.util.function.Function<String, String> source) {
        this.dHead = dHead;
        String options = KernelSources.options(dHead);
        try {
            for (String name : KernelSources.names()) {
                Program p = CL.buildProgram(ctx, dev, name, source.apply(name), options);
                programs.put(name, p);
                kernels.put(name, p.kernel(name));
            }
            unused = CL.createBuffer(ctx, CL.MEM_READ_WRITE, 4, "unused");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    int dHead() {
        return dHead;
    }

    /** The kernel object of {@code name}, e.g. to ask its work-group limit. */
    Kernel kernel(String name) {
        return kernels.get(name);
    }

    /**
     * Sets every argument of the call and enqueues it. One cl_kernel per file serves every op: OpenCL
     * captures the arguments at enqueue time, so resetting them for the next launch is safe.
     */
    Event launch(Queue q, Call c, List<Event> wait) {
        Kernel k = kernels.get(c.kernel());
        for (int i = 0; i < c.args().size(); i++) {
            switch (c.args().get(i)) {
                case null -> k.arg(i, unused);
                case Buffer b -> k.arg(i, b);
                case Integer v -> k.arg(i, v);
                case Float v -> k.arg(i, v);
                default -> throw new IllegalArgumentException(c.kernel() + ": argument " + i + " is not an OpenCL buffer");
            }
        }
        long[] global = new long[c.groups().length], local = new long[c.groups().length];
        for (int d = 0; d < global.length; d++) {
            global[d] = c.global(d);
            local[d] = c.local()[d];
        }
        return CL.enqueueKernel(q, k, global, local, wait);
    }

    @Override
    public void close() {
        for (Kernel k : kernels.values()) k.close();
        kernels.clear();
        for (Program p : programs.values()) p.close();
        programs.clear();
        if (unused != null) unused.close();
    }
}
