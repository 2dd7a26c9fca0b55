package neuroscan.cli;

import neuroscan.report.RunReports;
import neuroscan.store.Manifest;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --run} plus the model and engine options of the commands that read a finished run. */
final class RunOptions {
    @Option(names = "--run", required = true, paramLabel = "RUN", description = "Run directory written by `neuroscan scan`.")
    String run;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    EngineOptions engineOptions;

    Path dir() {
        return ModelOptions.path(run);
    }

    /**
     * Opens the run and the model it scanned (the manifest's, unless {@code --model} / {@code --tokenizer}
     * say otherwise; a different checkpoint than the scanned one is refused).
     */
    RunReports open() {
        Path run = dir();
        Manifest m = RunReports.finished(run);
        if (modelOptions.model == null || modelOptions.model.equals(ModelOptions.DEFAULT_MODEL)) modelOptions.model = m.model().id();
        if (modelOptions.tokenizer == null) modelOptions.tokenizer = m.tokenizer().id();
        return open(run, m, modelOptions.resolve(ModelOptions.known()), engineOptions);
    }

    /** Opens a run with the model and tokenizer already resolved, on the engines {@code --backend} chose. */
    static RunReports open(Path run, Manifest m, ModelOptions.Resolved inputs, EngineOptions engineOptions) {
        return RunReports.open(run, m, inputs.model(), inputs.modelSource().spec(), inputs.tokenizer(),
                () -> engineOptions.forReports(inputs.model().weights()));
    }
}
