package neuroscan.cli;

import neuroscan.report.RunReports;
import neuroscan.view.NeuronReport;
import neuroscan.view.Site;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code neuroscan site}: an index and one page per neuron, like neuroscope.io. */
@Command(name = "site", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a static site for a run: index.html (with a search box) and one page per neuron, "
                + "each self-contained and working offline.")
final class SiteCommand implements Callable<Integer> {
    @Mixin
    RunOptions runOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the pages.")
    String out;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try (RunReports reports = runOptions.open()) {
            long t0 = System.nanoTime();
            var err = spec.commandLine().getErr();
            err.println("neuroscan: recomputing activations of every top document (engine " + reports.engines() + ")...");
            err.flush();
            List<NeuronReport> all = reports.all();
            long t1 = System.nanoTime();
            Path dir = ModelOptions.path(out);
            Site.Result r = Site.writeLayers(dir, reports.hook().nLayers(), reports.dMlp(), all::get, reports.siteMeta());
            spec.commandLine().getOut().printf("wrote %d pages (%.1f MB) to %s in %.1f s (forward passes %.1f s, pages %.1f s)%n",
                    r.pages(), r.bytes() / 1e6, dir.resolve("index.html").toAbsolutePath(),
                    (System.nanoTime() - t0) / 1e9, (t1 - t0) / 1e9, r.wallNanos() / 1e9);
        }
        return 0;
    }
}
