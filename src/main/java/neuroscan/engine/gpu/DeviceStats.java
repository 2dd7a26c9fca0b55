package neuroscan.engine.gpu;

import neuroscan.engine.gpu.graph.DeviceMemory;
import neuroscan.engine.gpu.graph.GpuArray;
import neuroscan.engine.gpu.graph.IntParam;
import neuroscan.engine.gpu.graph.TaskGraph;
import neuroscan.kernels.StatsMerge;
import neuroscan.store.NeuronStats;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A scan's {@link NeuronStats} in device memory, one block of arrays per layer (as the device store), which
 * {@code stats_merge} adds every batch to; they go up once with the store and come back with it
 * (checkpoints, the end) as one flat NeuronStats (neuron g = layer * d_mlp + n). Positive counts start from
 * zero on the device (two ints per neuron, {@link StatsMerge#STATS_LO_LIMIT}) and are added to the starting
 * stats' longs on the way back; the token count is the host's, as it is known there per batch.
 */
final class DeviceStats {
    private final DeviceMemory memory;
    private final NeuronStats start;
    private final int layers, n, width, m;
    private final GpuArray edges;
    private final GpuArray[] salt, posLo, posHi, hist, sKey, sDoc, sMax, sPos;
    private long tokens;

    /** @param n neurons per layer (d_mlp) */
    DeviceStats(DeviceMemory memory, NeuronStats start, int layers, int n) {
        if (start.neurons() != layers * n) throw new IllegalArgumentException("stats of " + start.neurons() + " neurons for " + layers + " x " + n);
        this.memory = memory;
        this.start = start.copy();
        this.layers = layers;
        this.n = n;
        this.width = layers * n;
        this.m = start.samples();
        long samples = (long) NeuronStats.BINS * m * n;
        edges = GpuArray.floats("stats edges", NeuronStats.EDGES.length);
        salt = new GpuArray[layers];
        posLo = new GpuArray[layers];
        posHi = new GpuArray[layers];
        hist = new GpuArray[layers];
        sKey = new GpuArray[layers];
        sDoc = new GpuArray[layers];
        sMax = new GpuArray[layers];
        sPos = new GpuArray[layers];
        for (int l = 0; l < layers; l++) {
            String sfx = layers == 1 ? "" : " " + l;
            salt[l] = GpuArray.ints("stats salt" + sfx, n);
            posLo[l] = GpuArray.ints("stats positive lo" + sfx, n);
            posHi[l] = GpuArray.ints("stats positive hi" + sfx, n);
            hist[l] = GpuArray.ints("stats histogram" + sfx, (long) NeuronStats.BINS * n);
            sKey[l] = GpuArray.ints("stats sample key" + sfx, samples);
            sDoc[l] = GpuArray.ints("stats sample doc" + sfx, samples);
            sMax[l] = GpuArray.floats("stats sample max" + sfx, samples);
            sPos[l] = GpuArray.ints("stats sample pos" + sfx, samples);
        }
    }

    /** Every array, for the upload and the download graphs. */
    GpuArray[] arrays() {
        List<GpuArray> a = new ArrayList<>(List.of(edges));
        for (int l = 0; l < layers; l++) a.addAll(List.of(salt[l], posLo[l], posHi[l], hist[l], sKey[l], sDoc[l], sMax[l], sPos[l]));
        return a.toArray(GpuArray[]::new);
    }

    /** Fills the staging memory with the starting stats (positive counts: zero), each layer its columns, before the upload. */
    void stage() {
        MemorySegment.copy(NeuronStats.EDGES, 0, memory.host(edges), JAVA_FLOAT, 0, NeuronStats.EDGES.length);
        int[] h = start.copyOfHist(), k = start.copyOfSampleKey(), d = start.copyOfSampleDoc(), p = start.copyOfSamplePos();
        float[] x = start.copyOfSampleMax();
        for (int l = 0; l < layers; l++) {
            MemorySegment s = memory.host(salt[l]);
            for (int c = 0; c < n; c++) s.setAtIndex(JAVA_INT, c, NeuronStats.salt(l * n + c));   // the flat neuron's salt
            memory.host(posLo[l]).fill((byte) 0);
            memory.host(posHi[l]).fill((byte) 0);
            for (int r = 0; r < NeuronStats.BINS; r++) MemorySegment.copy(h, r * width + l * n, memory.host(hist[l]), JAVA_INT, 4L * r * n, n);
            for (int r = 0; r < NeuronStats.BINS * m; r++) {
                int at = r * width + l * n;
                MemorySegment.copy(k, at, memory.host(sKey[l]), JAVA_INT, 4L * r * n, n);
                MemorySegment.copy(d, at, memory.host(sDoc[l]), JAVA_INT, 4L * r * n, n);
                MemorySegment.copy(x, at, memory.host(sMax[l]), JAVA_FLOAT, 4L * r * n, n);
                MemorySegment.copy(p, at, memory.host(sPos[l]), JAVA_INT, 4L * r * n, n);
            }
        }
    }

    /** Appends layer l's {@code stats_merge} of the batch in docMax/docArg/docPos (rows: docIds, docKeys) to a graph. */
    TaskGraph task(TaskGraph g, String name, int l, GpuArray docMax, GpuArray docArg, GpuArray docPos, GpuArray docIds,
                   GpuArray docKeys, IntParam nDocs) {
        return g.task(name, StatsMerge::statsMerge, docMax, docArg, docPos, docIds, docKeys, salt[l], nDocs, n, edges,
                NeuronStats.EDGES.length, m, posLo[l], posHi[l], hist[l], sKey[l], sDoc[l], sMax[l], sPos[l]);
    }

    /** Counts the positions of a batch handed to the device (the density's denominator). */
    void counted(long batchTokens) {
        tokens += batchTokens;
    }

    /** The flat stats from the staging memory, after a download of {@link #arrays()}. */
    NeuronStats read() {
        int samples = NeuronStats.BINS * m * width;
        long[] positive = start.copyOfPositive();
        int[] lo = new int[n], hi = new int[n], h = new int[NeuronStats.BINS * width], d = new int[samples], p = new int[samples];
        float[] x = new float[samples];
        for (int l = 0; l < layers; l++) {
            MemorySegment.copy(memory.host(posLo[l]), JAVA_INT, 0, lo, 0, n);
            MemorySegment.copy(memory.host(posHi[l]), JAVA_INT, 0, hi, 0, n);
            for (int c = 0; c < n; c++) positive[l * n + c] += lo[c] + (long) hi[c] * StatsMerge.STATS_LO_LIMIT;
            for (int r = 0; r < NeuronStats.BINS; r++) MemorySegment.copy(memory.host(hist[l]), JAVA_INT, 4L * r * n, h, r * width + l * n, n);
            for (int r = 0; r < NeuronStats.BINS * m; r++) {
                int at = r * width + l * n;
                MemorySegment.copy(memory.host(sDoc[l]), JAVA_INT, 4L * r * n, d, at, n);
                MemorySegment.copy(memory.host(sMax[l]), JAVA_FLOAT, 4L * r * n, x, at, n);
                MemorySegment.copy(memory.host(sPos[l]), JAVA_INT, 4L * r * n, p, at, n);
            }
        }
        return NeuronStats.of(width, m, start.tokens() + tokens, positive, h, d, x, p);
    }

    void release() {
        for (GpuArray a : arrays()) memory.release(a);
    }
}
