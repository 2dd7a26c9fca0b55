package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.report.RunReports;
import neuroscan.serve.Limits;
import neuroscan.serve.Server;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code neuroscan serve}: the site's pages on demand, an interactive page and a JSON API, on a local web server. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a run on a local web server: the site's index and neuron pages, rendered on demand "
                + "(the same HTML as `neuroscan site`), an interactive page (/trace: type a text, see a neuron's activation "
                + "on every token and the neurons that fire most), and JSON: GET /api/trace?layer=L&neuron=N&text=T (exactly "
                + "`trace --layer L --format json`) and GET /api/neurons?text=T&top=K (every layer's neurons). A model of "
                + "several layers is served as site lays it out: /L/index.html and /L/N.html.",
                "Limits: text at most " + Limits.MAX_TEXT_BYTES + " bytes (UTF-8; 413 beyond), request URI at most "
                        + Limits.MAX_URI_CHARS + " characters (414), top at most " + Limits.MAX_TOP + "; forward passes run "
                        + "one per engine worker (--threads) with at most " + Limits.MAX_WAITING + " waiting, and at most "
                        + Limits.MAX_IN_FLIGHT + " requests at once (503 beyond). GET and HEAD only; nothing but the run is "
                        + "served. Ctrl-C stops it."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    RunOptions runOptions;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; another address shows the run to the network).")
    String host;

    @Option(names = "--port", defaultValue = "8424", paramLabel = "PORT", description = "Port (default: ${DEFAULT-VALUE}; 0: any free port).")
    int port;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new NeuroscanException("--port " + port + " is outside 0..65535");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        RunReports reports = runOptions.open();
        Server server;
        try {
            server = Server.start(reports, host, port, Limits.defaults(reports.workers()), err);
        } catch (RuntimeException e) {
            reports.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {   // Ctrl-C, kill: stop serving, free the engines, say so
            server.close();
            reports.close();
            long n = server.served();
            out.println("neuroscan: stopped after " + n + (n == 1 ? " request" : " requests"));
            out.flush();
            stopped.countDown();
        }, "neuroscan-serve-stop"));
        if (!java.net.InetAddress.getByName(host).isLoopbackAddress()) {
            err.println("neuroscan: warning: listening on " + host + ", not loopback: anyone who can reach it can read the run");
        }
        err.println("neuroscan: engine " + reports.engines());
        out.println("neuroscan: serving " + Printable.line(runOptions.dir().toString()) + " at " + server.url()
                + " (try a text: " + server.url() + "trace); Ctrl-C stops");
        out.flush();
        err.flush();
        stopped.await();
        return 0;
    }
}
