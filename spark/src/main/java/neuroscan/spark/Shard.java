package neuroscan.spark;

import java.io.Serializable;

/**
 * One task of a {@link SparkScan}: documents {@code range} of the scan, as a {@code --doc-range} ({@code A:B},
 * or {@code A:} for the last shard of an open range). {@code failFirstAttempt}: tests' injected failure.
 */
record Shard(int index, int count, String range, long docs, boolean failFirstAttempt) implements Serializable {
    String label() {
        return "shard " + (index + 1) + "/" + count + " (documents " + range + ")";
    }
}
