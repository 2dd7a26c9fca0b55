package neuroscan.engine.gpu;

import neuroscan.NeuroscanException;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the GPU engine and its task graphs need of a device, whichever runtime drives it: memory, copies
 * in and out on two streams (compute, and transfer so that the next batch's upload overlaps this batch's
 * work), markers between them, and launches. Implementations: {@code OpenClDevice} (an in-order queue
 * per stream) and {@code CudaDevice} (CUDA streams and events; a fixed launch sequence becomes a CUDA
 * graph, replayed with new sizes).
 */
public interface GpuDevice extends AutoCloseable {
    enum Stream { COMPUTE, TRANSFER }

    /** The device, for messages: "CUDA device NVIDIA H200", "OpenCL device pthread-skylake-avx512-AMD EPYC". */
    String name();

    /** For the manifest and stderr: runtime, device, index. */
    String describe();

    /** Bytes that new allocations may still take (a tenth is left to the driver and other users). */
    long memoryAvailable();

    /** The largest single allocation. */
    long maxAllocation();

    /** The most work-items in one work-group. */
    int maxWorkGroupSize();

    /** The most work-groups along each of the three dimensions. */
    int[] maxGroups();

    /** Whether ctx.mmaTf32 runs on tensor cores here (CUDA sm_80+), not as the model: a scan then screens by default. */
    default boolean tensorCores() {
        return false;
    }

    /** Whether kernel {@code name} is loaded (CUDA leaves the tensor-core kernels out on old GPUs without NVRTC). */
    default boolean hasKernel(String name) {
        return true;
    }

    /** Zero-filled device memory. */
    DeviceBuffer allocate(long bytes, String what);

    /** Host memory for staging transfers (page-locked on CUDA), released with the device. */
    MemorySegment hostMemory(long bytes);

    /** Enqueues a copy of {@code bytes} from host {@code src} into {@code dst} on stream {@code s}. */
    void copyIn(DeviceBuffer dst, MemorySegment src, long bytes, Stream s);

    /** Enqueues a copy of {@code bytes} of {@code src} into host {@code dst} on stream {@code s}. */
    void copyOut(DeviceBuffer src, MemorySegment dst, long bytes, Stream s);

    /** The completion of everything enqueued on {@code s} so far. */
    Marker mark(Stream s);

    /** Work enqueued on {@code s} from now on starts after {@code m}. */
    void waitFor(Stream s, Marker m);

    /** Returns when everything enqueued on {@code s} has finished. */
    void sync(Stream s);

    /** Runs one fixed sequence of launches, again and again with new arguments and grids, on the compute stream. */
    Launcher launcher();

    /** Runs the calls one by one on the compute stream and returns each one's device time in ms. */
    double[] time(List<Call> calls);

    /** Whether a runtime error is the device running out of memory. */
    boolean isOutOfMemory(RuntimeException e);

    /** The error as one line naming the device. */
    NeuroscanException error(RuntimeException e);

    @Override
    void close();

    /** A point in a stream. */
    interface Marker extends AutoCloseable {
        void await();

        @Override
        void close();
    }

    /** See {@link #launcher()}. */
    interface Launcher extends AutoCloseable {
        void run(List<Call> calls);

        @Override
        void close();
    }
}
