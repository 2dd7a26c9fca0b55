/**
 * Datasets and tokenization: the first step of the data flow (artifacts -> token batches -> engine
 * -> store -> views).
 *
 * <ul>
 *   <li>{@link neuroscan.data.DocumentSources#open(java.nio.file.Path, String)} streams a dataset's
 *   documents ({@link neuroscan.data.Document}: row index from 0, text) from parquet (Hardwood),
 *   JSON Lines or a folder of .txt files.</li>
 *   <li>{@link neuroscan.data.Tokenizer} turns a text into TransformerLens {@code to_tokens} ids
 *   ({@code [BOS] + tokens}, truncated to n_ctx) and ids back into display strings, with the
 *   Hugging Face tokenizers library (through DJL), offline and silent.</li>
 * </ul>
 *
 * Every problem with a user's files is a one-line {@link neuroscan.NeuroscanException} naming the
 * file and, where it applies, the line and byte.
 */
package neuroscan.data;
