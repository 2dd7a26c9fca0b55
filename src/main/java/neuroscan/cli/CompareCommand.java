package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;
import neuroscan.report.RunReports;
import neuroscan.view.Colors;
import neuroscan.view.CompareReport;
import neuroscan.view.NeuroscopePage;
import neuroscan.view.NeuronReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code neuroscan compare}: our top examples of a neuron next to neuroscope's. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compare a neuron's top examples with its neuroscope.io page (a URL or a saved copy): both "
                + "top lists, shared max tokens and contexts, and simple pattern statistics. Writes an HTML report "
                + "and prints a text one.")
final class CompareCommand implements Callable<Integer> {
    @Mixin
    RunOptions runOptions;

    @Option(names = "--neuron", required = true, paramLabel = "N", description = "Neuron index in its layer.")
    int neuron;

    @Option(names = "--layer", defaultValue = "0", paramLabel = "L", description = "Layer of the neuron, 0..n_layers-1 (default: ${DEFAULT-VALUE}).")
    int layer;

    @Option(names = "--neuroscope", paramLabel = "URL|FILE",
            description = "neuroscope page to compare with (default: https://neuroscope.io/MODEL/L/N.html for the models "
                    + "neuroscope.io has, e.g. gelu-1l).")
    String neuroscope;

    @Option(names = "--html", paramLabel = "FILE", description = "Where to write the HTML report (default: "
            + "RUN/pages/compare-N.html; RUN/pages/L/compare-N.html for a model of several layers).")
    String html;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path runDir = runOptions.dir();
        try (RunReports reports = runOptions.open()) {
            int g = reports.flat(layer, neuron);
            String where = neuroscope != null ? neuroscope : reports.neuroscopeUrl(g);
            if (where == null) {
                throw new NeuroscanException("neuroscope.io has no page for model " + reports.manifest().model().id()
                        + "; pass --neuroscope URL|FILE");
            }
            NeuroscopePage theirs = NeuroscopePage.load(where, Duration.ofSeconds(20));
            NeuronReport ours = reports.report(g);
            CompareReport c = CompareReport.of(ours, runDir.toString(), theirs);
            Path file = html != null ? ModelOptions.path(html) : ShowCommand.pagePath(runDir, reports.hook(), layer, neuron, "compare-");
            AtomicFiles.writeString(file, c.toHtml());
            var out = spec.commandLine().getOut();
            out.print(c.toText(Colors.enabled(Colors.stdoutIsTerminal(), System.getenv())));
            out.println();
            out.println("report: " + file.toAbsolutePath());
            out.flush();
        }
        return 0;
    }
}
