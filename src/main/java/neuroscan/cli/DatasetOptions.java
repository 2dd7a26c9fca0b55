package neuroscan.cli;

import picocli.CommandLine.Option;

/** {@code --dataset} and {@code --column}. */
final class DatasetOptions {
    @Option(names = "--dataset", defaultValue = "c4-10k", paramLabel = "DATASET",
            description = "Alias (c4-10k), Hugging Face dataset repo id, or a local .parquet / .jsonl(.gz) / folder of .txt (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--column", defaultValue = "text", paramLabel = "NAME", description = "Text column (default: ${DEFAULT-VALUE}).")
    String column;
}
