package neuroscan.engine.gpu.graph;

import neuroscan.engine.TopKScan;
import neuroscan.engine.gpu.GpuEngine;
import neuroscan.engine.gpu.GpuEngineContract;
import neuroscan.engine.gpu.RandomModel;
import neuroscan.store.TopK;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the GPU engine asks of a device, on a device that runs nothing and logs every request: in a scan
 * nothing comes back per batch (the store stays on the device and is read once, when asked), each batch
 * is one launch sequence of eight kernels ending in topk_merge, and its upload runs on the transfer stream.
 */
class GpuEngineTransfersTest {
    @Test
    void aScanBringsNothingBackPerBatchAndTheStoreOnlyWhenAsked() {
        var cfg = GpuEngineContract.CFG;
        FakeDevice dev = new FakeDevice(1024, Integer.MAX_VALUE, 65535, 65535);
        List<int[]> docs = RandomModel.docs(new Random(5), 30, cfg.nCtx(), cfg.dVocab());
        int[] ids = new int[docs.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = 1000 + i;
        try (GpuEngine e = GpuEngine.open(RandomModel.create(cfg, 3), dev, 2 * cfg.nCtx())) {
            int before = dev.log.size(), launchesBefore = dev.launches.size();
            try (TopKScan scan = e.topKScan(new TopK(5, cfg.dMlp()))) {
                int opened = dev.log.size();
                scan.add(docs, ids);
                List<String> perBatch = dev.log.subList(opened, dev.log.size());
                assertTrue(perBatch.stream().noneMatch(l -> l.startsWith("out ")), "nothing comes back per batch: " + perBatch);
                assertTrue(perBatch.stream().filter(l -> l.startsWith("in ")).allMatch(l -> l.endsWith(" TRANSFER")),
                        "uploads on the transfer stream: " + perBatch);
                List<List<neuroscan.engine.gpu.Call>> batches = dev.launches.subList(launchesBefore, dev.launches.size());
                assertTrue(batches.size() >= 5, "several batches: " + batches.size());
                for (var b : batches) {
                    assertEquals(List.of("embed", "layer_norm", "gemm_bias", "causal_attention", "gemm_bias", "layer_norm",
                            "mlp_in_gelu_max", "topk_merge"), b.stream().map(neuroscan.engine.gpu.Call::kernel).toList());
                }
                int read = dev.log.size();
                scan.store();
                List<String> store = dev.log.subList(read, dev.log.size());
                assertEquals(List.of("out top-k max", "out top-k doc", "out top-k pos", "out NaN count"),
                        store.stream().filter(l -> l.startsWith("out ")).map(l -> l.substring(0, l.lastIndexOf(' ', l.lastIndexOf(' ') - 1))).toList());
            }
            assertTrue(dev.log.size() > before);
        }
    }

    @Test
    void withStatisticsABatchEndsInStatsMergeAndTheyComeBackWithTheStore() {
        var cfg = GpuEngineContract.CFG;
        FakeDevice dev = new FakeDevice(1024, Integer.MAX_VALUE, 65535, 65535);
        List<int[]> docs = RandomModel.docs(new Random(6), 20, cfg.nCtx(), cfg.dVocab());
        int[] ids = new int[docs.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = 500 + i;
        try (GpuEngine e = GpuEngine.open(RandomModel.create(cfg, 3), dev, 2 * cfg.nCtx());
             TopKScan scan = e.topKScan(new TopK(5, cfg.dMlp()), new neuroscan.store.NeuronStats(cfg.dMlp()))) {
            int opened = dev.log.size(), launchesBefore = dev.launches.size();
            scan.add(docs, ids);
            List<String> perBatch = dev.log.subList(opened, dev.log.size());
            assertTrue(perBatch.stream().noneMatch(l -> l.startsWith("out ")), "nothing comes back per batch: " + perBatch);
            List<List<neuroscan.engine.gpu.Call>> batches = dev.launches.subList(launchesBefore, dev.launches.size());
            assertTrue(batches.size() >= 3, "several batches: " + batches.size());
            for (var b : batches) {
                assertEquals(List.of("embed", "layer_norm", "gemm_bias", "causal_attention", "gemm_bias", "layer_norm",
                        "mlp_in_gelu_max", "topk_merge", "stats_merge"), b.stream().map(neuroscan.engine.gpu.Call::kernel).toList());
            }
            int read = dev.log.size();
            var stats = scan.stats();
            List<String> back = dev.log.subList(read, dev.log.size()).stream().filter(l -> l.startsWith("out ")).toList();
            assertTrue(back.stream().anyMatch(l -> l.startsWith("out stats histogram")) && back.stream().anyMatch(l -> l.startsWith("out top-k max")),
                    "the statistics come back with the store: " + back);
            long tokens = docs.stream().mapToLong(t -> t.length).sum();
            assertEquals(tokens, stats.tokens(), "tokens counted on the host as batches go to the device");
        }
    }

}
