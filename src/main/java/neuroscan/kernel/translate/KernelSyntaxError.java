package neuroscan.kernel.translate;

/** One construct outside the kernel subset, at its place in the Java source: {@code File.java:line:col: message}. */
public record KernelSyntaxError(String file, long line, long column, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
