package neuroscan.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code neuroscan trace}: every token of a text with one neuron's activation. (Wired up in issue 2.) */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Print each token of a text with a neuron's activation (blocks.0.mlp.hook_post).")
final class TraceCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "gelu-1l", description = "Alias, HF repo id or local dir/file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--tokenizer", description = "Alias, HF repo id or directory (default: beside the model, else config.json's tokenizer_name).")
    String tokenizer;

    @Option(names = "--neuron", required = true, description = "Neuron index in 0..d_mlp-1.")
    int neuron;

    @Option(names = "--text", required = true, description = "The text to run.")
    String text;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        throw new neuroscan.NeuroscanException("trace: not wired up yet");
    }
}
