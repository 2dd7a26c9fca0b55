package neuroscan.scan;

/**
 * One dataset row: its global index (row number from 0, kept in shards so they merge) and its text.
 * Text is untrusted; it only ever goes to the tokenizer.
 */
public record Document(int index, String text) {
}
