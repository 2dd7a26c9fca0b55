package neuroscan.engine.gpu;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Splits documents, in order, into batches of whole documents that fit the device buffers. */
public final class Batches {
    private Batches() {
    }

    /** Documents [first, first + count) of the list, {@code tokens} tokens in all. */
    public record Batch(int first, int count, int tokens) {
    }

    /** Greedy: a batch ends before the document that would exceed maxTokens or maxDocs. */
    public static List<Batch> split(List<int[]> docs, int from, int maxTokens, int maxDocs) {
        List<Batch> out = new ArrayList<>();
        int first = from, tokens = 0;
        for (int d = from; d < docs.size(); d++) {
            int len = docs.get(d).length;
            if (len > maxTokens) throw new IllegalArgumentException("document " + d + " has " + len + " tokens > batch " + maxTokens);
            if (d > first && (tokens + len > maxTokens || d - first == maxDocs)) {
                out.add(new Batch(first, d - first, tokens));
                first = d;
                tokens = 0;
            }
            tokens += len;
        }
        if (first < docs.size()) out.add(new Batch(first, docs.size() - first, tokens));
        return out;
    }

    /**
     * Packs batch {@code b}'s documents back to back into {@code tokens} and their starts into {@code offsets}
     * (count + 1 ints: document d owns tokens [offsets[d], offsets[d + 1])), the layout every kernel reads.
     */
    public static void stage(List<int[]> docs, Batch b, MemorySegment tokens, MemorySegment offsets) {
        int off = 0;
        for (int d = 0; d < b.count(); d++) {
            int[] t = docs.get(b.first() + d);
            offsets.setAtIndex(JAVA_INT, d, off);
            MemorySegment.copy(t, 0, tokens, JAVA_INT, 4L * off, t.length);
            off += t.length;
        }
        offsets.setAtIndex(JAVA_INT, b.count(), off);
    }
}
