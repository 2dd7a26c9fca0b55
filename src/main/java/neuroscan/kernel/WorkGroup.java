package neuroscan.kernel;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the work-items of one work-group share when {@link CpuRunner} runs a kernel: its work-group arrays
 * ({@link KernelContext#localFloats}, {@link KernelContext#localInts}) and its barrier. On a GPU this is the
 * on-chip memory of one compute unit (an OpenCL work-group, a CUDA block) and the hardware barrier of its
 * threads; here it is a few arrays and a lock, and it checks what a GPU takes on trust: that every
 * work-item reaches the same barrier.
 *
 * <p>Every work-item of the group runs as its own (virtual) thread. A work-item ends in one of three ways:
 * it returns from the kernel ({@link #finished}), it throws ({@link #fail}), or it is abandoned: it
 * waits at, or reaches, a barrier after the group has failed, and {@link #barrier} throws {@link Abandoned}
 * to unwind it. The first failure is kept; {@link CpuRunner} reports it once all work-items have ended.
 */
final class WorkGroup {
    /**
     * What a work-group int array holds before anyone writes it: a GPU leaves it undefined, this makes a
     * read before write easy to spot. Negative, so that used as an index it fails at once.
     */
    static final int POISON = 0xBADBAD00;

    /** Thrown by {@link #barrier} to unwind a work-item whose group has already failed; {@link CpuRunner} swallows it. */
    static final class Abandoned extends RuntimeException {
        private Abandoned() {
            super("work-group failed", null, false, false);   // no stack trace: it is never shown
        }
    }

    private static final Abandoned ABANDONED = new Abandoned();

    /**
     * Where in the kernel a work-item called {@link KernelContext#barrier}: the bytecode index tells apart
     * two calls on one line ({@code if (c) ctx.barrier(); else ctx.barrier();}).
     */
    private record Site(String className, String method, int bytecodeIndex, String file, int line) {
        @Override
        public String toString() {   // as in a stack trace, so IDEs make it a link
            return className.substring(className.lastIndexOf('.') + 1) + "." + method + "(" + file + ":" + line + ")";
        }
    }

    private final String kernel;
    private final String name;          // "(3, 0, 0)": the work-group's id, for messages
    private final int[] localSize;      // x, y, z
    private final int size;             // work-items in the group

    // Everything below is guarded by lock; released is signalled when a barrier opens or the group fails.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final Map<Integer, Object> arrays = new HashMap<>();   // k-th work-group array: float[] or int[]
    private final Site[] waitingAt;     // per work-item (linear local index): the barrier it waits at, or null
    private final boolean[] returned;   // per work-item: it has returned from the kernel
    private final int[] mmaCalls;       // per work-item: its KernelContext.mmaTf32 calls so far (written by it alone)
    private volatile boolean mmaUsed;
    private int waiting, returnedCount;
    private int generation;             // how many barriers have opened so far
    private KernelFailure failure;      // the first failure, or null

    WorkGroup(String kernel, int[] groupId, int[] localSize) {
        this.kernel = kernel;
        this.name = "(" + groupId[0] + ", " + groupId[1] + ", " + groupId[2] + ")";
        this.localSize = localSize;
        this.size = localSize[0] * localSize[1] * localSize[2];
        this.waitingAt = new Site[size];
        this.returned = new boolean[size];
        this.mmaCalls = new int[size];
    }

    /**
     * Counts a work-item's mmaTf32 call: a warp-wide instruction needs whole warps, and every lane of a warp
     * must call it as often as the others between two barriers (checked when a barrier opens and at the end).
     */
    void mmaCalled(KernelContext ctx, int linear) {
        if (size % Mma.WARP != 0) {
            throw new IllegalStateException("mmaTf32 is a warp-wide instruction: the work-group must have a multiple of "
                    + Mma.WARP + " work-items, this one has " + size);
        }
        mmaUsed = true;
        mmaCalls[linear]++;
    }

    /** A warp whose lanes called mmaTf32 unequally often, as a message, or null; under lock, everyone arrived. */
    private String divergentMma() {
        if (!mmaUsed) return null;
        for (int w = 0; w < size / Mma.WARP; w++) {
            int first = mmaCalls[w * Mma.WARP];
            for (int l = 1; l < Mma.WARP; l++) {
                int n = mmaCalls[w * Mma.WARP + l];
                if (n != first) {
                    return "warp " + w + " of work-group " + name + " diverged at mmaTf32: lane 0 " + localId(w * Mma.WARP)
                            + " made " + first + " calls, lane " + l + " " + localId(w * Mma.WARP + l) + " made " + n
                            + " (every lane of a warp must execute the instruction together; on a GPU this hangs or computes garbage)";
                }
            }
        }
        return null;
    }

    /** "(3, 0, 0)", the work-group's id. */
    String name() {
        return name;
    }

    /** The group's k-th float array of n elements, NaN until written; allocated by the first work-item to ask. */
    float[] localFloats(int k, int n) {
        return (float[]) localArray(k, n, float.class);
    }

    /** The group's k-th int array of n elements, {@link #POISON} until written. */
    int[] localInts(int k, int n) {
        return (int[]) localArray(k, n, int.class);
    }

    private Object localArray(int k, int n, Class<?> type) {
        if (n < 0) throw new IllegalArgumentException("work-group array #" + k + ": negative size " + n);
        lock.lock();
        try {
            Object a = arrays.get(k);
            if (a == null) {   // the first work-item to get here allocates it for the whole group
                if (type == float.class) {
                    float[] f = new float[n];
                    Arrays.fill(f, Float.NaN);
                    a = f;
                } else {
                    int[] i = new int[n];
                    Arrays.fill(i, POISON);
                    a = i;
                }
                arrays.put(k, a);
            } else if (a.getClass().getComponentType() != type || Array.getLength(a) != n) {
                // Work-group arrays are declared at the top of the kernel, the same for every work-item:
                // different ones mean the work-items took different paths through the declarations.
                throw new IllegalStateException("work-group array #" + k + " of work-group " + name + " is "
                        + describe(a.getClass().getComponentType(), Array.getLength(a))
                        + ", but this work-item asks for " + describe(type, n));
            }
            return a;
        } finally {
            lock.unlock();
        }
    }

    private static String describe(Class<?> type, int n) {
        return type.getName() + "[" + n + "]";
    }

    /**
     * Waits until every work-item of the group is at a barrier, then lets them all go on. If they are not
     * all at this same barrier (some wait elsewhere, or have returned from the kernel), the group fails
     * and every waiting work-item is abandoned.
     */
    void barrier(KernelContext ctx) {
        Site site = callSite();
        int me = index(ctx);
        lock.lock();
        try {
            if (failure != null) throw ABANDONED;
            waitingAt[me] = site;
            waiting++;
            int barrier = generation;
            settle();   // the last to arrive opens the barrier (or finds that it never can)
            while (barrier == generation && failure == null) released.awaitUninterruptibly();
            if (failure != null) throw ABANDONED;
        } finally {
            lock.unlock();
        }
    }

    /** Called by {@link CpuRunner} when a work-item returns from the kernel normally. */
    void finished(KernelContext ctx) {
        lock.lock();
        try {
            if (failure != null) return;
            returned[index(ctx)] = true;
            returnedCount++;
            if (returnedCount == size) {
                String d = divergentMma();
                if (d != null) fail(new KernelFailure(kernel + ": " + d, null));
            }
            settle();   // were the others waiting at a barrier for this one?
        } finally {
            lock.unlock();
        }
    }

    /** Fails the group (unless it has failed already: the first failure wins) and wakes every waiting work-item. */
    void fail(KernelFailure f) {
        lock.lock();
        try {
            if (failure == null) failure = f;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The first failure, or null; read by {@link CpuRunner} after every work-item has ended. */
    KernelFailure failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Decides a barrier, once it can: when someone waits and every work-item is either waiting or
     * returned (each work-item ends up in one of the two, or throws). If all wait at the same barrier it
     * opens; otherwise no GPU could go on, and the group fails with what each work-item did.
     */
    private void settle() {
        if (waiting == 0 || waiting + returnedCount < size) return;   // someone is still on its way
        Map<Site, List<Integer>> sites = new LinkedHashMap<>();
        List<Integer> gone = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (waitingAt[i] != null) sites.computeIfAbsent(waitingAt[i], s -> new ArrayList<>()).add(i);
            else gone.add(i);
        }
        if (gone.isEmpty() && sites.size() == 1) {   // everyone is here: open the barrier
            String d = divergentMma();
            if (d != null) {
                fail(new KernelFailure(kernel + ": " + d, null));
                return;
            }
            Arrays.fill(waitingAt, null);
            waiting = 0;
            generation++;
            released.signalAll();
            return;
        }
        String why;
        if (sites.size() == 1) {
            var only = sites.entrySet().iterator().next();
            why = "barrier at " + only.getKey() + " not reached by every work-item of work-group " + name
                    + ": work-items " + ranges(only.getValue()) + " wait there, " + ranges(gone)
                    + " returned without it";
        } else {
            StringBuilder b = new StringBuilder("work-items of work-group " + name
                    + " wait at different barriers, so none is reached by every work-item: ");
            String sep = "";
            for (var e : sites.entrySet()) {
                Site at = e.getKey();
                b.append(sep).append(ranges(e.getValue())).append(" at ").append(at);
                if (sites.keySet().stream().filter(o -> o.toString().equals(at.toString())).count() > 1)
                    b.append(" (call at bytecode index ").append(at.bytecodeIndex()).append(")");   // two on one line
                sep = "; ";
            }
            if (!gone.isEmpty()) b.append("; ").append(ranges(gone)).append(" returned");
            why = b.toString();
        }
        fail(new KernelFailure(kernel + ": " + why + " (on a GPU this hangs or corrupts memory)", null));
    }

    /** The caller of {@link KernelContext#barrier}: the first frame outside this class and KernelContext. */
    private static Site callSite() {
        return StackWalker.getInstance().walk(frames -> frames
                .dropWhile(f -> f.getClassName().equals(WorkGroup.class.getName())
                        || f.getClassName().equals(KernelContext.class.getName()))
                .findFirst()
                .map(f -> new Site(f.getClassName(), f.getMethodName(), f.getByteCodeIndex(), f.getFileName(),
                        f.getLineNumber()))
                .orElseThrow());
    }

    /** A work-item's linear index in the group: x + sx * (y + sy * z). */
    private int index(KernelContext ctx) {
        return ctx.localId(0) + localSize[0] * (ctx.localId(1) + localSize[1] * ctx.localId(2));
    }

    /** Work-items by linear index, as runs: "[0..4, 9]"; in a 2-D or 3-D group each end is its local id "(x, y)". */
    private String ranges(List<Integer> items) {
        final int most = 8;   // runs to show; the rest is counted
        StringBuilder b = new StringBuilder("[");
        int runs = 0;
        for (int i = 0; i < items.size(); ) {
            int j = i;
            while (j + 1 < items.size() && items.get(j + 1) == items.get(j) + 1) j++;
            if (runs == most) {
                b.append(", ... (").append(items.size()).append(" work-items in all)");
                break;
            }
            if (runs++ > 0) b.append(", ");
            b.append(localId(items.get(i)));
            if (j > i) b.append("..").append(localId(items.get(j)));
            i = j + 1;
        }
        return b.append("]").toString();
    }

    private String localId(int index) {
        if (localSize[1] == 1 && localSize[2] == 1) return Integer.toString(index);
        int x = index % localSize[0], y = index / localSize[0] % localSize[1], z = index / (localSize[0] * localSize[1]);
        return localSize[2] == 1 ? "(" + x + ", " + y + ")" : "(" + x + ", " + y + ", " + z + ")";
    }
}
