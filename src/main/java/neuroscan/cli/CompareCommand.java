package neuroscan.cli;

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

    @Option(names = "--neuron", required = true, paramLabel = "N", description = "Neuron index.")
    int neuron;

    @Option(names = "--neuroscope", paramLabel = "URL|FILE",
            description = "neuroscope page to compare with (default: https://neuroscope.io/gelu-1l/0/N.html).")
    String neuroscope;

    @Option(names = "--html", paramLabel = "FILE", description = "Where to write the HTML report (default: RUN/pages/compare-N.html).")
    String html;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Path runDir = runOptions.dir();
        String where = neuroscope != null ? neuroscope : NeuroscopePage.url("gelu-1l", 0, neuron);
        try (RunReports reports = runOptions.open()) {
            reports.checkNeuron(neuron);
            NeuroscopePage theirs = NeuroscopePage.load(where, Duration.ofSeconds(20));
            NeuronReport ours = reports.report(neuron);
            CompareReport c = CompareReport.of(ours, runDir.toString(), theirs);
            Path file = html != null ? ModelOptions.path(html) : runDir.resolve("pages").resolve("compare-" + neuron + ".html");
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
