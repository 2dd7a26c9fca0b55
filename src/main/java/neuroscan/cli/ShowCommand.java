package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.report.RunReports;
import neuroscan.view.Colors;
import neuroscan.view.HtmlPage;
import neuroscan.view.NeuronReport;
import neuroscan.view.TextView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code neuroscan show}: one neuron's top examples as a page, in the terminal, or as JSON. */
@Command(name = "show", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show a neuron's top examples from a run: an HTML page like neuroscope.io, coloured text "
                + "in the terminal, or JSON for other tools. Activations per token are recomputed for the k documents only.")
final class ShowCommand implements Callable<Integer> {
    @Mixin
    RunOptions runOptions;

    @Option(names = "--neuron", required = true, paramLabel = "N", description = "Neuron index in its layer, 0..d_mlp-1.")
    int neuron;

    @Option(names = "--layer", defaultValue = "0", paramLabel = "L", description = "Layer of the neuron, 0..n_layers-1 (default: ${DEFAULT-VALUE}).")
    int layer;

    @Option(names = "--format", paramLabel = "FMT", description = "text, html or json (default: html when --html is given, else text).")
    String format;

    @Option(names = "--html", paramLabel = "FILE", description = "Write the page here (default with --format html: "
            + "RUN/pages/<N>.html; for a model of several layers RUN/pages/<L>/<N>.html).")
    String html;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String fmt = format != null ? format : html != null ? "html" : "text";
        if (!fmt.equals("text") && !fmt.equals("html") && !fmt.equals("json")) {
            throw new NeuroscanException("--format must be text, html or json, not " + fmt);
        }
        Path runDir = runOptions.dir();
        try (RunReports reports = runOptions.open()) {
            NeuronReport r = reports.report(reports.flat(layer, neuron));
            var out = spec.commandLine().getOut();
            switch (fmt) {
                case "json" -> out.println(r.toJson());
                case "text" -> out.print(TextView.render(r, Colors.mode(Colors.stdoutIsTerminal(), System.getenv())));
                default -> {
                    Path file = html != null ? ModelOptions.path(html) : pagePath(runDir, reports.hook(), layer, neuron, "");
                    HtmlPage.write(r, file);
                    out.println(file.toAbsolutePath());
                }
            }
            out.flush();
        }
        return 0;
    }

    /**
     * RUN/pages/[prefix]N.html, or RUN/pages/L/[prefix]N.html for a model of several layers: the site's layout, so
     * a page's links to its neighbours and other layers resolve beside it.
     */
    static Path pagePath(Path runDir, neuroscan.store.Hook hook, int layer, int neuron, String prefix) {
        Path pages = runDir.resolve("pages");
        if (hook.nLayers() > 1) pages = pages.resolve(Integer.toString(layer));
        return pages.resolve(prefix + neuron + ".html");
    }
}
