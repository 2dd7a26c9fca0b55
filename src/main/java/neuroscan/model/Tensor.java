package neuroscan.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, contiguous, row-major float32 tensor. {@code data} is usually a slice of a memory-mapped
 * checkpoint (float32 files are never copied); float16/bfloat16 checkpoints are widened once into an
 * off-heap segment.
 */
public record Tensor(String name, long[] shape, MemorySegment data) {
    public static final ValueLayout.OfFloat F32 =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Tensor {
        long n = numel(shape);
        if (data.byteSize() != n * 4) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for shape "
                    + Arrays.toString(shape));
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public static Tensor of(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(values.clone());
        return new Tensor(name, shape, seg);
    }

    public long numel() {
        return numel(shape);
    }

    public int rank() {
        return shape.length;
    }

    public float get(long flatIndex) {
        return data.getAtIndex(F32, flatIndex);
    }

    /** Copies the tensor to a heap array (fine for everything but the embedding/unembedding). */
    public float[] toArray() {
        if (numel() > Integer.MAX_VALUE - 8) throw new IllegalStateException(name + " too large for an array");
        float[] out = new float[(int) numel()];
        MemorySegment.copy(data, F32, 0, out, 0, out.length);
        return out;
    }

    /** Copies row {@code r} of a 2-D tensor into {@code dst[off..off+cols)}. */
    public void copyRow(long r, float[] dst, int off) {
        int cols = (int) shape[shape.length - 1];
        MemorySegment.copy(data, F32, r * cols * 4L, dst, off, cols);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
