package neuroscan.cli;

import neuroscan.NeuroscanException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * Entry point. Subcommands live in this package, one class each. Errors the user can fix are
 * {@link NeuroscanException}s: printed as one line on stderr, exit code 1; bad usage is one line too and exits 2.
 */
@Command(name = "neuroscan", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Find the dataset examples that activate each neuron of a small transformer most, "
                + "store them, and show them like neuroscope.io.",
        subcommands = {ScanCommand.class, ShowCommand.class, SiteCommand.class, CompareCommand.class, TraceCommand.class, ServeCommand.class, MergeCommand.class, DevicesCommand.class, KernelsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--neuron", paramLabel = "N",
            description = "The flagship: fetch the model and dataset, scan every neuron once (cached), then show neuron N "
                    + "in the terminal, write its page and compare with neuroscope.io.")
    Integer neuron;

    @CommandLine.Option(names = "--layer", defaultValue = "0", paramLabel = "L",
            description = "With --neuron: the neuron's layer, 0..n_layers-1 (default: ${DEFAULT-VALUE}; every layer is scanned).")
    int layer;

    @CommandLine.Option(names = "--top-k", defaultValue = "20", paramLabel = "K", description = "With --neuron: examples kept per neuron (default: ${DEFAULT-VALUE}).")
    int topK;

    @CommandLine.Option(names = "--cache", paramLabel = "DIR",
            description = "With --neuron: where finished runs are kept and reused (default: $NEUROSCAN_CACHE, else $XDG_CACHE_HOME/neuroscan or ~/.cache/neuroscan).")
    String cache;

    @CommandLine.Mixin
    ModelOptions modelOptions;

    @CommandLine.Mixin
    DatasetOptions datasetOptions;

    @CommandLine.Mixin
    EngineOptions engineOptions;

    @Override
    public void run() {
        if (neuron == null) {
            spec.commandLine().usage(spec.commandLine().getOut());
            return;
        }
        Flagship.run(layer, neuron, topK, cache, modelOptions, datasetOptions, engineOptions, spec.commandLine().getOut());
    }

    /** The exit code of a usage error (an unknown option, a missing or malformed value); other errors exit 1. */
    public static final int USAGE = 2;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code. Used by tests. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, params) -> {   // bad usage: one line and exit 2, no usage dump
            CommandLine c = ex.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            c.getErr().println("neuroscan: " + Printable.line(String.valueOf(ex.getMessage()).lines().findFirst().orElse(""))
                    + " (see `" + name + " --help`)");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("neuroscan: " + Printable.line(oneLine(ex)));
            if (System.getenv("NEUROSCAN_DEBUG") != null) ex.printStackTrace(commandLine.getErr());
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {   // picocli hands Errors through
            err.println("neuroscan: " + Printable.line(oneLine(e)));
            if (System.getenv("NEUROSCAN_DEBUG") != null) e.printStackTrace(err);
            return 1;
        }
    }

    /** The message of a user-fixable error, or a short description of an unexpected one. */
    static String oneLine(Throwable ex) {
        if (ex instanceof NeuroscanException) return ex.getMessage();
        if (ex instanceof OutOfMemoryError) {
            return String.format("out of memory (%s; Java may use %.1f GiB): lower --top-k or --threads, or give Java more "
                    + "memory (NEUROSCAN_JAVA_OPTS=-Xmx...)", ex.getMessage(), Runtime.getRuntime().maxMemory() / (double) (1L << 30));
        }
        String msg = ex.getMessage();
        return "internal error: " + ex.getClass().getSimpleName() + (msg == null ? "" : ": " + msg)
                + " (set NEUROSCAN_DEBUG=1 for the stack trace)";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"neuroscan " + (v == null ? "dev" : v)};
        }
    }
}
