package neuroscan.scan;

import neuroscan.engine.Engine;
import neuroscan.engine.HostTopKScan;
import neuroscan.engine.TopKScan;
import neuroscan.store.TopK;

import java.util.ArrayList;
import java.util.List;

/**
 * A test double for a GPU engine that keeps the top-k store on the device: its {@link #topKScan} merges on
 * the host (a {@link HostTopKScan} over the wrapped engine) but reports {@code "device"} and no host merge
 * time, and counts every call. {@link #docMax} of this engine fails, so a scanner that bypassed
 * {@link TopKScan} (computing maxima and merging them itself) could not pass a test that uses it.
 */
public final class DeviceMergingEngine implements Engine {
    private final Engine inner;
    private final String location;
    private RuntimeException closeFailure;
    /** Every scan this engine handed out, in order. */
    public final List<Scan> scans = new ArrayList<>();

    public DeviceMergingEngine(Engine inner) {
        this(inner, "device");
    }

    public DeviceMergingEngine(Engine inner, String location) {
        this.inner = inner;
        this.location = location;
    }

    /** Makes close() of the scans handed out from now on throw {@code e} (after closing). */
    public DeviceMergingEngine failingClose(RuntimeException e) {
        this.closeFailure = e;
        return this;
    }

    /** The last scan handed out. */
    public Scan last() {
        return scans.getLast();
    }

    /** One scan: its start, and how often each method was called. */
    public final class Scan implements TopKScan {
        private final HostTopKScan host;
        private final RuntimeException failOnClose = closeFailure;
        /** A copy of the store the scan was started from. */
        public final TopK start;
        public int adds, stores, closes;
        public long docsAdded;

        Scan(TopK start, neuroscan.store.NeuronStats stats) {
            this.start = start.copy();
            this.host = new HostTopKScan(inner, start, stats);
        }

        @Override
        public void add(List<int[]> docs, int[] docIds) {
            if (closes > 0) throw new IllegalStateException("add after close");
            adds++;
            docsAdded += docs.size();
            host.add(docs, docIds);
        }

        @Override
        public TopK store() {
            if (closes > 0) throw new IllegalStateException("store after close");
            stores++;
            return host.store();
        }

        @Override
        public neuroscan.store.NeuronStats stats() {
            return host.stats();
        }

        @Override
        public String mergeLocation() {
            return location;
        }

        @Override
        public long hostMergeNanos() {
            return 0;   // a device merge is part of the engine's work
        }

        @Override
        public void close() {
            closes++;
            host.close();
            if (failOnClose != null) throw failOnClose;
        }
    }

    @Override
    public TopKScan topKScan(TopK start, neuroscan.store.NeuronStats stats) {
        Scan s = new Scan(start, stats);
        scans.add(s);
        return s;
    }

    @Override
    public int neurons() {
        return inner.neurons();
    }

    @Override
    public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
        throw new AssertionError("the scanner must go through topKScan, not docMax");
    }

    @Override
    public float[] hookPost(int[] tokens) {
        return inner.hookPost(tokens);
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() {
        inner.close();
    }
}
