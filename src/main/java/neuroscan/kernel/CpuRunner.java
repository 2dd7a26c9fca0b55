package neuroscan.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a {@link Kernel} on the CPU, the way a GPU would: the Java reference of every kernel, and a way to
 * step through one in a debugger.
 *
 * <h2>The execution model</h2>
 * A kernel is the body of a loop that the GPU runs for every point of a grid, all at once rather than in
 * order. The grid has 1 to 3 dimensions (x, y, z) and is cut into <em>work-groups</em> (CUDA: blocks) of
 * {@code local[d]} <em>work-items</em> (CUDA: threads) each, {@code groups[d]} work-groups along
 * dimension d. Each work-item runs the whole kernel once and tells itself apart from the others only by
 * its ids ({@link KernelContext#globalId}, {@link KernelContext#localId}, {@link KernelContext#groupId}).
 *
 * <p>The work-items of one work-group run side by side on one compute unit. They share its work-group
 * memory ({@link KernelContext#localFloats}) and can wait for each other at a
 * {@link KernelContext#barrier}, which every one of them must reach. Work-groups, in contrast, know
 * nothing of each other: the GPU runs them in any order, some at the same time, some after others, so a
 * kernel must not depend on that order. Work-items of different groups can only meet in global memory
 * (the kernel's array parameters), and cannot wait for each other within one launch.
 *
 * <p>Here, every work-item of a work-group is a virtual thread of its own (they must run concurrently:
 * one that waits at a barrier waits for all the others to get there), and about as many work-groups run
 * at a time as the machine has cores. {@code run} returns when every work-item has finished, so the
 * kernel's writes to its arrays are then visible to the caller, as after a GPU launch completes.
 *
 * <p>Unlike a GPU, the runner checks: an exception thrown by a work-item (an out-of-bounds index, which
 * a GPU reads or writes silently) and work-items that do not all reach the same barrier (which hangs a
 * GPU, or worse) end the run with a {@link KernelFailure} naming the work-item and work-group. Work-group
 * arrays start as NaN / a poison int ({@code WorkGroup.POISON}), so a read before any write shows. It
 * does not find data races: two work-items writing the same global element, or one reading what another
 * writes without a barrier between, give an answer here and maybe another one on the GPU. Nor does it
 * enforce a device's limits (CUDA allows at most 1024 work-items per work-group).
 */
public final class CpuRunner {
    private CpuRunner() {
    }

    /** One work-item's run of a kernel: typically a call of the {@code @Kernel} method, {@code ctx -> Embed.embed(ctx, ...)}. */
    @FunctionalInterface
    public interface KernelBody {
        void run(KernelContext ctx) throws Exception;
    }

    /** {@link #run(String, int[], int[], KernelBody)} for a kernel called "kernel" in messages. */
    public static void run(int[] groups, int[] local, KernelBody body) {
        run("kernel", groups, local, body);
    }

    /**
     * Runs {@code body} once per work-item of a grid of {@code groups[d]} x {@code local[d]} work-items
     * (1 to 3 dimensions; those not given have size 1, and every id along them is 0), and returns when all
     * of them have finished.
     *
     * @param kernelName names the kernel in failure messages, e.g. {@code "layer_norm"}
     * @param groups     work-groups along each dimension, {@code >= 0} (CUDA: gridDim); none: nothing runs
     * @param local      work-items per work-group along each dimension, {@code > 0} (CUDA: blockDim)
     * @throws KernelFailure            if a work-item threw (the cause is attached), or the work-items of a
     *                                  work-group did not all reach the same barrier; the first failure found
     * @throws IllegalArgumentException if the dimensions or sizes are not as above, or a global id would not
     *                                  fit in an int
     */
    public static void run(String kernelName, int[] groups, int[] local, KernelBody body) {
        Objects.requireNonNull(kernelName, "kernelName");
        Objects.requireNonNull(body, "body");
        int[] groupCount = dims("groups", groups, 0);
        int[] localSize = dims("local", local, 1);
        if (groups.length != local.length)
            throw new IllegalArgumentException("groups has " + groups.length + " dimensions but local has " + local.length);
        for (int d = 0; d < 3; d++) {
            try {
                Math.multiplyExact(groupCount[d], localSize[d]);   // global ids are ints
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("groups[" + d + "] * local[" + d + "] = " + groupCount[d] + " * "
                        + localSize[d] + " work-items: more than an int can number");
            }
        }
        try {
            Math.multiplyExact(localSize[0], Math.multiplyExact(localSize[1], localSize[2]));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("a work-group of local = " + Arrays.toString(local)
                    + " has more work-items than an int can number");
        }
        long workGroups = (long) groupCount[0] * groupCount[1] * groupCount[2];
        if (workGroups == 0) return;

        // The work-groups, ~one per core at a time. Once one has failed, the rest are not started.
        AtomicReference<KernelFailure> first = new AtomicReference<>();
        int parallel = (int) Math.min(Runtime.getRuntime().availableProcessors(), workGroups);
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {   // close() waits for them all
            for (int z = 0; z < groupCount[2]; z++)
                for (int y = 0; y < groupCount[1]; y++)
                    for (int x = 0; x < groupCount[0]; x++) {
                        int[] groupId = {x, y, z};
                        pool.execute(() -> {
                            if (first.get() != null) return;
                            KernelFailure f = runGroup(kernelName, groupId, localSize, groupCount, body);
                            if (f != null) first.compareAndSet(null, f);
                        });
                    }
        }
        KernelFailure f = first.get();
        // Made again here, so that its stack trace shows who ran the kernel; the cause's shows the kernel's line.
        if (f != null) throw new KernelFailure(f.getMessage(), f.getCause());
    }

    /** Runs one work-group: starts a thread per work-item, waits for them all; returns the group's failure or null. */
    private static KernelFailure runGroup(String kernel, int[] groupId, int[] localSize, int[] groupCount,
                                          KernelBody body) {
        WorkGroup group = new WorkGroup(kernel, groupId, localSize);
        List<Thread> items = new ArrayList<>(localSize[0] * localSize[1] * localSize[2]);
        try {
            for (int z = 0; z < localSize[2]; z++)
                for (int y = 0; y < localSize[1]; y++)
                    for (int x = 0; x < localSize[0]; x++) {
                        KernelContext ctx = new KernelContext(new int[]{x, y, z}, groupId, localSize, groupCount, group);
                        items.add(Thread.ofVirtual()
                                .name(kernel + " " + ctx.where())   // what a debugger shows for the thread
                                .start(() -> runWorkItem(kernel, ctx, group, body)));
                    }
        } catch (Throwable t) {   // out of memory, say: release those already waiting at a barrier
            group.fail(new KernelFailure(kernel + ": could not start the work-items of work-group " + group.name(), t));
        }
        try {
            for (Thread t : items) t.join();
        } catch (InterruptedException e) {   // only if the caller of run was interrupted
            Thread.currentThread().interrupt();
            group.fail(new KernelFailure(kernel + ": interrupted while work-group " + group.name() + " ran", e));
        }
        return group.failure();
    }

    /** One work-item: the kernel, then either "returned" or "failed" reported to its work-group. */
    private static void runWorkItem(String kernel, KernelContext ctx, WorkGroup group, KernelBody body) {
        try {
            body.run(ctx);
            group.finished(ctx);
        } catch (WorkGroup.Abandoned a) {
            // Another work-item of the group failed first, while this one was at a barrier: that failure is the report.
        } catch (Throwable t) {
            String hint = t instanceof IndexOutOfBoundsException
                    ? " (an out-of-bounds access: a GPU would not report it, but read garbage or overwrite other data)"
                    : "";
            group.fail(new KernelFailure(kernel + ": " + ctx.where() + " of work-group " + group.name()
                    + " failed: " + t + hint, t));
        }
    }

    /** A grid size padded to 3 dimensions with 1s, after checking it has 1 to 3, each at least {@code min}. */
    private static int[] dims(String what, int[] sizes, int min) {
        Objects.requireNonNull(sizes, what);
        if (sizes.length < 1 || sizes.length > 3)
            throw new IllegalArgumentException(what + " has " + sizes.length + " dimensions; a grid has 1 to 3");
        int[] padded = {1, 1, 1};
        for (int d = 0; d < sizes.length; d++) {
            if (sizes[d] < min)
                throw new IllegalArgumentException(what + "[" + d + "] = " + sizes[d] + "; it must be at least " + min);
            padded[d] = sizes[d];
        }
        return padded;
    }
}
