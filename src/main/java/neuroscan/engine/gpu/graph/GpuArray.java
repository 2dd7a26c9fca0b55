package neuroscan.engine.gpu.graph;

import java.lang.foreign.MemorySegment;

/**
 * An array a task graph works on: a name, an element type (a kernel's {@code float[]} or {@code int[]}
 * parameter), a capacity, and, for arrays that come from the host, where from. The device memory is
 * allocated by the {@link DeviceMemory} of the plan that runs the graph; arrays shared by several graphs
 * (the weights, the running top-k store) are one allocation. {@link #use} sets how many elements the
 * next transfer moves (a batch's tokens, not the buffer's capacity).
 */
public final class GpuArray {
    public enum Type {
        FLOAT("float[]"), INT("int[]");

        final String javaType;

        Type(String javaType) {
            this.javaType = javaType;
        }
    }

    private final String name;
    private final Type type;
    private final long capacity;
    private final MemorySegment source;
    private long length;

    private GpuArray(String name, Type type, long capacity, MemorySegment source) {
        if (capacity < 1) throw new IllegalArgumentException(name + ": capacity must be positive: " + capacity);
        this.name = name;
        this.type = type;
        this.capacity = capacity;
        this.source = source;
        this.length = capacity;
    }

    /** A float array of {@code capacity} elements that lives on the device (zeroed when allocated). */
    public static GpuArray floats(String name, long capacity) {
        return new GpuArray(name, Type.FLOAT, capacity, null);
    }

    public static GpuArray ints(String name, long capacity) {
        return new GpuArray(name, Type.INT, capacity, null);
    }

    /** A float array whose contents come from {@code data} (e.g. a memory-mapped weight tensor). */
    public static GpuArray floats(String name, MemorySegment data) {
        return new GpuArray(name, Type.FLOAT, data.byteSize() / 4, data);
    }

    public String name() {
        return name;
    }

    public Type type() {
        return type;
    }

    public long capacity() {
        return capacity;
    }

    public long bytes() {
        return 4 * capacity;
    }

    /** Where a transfer to the device copies from, when not the plan's host staging memory; null otherwise. */
    MemorySegment source() {
        return source;
    }

    /** Elements the next transfers move. */
    public long length() {
        return length;
    }

    /** Transfers move the first {@code n} elements from now on. */
    public void use(long n) {
        if (n < 0 || n > capacity) throw new IllegalArgumentException(name + ": " + n + " elements, capacity " + capacity);
        length = n;
    }

    @Override
    public String toString() {
        return name + " (" + type.javaType + ", " + capacity + ")";
    }
}
