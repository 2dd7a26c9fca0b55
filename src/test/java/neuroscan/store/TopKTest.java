package neuroscan.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TopK against a full sort of synthetic per-document maxima, ties included, in every arrival order. */
class TopKTest {

    /** Oracle: all (doc, value) sorted by value desc, doc asc, NaN dropped, first k; -1/-inf beyond. */
    private static TopK sorted(int k, int dMlp, float[][] dmax, int[][] arg, int[] ids) {
        float[] max = new float[k * dMlp];
        int[] doc = new int[k * dMlp], pos = new int[k * dMlp];
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        Arrays.fill(doc, -1);
        Arrays.fill(pos, -1);
        for (int n = 0; n < dMlp; n++) {
            int neuron = n;
            List<Integer> rows = new ArrayList<>(IntStream.range(0, ids.length).filter(b -> !Float.isNaN(dmax[b][neuron])).boxed().toList());
            rows.sort(Comparator.<Integer>comparingDouble(b -> -dmax[b][neuron]).thenComparingInt(b -> ids[b]));
            for (int r = 0; r < Math.min(k, rows.size()); r++) {
                max[r * dMlp + n] = dmax[rows.get(r)][n];
                doc[r * dMlp + n] = ids[rows.get(r)];
                pos[r * dMlp + n] = arg[rows.get(r)][n];
            }
        }
        return TopK.of(k, dMlp, max, doc, pos);
    }

    /** Merges the given rows in batches of the given size, in the given order. */
    private static TopK merged(int k, int dMlp, float[][] dmax, int[][] arg, int[] ids, List<Integer> order, int batch) {
        TopK t = new TopK(k, dMlp);
        for (int i = 0; i < order.size(); i += batch) {
            int nb = Math.min(batch, order.size() - i);
            float[] bm = new float[nb * dMlp];
            int[] ba = new int[nb * dMlp], bid = new int[nb];
            for (int j = 0; j < nb; j++) {
                int row = order.get(i + j);
                System.arraycopy(dmax[row], 0, bm, j * dMlp, dMlp);
                System.arraycopy(arg[row], 0, ba, j * dMlp, dMlp);
                bid[j] = ids[row];
            }
            t.merge(nb, bid, bm, ba);
        }
        return t;
    }

    @Test
    void matchesFullSortWithManyTiesInAnyOrderAndBatchSize() {
        Random r = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            int k = 1 + r.nextInt(6), dMlp = 1 + r.nextInt(9), nDocs = r.nextInt(30);
            float[][] dmax = new float[nDocs][dMlp];
            int[][] arg = new int[nDocs][dMlp];
            int[] ids = new int[nDocs];
            List<Integer> idPool = new ArrayList<>(IntStream.range(0, 100).boxed().toList());
            Collections.shuffle(idPool, r);
            for (int b = 0; b < nDocs; b++) {
                ids[b] = idPool.get(b);  // distinct, not in row order
                for (int n = 0; n < dMlp; n++) {
                    dmax[b][n] = r.nextInt(4) - 1.5f;      // four values: ties everywhere
                    if (r.nextInt(20) == 0) dmax[b][n] = -0.0f;
                    if (r.nextInt(25) == 0) dmax[b][n] = 0.0f;
                    arg[b][n] = r.nextInt(50);
                }
            }
            TopK want = sorted(k, dMlp, dmax, arg, ids);
            for (int rep = 0; rep < 4; rep++) {
                List<Integer> order = new ArrayList<>(IntStream.range(0, nDocs).boxed().toList());
                Collections.shuffle(order, r);
                TopK got = merged(k, dMlp, dmax, arg, ids, order, 1 + r.nextInt(8));
                assertEquals(want, got, "trial " + trial + " rep " + rep);
            }
        }
    }

    @Test
    void equalValuesRankLowerDocumentFirst() {
        TopK t = new TopK(3, 2);
        // documents 9, 4, 7, 5 all have max 1.0 on neuron 0; neuron 1 orders them strictly.
        t.merge(2, new int[]{9, 4}, new float[]{1f, 0.1f, 1f, 0.4f}, new int[]{0, 1, 2, 3});
        t.merge(2, new int[]{7, 5}, new float[]{1f, 0.3f, 1f, 0.2f}, new int[]{4, 5, 6, 7});
        assertEquals(List.of(new TopK.Example(0, 4, 2, 1f), new TopK.Example(1, 5, 6, 1f), new TopK.Example(2, 7, 4, 1f)),
                t.examples(0));
        assertEquals(List.of(new TopK.Example(0, 4, 3, 0.4f), new TopK.Example(1, 7, 5, 0.3f), new TopK.Example(2, 5, 7, 0.2f)),
                t.examples(1));
    }

    @Test
    void fewerDocumentsThanKLeaveEmptySlots() {
        TopK t = new TopK(4, 1);
        t.merge(2, new int[]{3, 1}, new float[]{-2f, 5f}, new int[]{0, 7});
        assertEquals(1, t.doc(0, 0));
        assertEquals(7, t.pos(0, 0));
        assertEquals(3, t.doc(1, 0));
        for (int r = 2; r < 4; r++) {
            assertEquals(-1, t.doc(r, 0));
            assertEquals(-1, t.pos(r, 0));
            assertEquals(Float.NEGATIVE_INFINITY, t.max(r, 0));
        }
        assertEquals(2, t.examples(0).size());
    }

    @Test
    void nanMaximaAreCountedPerNeuronAndSurviveCopyMergeAndTheirTextForm() {
        TopK t = new TopK(2, 3);
        float nan = Float.NaN;
        t.merge(2, new int[]{0, 1}, new float[]{nan, 1, nan, nan, 2, 3}, new int[]{0, 0, 0, 4, 0, 0});
        assertEquals(2, t.nanCount(0));
        assertEquals(0, t.nanCount(1));
        assertEquals(1, t.nanCount(2));
        assertEquals(3, t.nanSkipped());
        assertEquals(java.util.Map.of(0, 2L, 2, 1L), t.nanNeurons());
        assertTrue(t.examples(0).isEmpty(), "a neuron with only NaN maxima has no example");
        assertEquals("0:2,2:1", t.formatNanNeurons());
        TopK back = new TopK(2, 3);
        back.addNanNeurons(t.formatNanNeurons());
        assertEquals(t.nanNeurons(), back.nanNeurons());
        assertEquals(t.nanNeurons(), t.copy().nanNeurons());
        TopK other = new TopK(2, 3);
        other.merge(1, new int[]{5}, new float[]{0, 0, nan}, new int[]{0, 0, 0});
        t.merge(other);
        assertEquals(2, t.nanCount(2));
        assertThrows(IllegalArgumentException.class, () -> back.addNanNeurons("7:1"));
    }

    @Test
    void nanNeverEntersInfinitiesDo() {
        TopK t = new TopK(3, 1);
        t.merge(4, new int[]{0, 1, 2, 3}, new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN},
                new int[]{0, 1, 2, 3});
        assertEquals(List.of(new TopK.Example(0, 1, 1, Float.POSITIVE_INFINITY), new TopK.Example(1, 2, 2, Float.NEGATIVE_INFINITY)),
                t.examples(0));
        assertEquals(2, t.nanSkipped());
        // a real -inf entry keeps its slot against a later -inf from a higher document, loses to a lower one
        t.merge(2, new int[]{5, 0}, new float[]{Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, new int[]{9, 8});
        assertEquals(List.of(1, 0, 2), t.examples(0).stream().map(TopK.Example::doc).toList());
    }

    @Test
    void mergingStoresOfDisjointSetsEqualsOneStore() {
        Random r = new Random(11);
        int k = 5, dMlp = 7, nDocs = 40;
        float[][] dmax = new float[nDocs][dMlp];
        int[][] arg = new int[nDocs][dMlp];
        int[] ids = IntStream.range(0, nDocs).toArray();
        for (int b = 0; b < nDocs; b++) {
            for (int n = 0; n < dMlp; n++) {
                dmax[b][n] = r.nextInt(6);
                arg[b][n] = r.nextInt(9);
            }
        }
        List<Integer> all = IntStream.range(0, nDocs).boxed().toList();
        TopK whole = merged(k, dMlp, dmax, arg, ids, all, 4);
        TopK a = merged(k, dMlp, dmax, arg, ids, all.subList(0, 3), 2);   // fewer than k: empty slots merge too
        TopK b = merged(k, dMlp, dmax, arg, ids, all.subList(3, 25), 5);
        TopK c = merged(k, dMlp, dmax, arg, ids, all.subList(25, 40), 3);
        c.merge(a);
        c.merge(b);
        assertEquals(whole, c);
        assertEquals(sorted(k, dMlp, dmax, arg, ids), whole);
    }

    @Test
    void rejectsBadInput() {
        TopK t = new TopK(2, 3);
        assertThrows(IllegalArgumentException.class, () -> t.merge(2, new int[]{0, 1}, new float[3], new int[6]));
        assertThrows(IllegalArgumentException.class, () -> t.merge(1, new int[]{-1}, new float[3], new int[3]));
        assertThrows(IllegalArgumentException.class, () -> t.merge(new TopK(3, 3)));
        assertThrows(IllegalArgumentException.class, () -> new TopK(0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> t.doc(2, 0));
    }
}
