package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
import neuroscan.report.TextActivations;
import neuroscan.view.Trace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code neuroscan trace}: every token of a text with one neuron's activation. */
@Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a text through the model and print each token with a neuron's activation "
                + "(blocks.L.mlp.hook_post; hook_mid for SoLU models). Tokens are [BOS] + tokenizer(text), as TransformerLens's to_tokens.")
final class TraceCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--neuron", required = true, paramLabel = "N", description = "Neuron index in its layer, 0..d_mlp-1.")
    int neuron;

    @Option(names = "--layer", defaultValue = "0", paramLabel = "L", description = "Layer of the neuron, 0..n_layers-1 (default: ${DEFAULT-VALUE}).")
    int layer;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to run.")
    String text;

    @Option(names = "--format", defaultValue = "text", paramLabel = "FMT", description = "text or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Mixin
    EngineOptions engineOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("text") && !format.equals("json")) throw new NeuroscanException("--format must be text or json, not " + format);
        var r = modelOptions.resolve(ModelOptions.known());
        var hook = neuroscan.store.Hook.of(r.model().cfg());
        int g = neuroscan.report.RunReports.flat(hook, layer, neuron);
        TextActivations t;
        try (Engine engine = engineOptions.open(r.model().weights(), false)) {
            t = TextActivations.of(r.tokenizer(), r.model().cfg().nCtx(), engine, text);
        }
        if (t.truncated()) {   // never silently: say the text was cut
            spec.commandLine().getErr().println("neuroscan: warning: the text is longer than the model's context; only its first "
                    + t.ids().length + " tokens (BOS included) are traced");
        }
        Trace trace = t.trace(g);
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            out.println(trace.toJson());
        } else {
            out.printf("%s on %d tokens (%s, %s)%n", hook.label(g), t.ids().length, r.modelSource().spec(), hook.key(layer));
            out.printf("%5s  %10s  %s%n", "pos", "activation", "token");
            for (int p = 0; p < t.ids().length; p++) {
                out.printf("%5d  %10.4f  %s%n", p, trace.activations()[p], Printable.quote(trace.tokens().get(p)));
            }
        }
        out.flush();
        return 0;
    }
}
