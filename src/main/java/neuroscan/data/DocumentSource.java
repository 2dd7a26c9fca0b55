package neuroscan.data;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The documents of a dataset, streamed once in row order (files in the order given, rows in file
 * order); memory does not grow with the dataset. Open one with {@link DocumentSources}. Problems in
 * the data (malformed line, invalid UTF-8) surface from {@link #hasNext()} / {@link #next()} as a
 * {@link neuroscan.NeuroscanException} naming the file and place. Not thread-safe: read it from one
 * thread and hand documents on.
 */
public interface DocumentSource extends Iterator<Document>, AutoCloseable {

    /** "parquet", "jsonl" or "txt". */
    String format();

    /** The files read, in reading order. */
    List<Path> files();

    /** The column (parquet) or key (jsonl) holding the text; txt files have none and say "text". */
    String column();

    /** The number of documents where the files say so without reading them (parquet footers, txt). */
    OptionalLong count();

    /**
     * A sha256 (hex) that changes whenever a byte of the data changes, for the run manifest: for one
     * file its sha256 (what {@code sha256sum} prints and the Hugging Face hub shows as the LFS oid);
     * for several, the sha256 of the {@code sha256sum}-style listing "{hex}  {file name}\n" of each
     * file in reading order. Reads every file the first time it is called.
     */
    String contentId();

    /** Reading what is left as a stream (sequential), e.g. {@code source.stream().limit(100)}. */
    default Stream<Document> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    void close();
}
