package neuroscan.cli;

import neuroscan.NeuroscanException;

import neuroscan.store.DocRange;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import neuroscan.engine.gpu.Screening;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code neuroscan scan}: the top-k documents of every neuron, into a run directory. */
@Command(name = "scan", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scan a dataset: for every neuron of every layer, the k documents with the highest activation "
                + "(max over positions of blocks.{l}.mlp.hook_post; hook_mid for SoLU models) and where it peaks, "
                + "plus each neuron's density, histogram of document maxima and quantile examples.",
                "Writes RUN/manifest.json, RUN/store.safetensors and RUN/tokens.safetensors atomically, "
                        + "checkpointing as it goes; --resume continues after a crash or kill."})
final class ScanCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    DatasetOptions datasetOptions;

    @Option(names = "--top-k", defaultValue = "20", paramLabel = "K", description = "Documents kept per neuron (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run directory to write.")
    String out;

    @Option(names = "--max-docs", paramLabel = "N", description = "Scan at most N documents (from the start of --doc-range; default: all).")
    Integer maxDocs;

    @Option(names = "--doc-range", paramLabel = "A:B", description = "Scan documents A (inclusive) to B (exclusive), numbered by row from 0; shards of one dataset merge with `neuroscan merge`.")
    String docRange;

    @Option(names = "--include-padding", description = "Pad every document with PAD to n_ctx and take the max over pad positions too, as the seed notebook did.")
    boolean includePadding;

    @Mixin
    EngineOptions engineOptions;

    @Option(names = "--resume", description = "Continue an interrupted scan in RUN (or return it if finished).")
    boolean resume;

    @Option(names = "--checkpoint-every", defaultValue = "2048", paramLabel = "DOCS", description = "Documents between checkpoints (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--tokens-from", paramLabel = "RUN",
            description = "Reuse the token cache of a finished run of the same tokenizer and dataset instead of tokenizing (e.g. to re-scan with another --top-k).")
    String tokensFrom;

    @Option(names = "--quiet", description = "No progress bar or status lines.")
    boolean quiet;

    @Option(names = "--no-stats", description = "Keep only the top k: no density, histogram or quantile samples (they need every pair's exact value, so a GPU with TF32 tensor cores then screens the MLP; a resumed scan continues as it began).")
    boolean noStats;

    @picocli.CommandLine.ArgGroup(exclusive = true)
    Screen screen = new Screen();

    /** The tensor-core screen of the MLP input GEMM (engine.gpu.Screening): the store is the same either way. */
    static final class Screen {
        @Option(names = "--exact-fp32", description = "No tensor-core screening: the MLP input GEMM in FP32 for every pair (screening is the default on CUDA GPUs with TF32 tensor cores; the store is the same).")
        boolean exactFp32;

        @Option(names = "--screen", description = "Screen the MLP input GEMM with TF32 matrix-multiply instructions where they are only emulated (OpenCL, pre-sm_80 GPUs) too, recomputing only the candidates in FP32; the store is the same.")
        boolean screen;
    }

    @Override
    public Integer call() {
        if (maxDocs != null && maxDocs < 0) {
            throw new NeuroscanException("--max-docs must be 0 or more, got " + maxDocs + " (leave it out to scan every document)");
        }
        DocRange range = (docRange == null ? DocRange.ALL : DocRange.parse(docRange)).limit(maxDocs == null ? -1 : maxDocs);
        var inputs = ScanJob.resolve(ModelOptions.known(), modelOptions, datasetOptions.dataset);
        var req = new ScanJob.Request(datasetOptions.dataset, datasetOptions.column, topK, range, includePadding,
                resume, quiet, checkpointEvery, tokensFrom == null ? null : ModelOptions.path(tokensFrom), !noStats);
        engineOptions.screening = screen.exactFp32 ? Screening.Mode.OFF : screen.screen ? Screening.Mode.ON : Screening.Mode.AUTO;
        ScanJob.run(inputs, ModelOptions.path(out), req, engineOptions);
        return 0;
    }

}
