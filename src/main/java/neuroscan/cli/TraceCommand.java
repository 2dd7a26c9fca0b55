package neuroscan.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import neuroscan.NeuroscanException;
import neuroscan.engine.Engine;
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
        int g = neuroscan.report.RunReports.flat(hook, layer, neuron), width = hook.neurons();
        int nCtx = r.model().cfg().nCtx();
        int[] ids = r.tokenizer().toTokens(text, nCtx + 1);
        if (ids.length > nCtx) {   // never silently: say the text was cut
            ids = java.util.Arrays.copyOf(ids, nCtx);
            spec.commandLine().getErr().println("neuroscan: warning: the text is longer than the model's context; only its first "
                    + nCtx + " tokens (BOS included) are traced");
        }
        float[] acts = new float[ids.length];
        try (Engine engine = engineOptions.open(r.model().weights(), false)) {
            float[] post = engine.hookPost(ids);
            for (int p = 0; p < ids.length; p++) acts[p] = post[p * width + g];
        }
        String[] tokens = r.tokenizer().displayTokens(ids);
        PrintWriter out = spec.commandLine().getOut();
        if (format.equals("json")) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode o = json.createObjectNode();
            var tokNode = o.putArray("tokens");
            for (String t : tokens) tokNode.add(t);
            var idsNode = o.putArray("token_ids");
            for (int id : ids) idsNode.add(id);
            var actNode = o.putArray("activations");
            for (float v : acts) actNode.add(v);
            out.println(json.writeValueAsString(o));
        } else {
            out.printf("%s on %d tokens (%s, %s)%n", hook.label(g), ids.length, r.modelSource().spec(), hook.key(layer));
            out.printf("%5s  %10s  %s%n", "pos", "activation", "token");
            for (int p = 0; p < ids.length; p++) {
                out.printf("%5d  %10.4f  %s%n", p, acts[p], Printable.quote(tokens[p]));
            }
        }
        out.flush();
        return 0;
    }
}
