package neuroscan.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CpuRunnerTest {
    /** Only a guard against a hang; none of these tests takes more than a fraction of a second. */
    private static final Duration HANG = Duration.ofSeconds(60);

    // ---- kernels (written like the real ones: static, KernelContext first) ----

    /** Every work-item writes its ids and sizes at its place in a row-major [globalSize(1)][globalSize(0)] grid. */
    static void ids(KernelContext ctx, int[] global, int[] local, int[] group, int[] sizes) {
        int gx = ctx.globalId(0), gy = ctx.globalId(1);
        int i = gy * ctx.globalSize(0) + gx;
        global[2 * i] = gx;
        global[2 * i + 1] = gy;
        local[2 * i] = ctx.localId(0);
        local[2 * i + 1] = ctx.localId(1);
        group[2 * i] = ctx.groupId(0);
        group[2 * i + 1] = ctx.groupId(1);
        // Every work-item writes the same sizes: a benign race.
        sizes[0] = ctx.localSize(0);
        sizes[1] = ctx.localSize(1);
        sizes[2] = ctx.groupCount(0);
        sizes[3] = ctx.groupCount(1);
        sizes[4] = ctx.globalSize(0);
        sizes[5] = ctx.globalSize(1);
        // The missing third dimension: size 1, id 0.
        if (ctx.globalId(2) != 0 || ctx.localId(2) != 0 || ctx.groupId(2) != 0 || ctx.localSize(2) != 1
                || ctx.groupCount(2) != 1 || ctx.globalSize(2) != 1) sizes[6] = 1;
    }

    static final int SUM_LOCAL = 64;

    /** out[group] = the sum of in[] over the group's work-items: a tree reduction in work-group memory. */
    static void groupSum(KernelContext ctx, float[] in, float[] out, int n) {
        float[] part = ctx.localFloats(SUM_LOCAL);
        int lid = ctx.localId(0), gid = ctx.globalId(0);
        part[lid] = gid < n ? in[gid] : 0f;
        ctx.barrier();
        for (int stride = ctx.localSize(0) / 2; stride > 0; stride /= 2) {
            if (lid < stride) part[lid] += part[lid + stride];
            ctx.barrier();
        }
        if (lid == 0) out[ctx.groupId(0)] = part[0];
    }

    /**
     * Records each work-item's view of its group's arrays: which arrays it got, whether its own slot started
     * undefined (NaN / POISON), and, after everyone wrote, what its neighbour wrote.
     */
    static void shared(KernelContext ctx, Object[] floatsSeen, Object[] intsSeen, boolean[] startedUndefined,
                       int[] neighbour) {
        float[] f = ctx.localFloats(16);
        int[] a = ctx.localInts(16);
        int lid = ctx.localId(0), gid = ctx.globalId(0), n = ctx.localSize(0);
        floatsSeen[gid] = f;
        intsSeen[gid] = a;
        startedUndefined[gid] = Float.isNaN(f[lid]) && a[lid] == WorkGroup.POISON;   // nobody writes slot lid before the barrier
        ctx.barrier();
        f[lid] = 0.5f * gid;
        a[lid] = 1000 * ctx.groupId(0) + lid;
        ctx.barrier();
        neighbour[gid] = a[(lid + 1) % n];
    }

    /** Work-item 0 asks for an int array where the others ask for a float array. */
    static void mismatchedArrays(KernelContext ctx) {
        float[] first = ctx.localFloats(8);
        if (ctx.localId(0) == 0) ctx.localInts(4);
        else ctx.localFloats(4);
        first[ctx.localId(0) % 8] = 1;
    }

    /** A barrier only the first five work-items of each group reach. */
    static void barrierInBranch(KernelContext ctx, float[] out) {
        if (ctx.localId(0) < 5) {
            ctx.barrier();
        }
        out[ctx.globalId(0)] = 1;
    }

    /** Work-item 0 returns early; the others then wait at a barrier it never reaches. */
    static void earlyReturn(KernelContext ctx, float[] out) {
        if (ctx.localId(0) == 0) return;
        ctx.barrier();
        out[ctx.globalId(0)] = 1;
    }

    /** Two barriers, each reached by only some of the work-items. */
    static void twoBarriers(KernelContext ctx, float[] out) {
        if (ctx.localId(0) < 5) {
            ctx.barrier();
        } else {
            ctx.barrier();
        }
        out[ctx.globalId(0)] = 1;
    }

    /** Writes out[globalId] and then waits at a barrier: out is one element short, so the last work-item fails. */
    static void writeThenBarrier(KernelContext ctx, int[] out) {
        out[ctx.globalId(0)] = ctx.globalId(0);
        ctx.barrier();
    }

    // ---- tests ----

    @Test
    void idsAndSizesOfA2dGridMatchABruteForceLoop() {
        int[] groups = {5, 3}, local = {7, 3};
        int w = groups[0] * local[0], h = groups[1] * local[1];
        int[] global = new int[2 * w * h], loc = new int[2 * w * h], group = new int[2 * w * h], sizes = new int[7];
        CpuRunner.run("ids", groups, local, ctx -> ids(ctx, global, loc, group, sizes));

        int[] wantGlobal = new int[2 * w * h], wantLocal = new int[2 * w * h], wantGroup = new int[2 * w * h];
        for (int gy = 0; gy < groups[1]; gy++)
            for (int gx = 0; gx < groups[0]; gx++)
                for (int ly = 0; ly < local[1]; ly++)
                    for (int lx = 0; lx < local[0]; lx++) {
                        int x = gx * local[0] + lx, y = gy * local[1] + ly, i = y * w + x;
                        wantGlobal[2 * i] = x;
                        wantGlobal[2 * i + 1] = y;
                        wantLocal[2 * i] = lx;
                        wantLocal[2 * i + 1] = ly;
                        wantGroup[2 * i] = gx;
                        wantGroup[2 * i + 1] = gy;
                    }
        assertArrayEquals(wantGlobal, global);
        assertArrayEquals(wantLocal, loc);
        assertArrayEquals(wantGroup, group);
        assertArrayEquals(new int[]{7, 3, 5, 3, w, h, 0}, sizes);
    }

    @Test
    void everyWorkItemOfA3dGridRunsOnce() {
        int[] groups = {2, 3, 5}, local = {3, 1, 2};
        int[] count = new int[2 * 3 * 3 * 1 * 5 * 2];
        AtomicInteger runs = new AtomicInteger();
        CpuRunner.run(groups, local, ctx -> {
            runs.incrementAndGet();
            int i = (ctx.globalId(2) * ctx.globalSize(1) + ctx.globalId(1)) * ctx.globalSize(0) + ctx.globalId(0);
            synchronized (count) {
                count[i]++;
            }
        });
        assertEquals(count.length, runs.get());
        for (int c : count) assertEquals(1, c);
    }

    @Test
    void treeReductionWithBarriersEqualsAPlainSum() {
        int groups = 11, n = groups * SUM_LOCAL - 13;   // the last group is partly past the end
        float[] in = new float[n];
        for (int i = 0; i < n; i++) in[i] = (i * 37 % 101) - 50;   // small integers: every sum is exact
        float[] out = new float[groups];
        CpuRunner.run("group_sum", new int[]{groups}, new int[]{SUM_LOCAL}, ctx -> groupSum(ctx, in, out, n));

        float[] want = new float[groups];
        for (int i = 0; i < n; i++) want[i / SUM_LOCAL] += in[i];
        assertArrayEquals(want, out);
    }

    @Test
    void workGroupArraysAreSharedWithinAGroupDistinctBetweenGroupsAndStartUndefined() {
        int groups = 4, local = 16, n = groups * local;
        Object[] floats = new Object[n], ints = new Object[n];
        boolean[] undefined = new boolean[n];
        int[] neighbour = new int[n];
        CpuRunner.run("shared", new int[]{groups}, new int[]{local},
                ctx -> shared(ctx, floats, ints, undefined, neighbour));

        for (int i = 0; i < n; i++) {
            int g = i / local, lid = i % local;
            assertSame(floats[g * local], floats[i], "one float array per group");
            assertSame(ints[g * local], ints[i], "one int array per group");
            assertTrue(undefined[i], "work-item " + i + " saw its slot start as NaN / POISON");
            assertEquals(1000 * g + (lid + 1) % local, neighbour[i], "what the neighbour wrote, after a barrier");
        }
        Set<Object> distinct = new LinkedHashSet<>();
        for (int g = 0; g < groups; g++) {
            assertTrue(distinct.add(floats[g * local]));
            assertTrue(distinct.add(ints[g * local]));
        }
        assertNotSame(floats[0], ints[0]);
        float[] f0 = (float[]) floats[0];
        for (int lid = 0; lid < local; lid++) assertEquals(0.5f * lid, f0[lid]);
    }

    @Test
    void aWorkGroupArrayAskedForWithAnotherTypeFailsNamingBoth() {
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("mismatched", new int[]{1}, new int[]{4}, CpuRunnerTest::mismatchedArrays)));
        assertTrue(e.getMessage().contains("int[4]") && e.getMessage().contains("float[4]"), e.getMessage());
        assertTrue(e.getMessage().startsWith("mismatched: work-item ("), e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void aBarrierThatOnlySomeWorkItemsReachFailsInsteadOfHanging() {
        float[] out = new float[2 * 16];
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("branchy", new int[]{2}, new int[]{16}, ctx -> barrierInBranch(ctx, out))));
        String m = e.getMessage();
        assertTrue(m.startsWith("branchy: barrier at CpuRunnerTest.barrierInBranch(CpuRunnerTest.java:"), m);
        assertTrue(m.contains("not reached by every work-item of work-group ("), m);
        assertTrue(m.contains("work-items [0..4] wait there, [5..15] returned without it"), m);
    }

    @Test
    void aBarrierReachedAfterAnotherWorkItemReturnedFails() {
        float[] out = new float[8];
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("early", new int[]{1}, new int[]{8}, ctx -> earlyReturn(ctx, out))));
        String m = e.getMessage();
        assertTrue(m.contains("not reached by every work-item of work-group (0, 0, 0)"), m);
        assertTrue(m.contains("[1..7] wait there, [0] returned without it"), m);
    }

    @Test
    void workItemsAtTwoDifferentBarriersFailNamingBoth() {
        float[] out = new float[3 * 8];
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("two_barriers", new int[]{3}, new int[]{8}, ctx -> twoBarriers(ctx, out))));
        String m = e.getMessage();
        assertTrue(m.contains("wait at different barriers"), m);
        Matcher site = Pattern.compile("(\\[[0-9.]+\\]) at CpuRunnerTest\\.twoBarriers\\(CpuRunnerTest\\.java:(\\d+)\\)").matcher(m);
        assertTrue(site.find(), m);
        String firstItems = site.group(1), firstLine = site.group(2);
        assertTrue(site.find(), m);
        assertEquals("[0..4]", firstItems, m);
        assertEquals("[5..7]", site.group(1), m);
        assertEquals(Integer.parseInt(firstLine) + 2, Integer.parseInt(site.group(2)), "the else branch's barrier, two lines below");
        for (float v : out) assertEquals(0f, v, "nobody got past the barrier");
    }

    @Test
    void twoBarriersOnOneLineAreStillTwo() {
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("one_line", new int[]{1}, new int[]{4}, ctx -> {
                    if (ctx.localId(0) % 2 == 0) ctx.barrier(); else ctx.barrier();
                })));
        assertTrue(e.getMessage().contains("wait at different barriers"), e.getMessage());
        assertTrue(e.getMessage().contains("[0, 2] at ") && e.getMessage().contains("[1, 3] at "), e.getMessage());
    }

    @Test
    void aBarrierInA2dGroupNamesWorkItemsByLocalId() {
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("two_d", new int[]{1, 1}, new int[]{4, 2}, ctx -> {
                    if (ctx.localId(1) == 0) ctx.barrier();
                })));
        assertTrue(e.getMessage().contains("work-items [(0, 0)..(3, 0)] wait there, [(0, 1)..(3, 1)] returned without it"),
                e.getMessage());
    }

    @Test
    void anOutOfBoundsWriteFailsNamingTheWorkItemWhileTheOthersWaitAtABarrier() {
        int groups = 3, local = 32;
        int[] out = new int[groups * local - 1];   // one short: work-item 95, in group 2, writes past the end
        KernelFailure e = assertThrows(KernelFailure.class, () -> assertTimeoutPreemptively(HANG,
                () -> CpuRunner.run("write", new int[]{groups}, new int[]{local}, ctx -> writeThenBarrier(ctx, out))));
        String m = e.getMessage();
        assertTrue(m.startsWith("write: work-item (95, 0, 0) of work-group (2, 0, 0) failed: "), m);
        assertTrue(m.contains("Index 95 out of bounds for length 95"), m);
        assertInstanceOf(ArrayIndexOutOfBoundsException.class, e.getCause());
    }

    @Test
    void aCheckedExceptionIsWrappedToo() {
        KernelFailure e = assertThrows(KernelFailure.class, () -> CpuRunner.run("io", new int[]{2}, new int[]{1}, ctx -> {
            if (ctx.groupId(0) == 1) throw new java.io.IOException("no disk on a GPU");
        }));
        assertTrue(e.getMessage().startsWith("io: work-item (1, 0, 0) of work-group (1, 0, 0) failed: "), e.getMessage());
        assertInstanceOf(java.io.IOException.class, e.getCause());
    }

    @Test
    void zeroGroupsRunNothing() {
        AtomicInteger runs = new AtomicInteger();
        CpuRunner.run(new int[]{0, 4}, new int[]{8, 8}, ctx -> runs.incrementAndGet());
        assertEquals(0, runs.get());
    }

    @Test
    void argumentsAreValidated() {
        CpuRunner.KernelBody nothing = ctx -> { };
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[0], new int[0], nothing));
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[]{1, 1, 1, 1}, new int[]{1, 1, 1, 1}, nothing));
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[]{1, 1}, new int[]{1}, nothing));
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[]{1}, new int[]{0}, nothing));
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[]{-1}, new int[]{1}, nothing));
        assertThrows(IllegalArgumentException.class, () -> CpuRunner.run(new int[]{1 << 16}, new int[]{1 << 16}, nothing));
        assertThrows(IllegalArgumentException.class,
                () -> CpuRunner.run(new int[]{1, 1, 1}, new int[]{1 << 11, 1 << 11, 1 << 11}, nothing));
        assertThrows(NullPointerException.class, () -> CpuRunner.run(null, new int[]{1}, nothing));
        assertThrows(NullPointerException.class, () -> CpuRunner.run(new int[]{1}, null, nothing));
        assertThrows(NullPointerException.class, () -> CpuRunner.run(new int[]{1}, new int[]{1}, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuRunner.run(new int[]{1, 1}, new int[]{4, 0}, nothing));
        assertEquals("local[1] = 0; it must be at least 1", e.getMessage());
    }
}
