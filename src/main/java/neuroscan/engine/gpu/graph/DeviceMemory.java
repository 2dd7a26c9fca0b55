package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.DeviceBuffer;
import neuroscan.engine.gpu.GpuDevice;

import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The device memory of a set of task graphs: one allocation per {@link GpuArray}, made on first use and
 * shared by every plan over this memory (the weights and the top-k store serve all of them), and the host
 * staging memory of the arrays that are transferred.
 */
public final class DeviceMemory implements AutoCloseable {
    private final GpuDevice device;
    private final Map<GpuArray, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Map<GpuArray, MemorySegment> staging = new IdentityHashMap<>();
    private long bytes;

    public DeviceMemory(GpuDevice device) {
        this.device = device;
    }

    public GpuDevice device() {
        return device;
    }

    /** The array's device buffer, allocated (zero-filled) on first use. */
    public DeviceBuffer buffer(GpuArray a) {
        DeviceBuffer b = buffers.get(a);
        if (b == null) {
            b = device.allocate(a.bytes(), a.name());
            buffers.put(a, b);
            bytes += a.bytes();
        }
        return b;
    }

    /** The array's host staging memory (what transfers copy from and into), made on first use. */
    public MemorySegment host(GpuArray a) {
        return staging.computeIfAbsent(a, k -> device.hostMemory(k.bytes()));
    }

    /** Device bytes allocated so far. */
    public long allocatedBytes() {
        return bytes;
    }

    /** Frees the array's device buffer (it is allocated again if used again). */
    public void release(GpuArray a) {
        DeviceBuffer b = buffers.remove(a);
        if (b != null) {
            b.close();
            bytes -= a.bytes();
        }
    }

    @Override
    public void close() {
        for (DeviceBuffer b : buffers.values()) {
            try {
                b.close();
            } catch (RuntimeException ignored) {
                // keep releasing the rest
            }
        }
        buffers.clear();
        staging.clear();   // host memory belongs to the device and goes with it
        bytes = 0;
    }
}
