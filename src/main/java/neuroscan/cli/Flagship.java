package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;
import neuroscan.format.Sha256;
import neuroscan.hub.Known;
import neuroscan.report.RunReports;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.view.Colors;
import neuroscan.view.CompareReport;
import neuroscan.view.HtmlPage;
import neuroscan.view.NeuroscopePage;
import neuroscan.view.NeuronReport;
import neuroscan.view.TextView;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code neuroscan --neuron N}: fetch the model and dataset (cached), scan every neuron once (the run is
 * cached and reused when model, tokenizer, dataset and k match), then show neuron N in the terminal,
 * write its page, and compare with neuroscope.io when it can be reached.
 */
final class Flagship {
    private Flagship() {
    }

    static int run(int layer, int neuron, int topK, String cache, ModelOptions modelOptions, DatasetOptions data,
                   EngineOptions engineOptions, PrintWriter out) {
        Known known = ModelOptions.known();
        ScanJob.Inputs inputs = ScanJob.resolve(known, modelOptions, data.dataset);
        var hook = neuroscan.store.Hook.of(inputs.model().model().cfg());
        int g = RunReports.flat(hook, layer, neuron);   // before the scan: a bad --layer/--neuron costs nothing
        Path dir = runDir(cacheRoot(cache), inputs, topK);
        var req = new ScanJob.Request(data.dataset, data.column, topK, DocRange.ALL, false, true, false, 2048, null, true);
        ScanJob.run(inputs, dir, req, engineOptions);

        try (RunReports reports = RunOptions.open(dir, Manifest.read(dir), inputs.model(), engineOptions)) {
            NeuronReport r = reports.report(g);
            out.print(TextView.render(r, Colors.mode(Colors.stdoutIsTerminal(), System.getenv())));
            Path page = ShowCommand.pagePath(dir, hook, layer, neuron, "");
            HtmlPage.write(r, page);
            out.println();
            out.println("page: " + page.toAbsolutePath());
            String url = reports.neuroscopeUrl(g);
            if (url != null) compare(r, dir, url, ShowCommand.pagePath(dir, hook, layer, neuron, "compare-"), out);
        }
        out.flush();
        return 0;
    }

    /** Side by side with neuroscope.io's page when it answers; otherwise say how to compare later. */
    private static void compare(NeuronReport ours, Path dir, String url, Path file, PrintWriter out) {
        int neuron = ours.neuron();
        String layer = ours.nLayers() == null ? "" : " --layer " + ours.layer();
        try {
            NeuroscopePage theirs = NeuroscopePage.load(url, Duration.ofSeconds(15));
            CompareReport c = CompareReport.of(ours, dir.toString(), theirs);
            AtomicFiles.writeString(file, c.toHtml());
            out.println("compared with " + url + ": " + file.toAbsolutePath());
        } catch (NeuroscanException e) {
            out.println("neuroscope: " + url + " (not compared: " + e.getMessage() + ")");
            out.println("  with a saved copy: neuroscan compare --run " + dir + layer + " --neuron " + neuron + " --neuroscope SAVED_PAGE.html");
        }
    }

    /** ROOT/runs/<name>-k<k>-<hash of what was scanned>. */
    static Path cacheRoot(String option) {
        if (option != null) return ModelOptions.path(option);
        String env = System.getenv("NEUROSCAN_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("neuroscan");
    }

    static Path runDir(Path root, ScanJob.Inputs in, int topK) {
        var s = in.sources();
        String identity = s.model().sha256() + "|" + s.tokenizer().sha256() + "|" + s.dataset().id() + "|"
                + s.dataset().revision() + "|" + String.join(",", in.dataset().files().stream().map(Path::toString).toList())
                + "|k" + topK;
        String hash = Sha256.of(identity.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
        String name = (Known.model(s.model().id()).isPresent() ? s.model().id() : "model") + "-"
                + (Known.dataset(s.dataset().id()).isPresent() ? s.dataset().id() : "data");
        return root.resolve("runs").resolve(name + "-k" + topK + "-" + hash);
    }
}
