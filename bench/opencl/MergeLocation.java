import neuroscan.NeuroscanException;
import neuroscan.engine.HostTopKScan;
import neuroscan.engine.TopKScan;
import neuroscan.model.RandomWeights;
import neuroscan.engine.gpu.Call;
import neuroscan.engine.gpu.DeviceBuffer;
import neuroscan.engine.gpu.GpuDevice;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.opencl.OpenClDevice;
import neuroscan.model.ModelConfig;
import neuroscan.store.TopK;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Per batch, the top-k merge on the host (the GPU scan before task graphs: results back after every
 * batch, TopK.merge in Java) against the merge on the device (topk_merge in the batch's graph, the store
 * read back once at the end), in one run on one device: kernel launches, bytes each way and time per
 * batch, and whether the two stores are equal. gelu-1l shapes, random weights, k = 20.
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/neuroscan.jar:target/test-classes bench/opencl/MergeLocation.java [device] [batches]
 * </pre>
 */
public final class MergeLocation {
    public static void main(String[] args) {
        int device = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ModelConfig cfg = new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
        SplittableRandom r = new SplittableRandom(1);
        List<int[]> docs = new ArrayList<>();
        int[] lengths = {1024, 1024, 812, 610, 400, 226};   // 4096 tokens: one batch
        for (int b = 0; b < batches; b++) for (int len : lengths) docs.add(r.ints(len, 0, cfg.dVocab()).toArray());
        int[] ids = new int[docs.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        Counting dev = new Counting(OpenClDevice.open(device, cfg.dHead()));
        try (GpuEngine e = GpuEngine.open(RandomWeights.create(cfg, 1), dev, 4096)) {
            System.out.println(e.describe() + "; " + batches + " batches of " + lengths.length + " documents (4096 tokens)");
            try (TopKScan warm = e.topKScan(new TopK(20, cfg.dMlp()))) {
                warm.add(docs.subList(0, lengths.length), ids);      // warm-up: kernel compilation, first touch
            }
            TopK host = run("host merge (before)", dev, batches, new HostTopKScan(e, new TopK(20, cfg.dMlp())), docs, ids);
            TopK onDevice = run("device merge (after)", dev, batches, e.topKScan(new TopK(20, cfg.dMlp())), docs, ids);
            System.out.println("stores equal: " + host.equals(onDevice));
        }
    }

    private static TopK run(String what, Counting dev, int batches, TopKScan scan, List<int[]> docs, int[] ids) {
        try (scan) {
            dev.reset();
            long t0 = System.nanoTime();
            scan.add(docs, ids);
            long perBatchIn = dev.in / batches, perBatchOut = dev.out / batches, perBatchLaunches = dev.launches / batches;
            TopK t = scan.store();
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("| %s | %d | %,d | %,d | %.2f | %,d |%n", what, perBatchLaunches, perBatchIn, perBatchOut, s / batches,
                    dev.out - perBatchOut * batches);
            return t;
        }
    }

    /** The device, counting launches and bytes copied each way. */
    static final class Counting implements GpuDevice {
        final GpuDevice d;
        long launches, in, out;

        Counting(GpuDevice d) {
            this.d = d;
        }

        void reset() {
            launches = in = out = 0;
        }

        public String name() { return d.name(); }
        public String describe() { return d.describe(); }
        public long memoryAvailable() { return d.memoryAvailable(); }
        public long maxAllocation() { return d.maxAllocation(); }
        public int maxWorkGroupSize() { return d.maxWorkGroupSize(); }
        public int[] maxGroups() { return d.maxGroups(); }
        public DeviceBuffer allocate(long bytes, String what) { return d.allocate(bytes, what); }
        public MemorySegment hostMemory(long bytes) { return d.hostMemory(bytes); }
        public void copyIn(DeviceBuffer dst, MemorySegment src, long bytes, Stream s) { in += bytes; d.copyIn(dst, src, bytes, s); }
        public void copyOut(DeviceBuffer src, MemorySegment dst, long bytes, Stream s) { out += bytes; d.copyOut(src, dst, bytes, s); }
        public Marker mark(Stream s) { return d.mark(s); }
        public void waitFor(Stream s, Marker m) { d.waitFor(s, m); }
        public void sync(Stream s) { d.sync(s); }
        public double[] time(List<Call> calls) { return d.time(calls); }
        public boolean isOutOfMemory(RuntimeException e) { return d.isOutOfMemory(e); }
        public NeuroscanException error(RuntimeException e) { return d.error(e); }
        public void close() { d.close(); }

        public Launcher launcher() {
            Launcher l = d.launcher();
            return new Launcher() {
                public void run(List<Call> calls) {
                    launches += calls.size();
                    l.run(calls);
                }

                public void close() {
                    l.close();
                }
            };
        }
    }
}
