package neuroscan.data;

/**
 * One row of a dataset. {@code index} counts documents in row order from 0 across all files of the
 * dataset; it is the "data index" of the store and the pages. {@code text} is exactly the dataset's
 * value: it may be empty, and it is null where the dataset holds a NULL (still a document, which
 * tokenizes to just the BOS token).
 */
public record Document(int index, String text) {
}
