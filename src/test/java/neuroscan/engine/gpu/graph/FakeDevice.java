package neuroscan.engine.gpu.graph;

import neuroscan.NeuroscanException;
import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.DeviceBuffer;
import neuroscan.engine.gpu.GpuDevice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** A device that runs nothing and records what it is asked, with limits a test chooses. */
final class FakeDevice implements GpuDevice {
    final int maxWorkGroup;
    final int[] maxGroups;
    final List<String> log = new ArrayList<>();
    final List<List<Call>> launches = new ArrayList<>();
    private final Arena arena = Arena.ofShared();

    FakeDevice(int maxWorkGroup, int... maxGroups) {
        this.maxWorkGroup = maxWorkGroup;
        this.maxGroups = maxGroups;
    }

    record Buf(long bytes, String what) implements DeviceBuffer {
        @Override
        public void close() {
        }
    }

    @Override
    public String name() {
        return "fake device";
    }

    @Override
    public String describe() {
        return "fake";
    }

    @Override
    public long memoryAvailable() {
        return Long.MAX_VALUE;
    }

    @Override
    public long maxAllocation() {
        return Long.MAX_VALUE;
    }

    @Override
    public int maxWorkGroupSize() {
        return maxWorkGroup;
    }

    @Override
    public int[] maxGroups() {
        return maxGroups;
    }

    @Override
    public DeviceBuffer allocate(long bytes, String what) {
        log.add("allocate " + what);
        return new Buf(bytes, what);
    }

    @Override
    public MemorySegment hostMemory(long bytes) {
        return arena.allocate(Math.max(1, bytes));
    }

    @Override
    public void copyIn(DeviceBuffer dst, MemorySegment src, long bytes, Stream s) {
        log.add("in " + ((Buf) dst).what() + " " + bytes + " " + s);
    }

    @Override
    public void copyOut(DeviceBuffer src, MemorySegment dst, long bytes, Stream s) {
        log.add("out " + ((Buf) src).what() + " " + bytes + " " + s);
    }

    @Override
    public Marker mark(Stream s) {
        log.add("mark " + s);
        return new Marker() {
            @Override
            public void await() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void waitFor(Stream s, Marker m) {
        log.add("wait " + s);
    }

    @Override
    public void sync(Stream s) {
    }

    @Override
    public Launcher launcher() {
        return new Launcher() {
            @Override
            public void run(List<Call> calls) {
                launches.add(calls);
                log.add("launch " + calls.size());
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public double[] time(List<Call> calls) {
        return new double[calls.size()];
    }

    @Override
    public boolean isOutOfMemory(RuntimeException e) {
        return false;
    }

    @Override
    public NeuroscanException error(RuntimeException e) {
        return new NeuroscanException(e.getMessage(), e);
    }

    @Override
    public void close() {
        arena.close();
    }
}
