package neuroscan.cli;

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

    RunReports open() {
        return RunReports.open(dir(), modelOptions, engineOptions);
    }
}
