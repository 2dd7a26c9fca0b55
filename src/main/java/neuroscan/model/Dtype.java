package neuroscan.model;

import neuroscan.NeuroscanException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The element types neuroscan reads from checkpoints (.pth and .safetensors), and the one place where
 * stored data becomes a float32 {@link Tensor}: float32 contiguous data is a zero-copy slice of the
 * memory-mapped file; everything else (float16, bfloat16, bool buffers, strided views) is copied once
 * into off-heap float32.
 */
enum Dtype {
    F32(4), F16(2), BF16(2),
    /** Only attention-mask buffers are bool; they are not used, but must not stop a checkpoint loading. */
    BOOL(1);

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** A bigger float32 copy than this is a corrupt or hostile header, not a model we can scan. */
    private static final long MAX_COPY_BYTES = 16L << 30;

    final int size;

    Dtype(int size) {
        this.size = size;
    }

    /** Element {@code i} of little-endian {@code data}, widened to float32. */
    float read(MemorySegment data, long i) {
        return switch (this) {
            case F32 -> data.getAtIndex(Tensor.F32, i);
            case F16 -> Float.float16ToFloat(data.getAtIndex(I16, i));
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(I16, i) & 0xffff) << 16);
            case BOOL -> data.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1f : 0f;
        };
    }

    /** Contiguous row-major data (safetensors): zero-copy for float32, widened otherwise. */
    Tensor tensor(String name, MemorySegment data, long[] shape, String source) {
        return view(name, data, 0, shape, contiguousStrides(shape), source);
    }

    /**
     * The tensor viewing {@code storage} (little-endian elements of this type) at element {@code offset}
     * with torch-style {@code stride}s. The caller has checked that every element lies inside the storage.
     */
    Tensor view(String name, MemorySegment storage, long offset, long[] shape, long[] stride, String source) {
        long numel = Tensor.numel(shape);
        if (this == F32 && isContiguous(shape, stride)) {
            return new Tensor(name, shape, storage.asSlice(offset * 4, numel * 4));
        }
        if (numel > MAX_COPY_BYTES / 4) {
            throw new NeuroscanException(source + ": tensor " + name + " would need " + numel * 4
                    + " bytes as float32; refusing");
        }
        MemorySegment out = Arena.ofAuto().allocate(numel * 4, 8);
        if (numel > 0) gather(storage, offset, shape, stride, out);
        return new Tensor(name, shape, out);
    }

    /** Copies the strided elements into {@code out} in row-major order, one innermost row at a time. */
    private void gather(MemorySegment storage, long offset, long[] shape, long[] stride, MemorySegment out) {
        int rank = shape.length;
        long cols = rank == 0 ? 1 : shape[rank - 1], colStride = rank == 0 ? 1 : stride[rank - 1];
        long[] idx = new long[Math.max(rank - 1, 0)];
        for (long row = 0, dst = 0; ; row++) {
            long base = offset;
            for (int d = 0; d < idx.length; d++) base += idx[d] * stride[d];
            if (this == F32 && colStride == 1) {
                MemorySegment.copy(storage, base * 4, out, dst * 4, cols * 4);
            } else {
                for (long j = 0; j < cols; j++) out.setAtIndex(Tensor.F32, dst + j, read(storage, base + j * colStride));
            }
            dst += cols;
            int d = idx.length - 1;                       // odometer over the outer dimensions
            while (d >= 0 && ++idx[d] == shape[d]) idx[d--] = 0;
            if (d < 0) return;
        }
    }

    static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    /** Row-major contiguous, ignoring the stride of size-1 dimensions (torch leaves those arbitrary). */
    static boolean isContiguous(long[] shape, long[] stride) {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) return Tensor.numel(shape) == 0;
            expected *= shape[d];
        }
        return true;
    }
}
