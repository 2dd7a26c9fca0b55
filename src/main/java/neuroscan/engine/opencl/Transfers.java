package neuroscan.engine.opencl;

import neuroscan.engine.opencl.CL.Buffer;
import neuroscan.engine.opencl.CL.Context;
import neuroscan.engine.opencl.CL.Queue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** Blocking copies between Java arrays / segments and device buffers, staged through native memory. */
final class Transfers {
    private Transfers() {
    }

    /** A new buffer holding {@code data} (any segment: heap arrays and mapped files alike). */
    static Buffer upload(Context c, Queue q, MemorySegment data, String what) {
        Buffer b = CL.createBuffer(c, CL.MEM_READ_ONLY, data.byteSize(), what);
        try {
            write(q, b, data);
            return b;
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    static Buffer upload(Context c, Queue q, float[] data, String what) {
        return upload(c, q, MemorySegment.ofArray(data), what);
    }

    static Buffer upload(Context c, Queue q, int[] data, String what) {
        return upload(c, q, MemorySegment.ofArray(data), what);
    }

    /** Blocking write of all of {@code data} to the start of {@code b}. */
    static void write(Queue q, Buffer b, MemorySegment data) {
        if (data.isNative()) {
            CL.write(q, b, 0, data, true, List.of()).close();
            return;
        }
        long chunk = 64L << 20;   // stage big heap arrays in pieces rather than doubling their footprint
        try (Arena a = Arena.ofConfined()) {
            MemorySegment stage = a.allocate(Math.min(chunk, Math.max(data.byteSize(), 1)), 64);
            for (long off = 0; off < data.byteSize(); off += chunk) {
                long n = Math.min(chunk, data.byteSize() - off);
                MemorySegment part = stage.asSlice(0, n);
                part.copyFrom(data.asSlice(off, n));
                CL.write(q, b, off, part, true, List.of()).close();
            }
        }
    }

    static float[] readFloats(Queue q, Buffer b, int n) {
        float[] out = new float[n];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ValueLayout.JAVA_FLOAT, Math.max(n, 1)).asSlice(0, 4L * n);
            if (n > 0) CL.read(q, b, 0, s, true, List.of()).close();
            MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, out, 0, n);
        }
        return out;
    }

    static int[] readInts(Queue q, Buffer b, int n) {
        int[] out = new int[n];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ValueLayout.JAVA_INT, Math.max(n, 1)).asSlice(0, 4L * n);
            if (n > 0) CL.read(q, b, 0, s, true, List.of()).close();
            MemorySegment.copy(s, ValueLayout.JAVA_INT, 0, out, 0, n);
        }
        return out;
    }
}
