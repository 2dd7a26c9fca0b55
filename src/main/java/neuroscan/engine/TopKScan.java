package neuroscan.engine;

import neuroscan.store.TopK;

import java.util.List;

/**
 * A scan's running top-k store, kept where the engine computes and fed batch by batch: a GPU engine keeps
 * it in device memory and merges each batch there ({@code topk_merge}), so nothing comes back per batch;
 * other engines merge on the host ({@link HostTopKScan}). The store comes back with {@link #store()},
 * at checkpoints and at the end, with the statistics ({@link #stats()}) kept the same way. Either way the
 * result is {@link TopK#merge}'s (and {@link neuroscan.store.NeuronStats#add}'s), bit for bit.
 */
public interface TopKScan extends AutoCloseable {
    /** Runs {@code docs} through the model and merges their maxima; {@code docIds[i]} is docs.get(i)'s global index. */
    void add(List<int[]> docs, int[] docIds);

    /** The store after every document added so far (a copy; on a GPU, read back from the device). */
    TopK store();

    /** The statistics after every document added so far (a copy), or null for a scan without them. */
    default neuroscan.store.NeuronStats stats() {
        return null;
    }

    /** Where the merge runs, for the manifest: {@code "device"} or {@code "host"}. */
    String mergeLocation();

    /** Nanoseconds spent merging on the host (0 when the device merges inside its own work). */
    long hostMergeNanos();

    /** The tensor-core screen's counters so far, or null when this scan does not screen (gpu.Screening). */
    default ScreenCounts screenCounts() {
        return null;
    }

    @Override
    void close();
}
