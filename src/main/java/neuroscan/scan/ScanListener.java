package neuroscan.scan;

/**
 * Progress of a scan, for a progress bar or log. Called from the scanning thread; keep it cheap.
 * Counts are cumulative over a resumed run; tokens are document tokens (BOS included, padding not).
 */
public interface ScanListener {
    ScanListener NONE = new ScanListener() {
    };

    /** Once, before the first batch: work already done by earlier sessions, and the total if known (-1). */
    default void started(long docsDone, long tokensDone, long docsTotal) {
    }

    /** After every batch. */
    default void progress(long docsDone, long tokensDone) {
    }

    /** After a checkpoint is on disk: documents before {@code nextDoc} survive a kill. */
    default void checkpointed(long docsDone, int nextDoc) {
    }

    /** A status line for people ("resuming at document 4096"); not called when the scan is quiet. */
    default void note(String message) {
    }
}
