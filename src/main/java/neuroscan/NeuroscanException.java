package neuroscan;

/**
 * A problem the user can fix (bad file, missing tensor, no network...). The CLI prints its message as
 * one line on stderr and exits non-zero, never a stack trace. Messages name the file and the problem,
 * e.g. {@code "model_final.pth: tensor blocks.0.mlp.W_in has shape [512, 100], expected [512, 2048]"}.
 */
public class NeuroscanException extends RuntimeException {
    public NeuroscanException(String message) {
        super(message);
    }

    public NeuroscanException(String message, Throwable cause) {
        super(message, cause);
    }
}
