package neuroscan.kernel.translate;

/**
 * Lines of C with {@code #line} directives: before a line that stands for Java line n, a directive is
 * written only where the C compiler's own count would otherwise be off, so that the generated code stays
 * readable and an error in it still names the Java line.
 */
final class CWriter {
    private final StringBuilder sb = new StringBuilder();
    private String file;
    private long implied = -1;   // the Java line the C compiler believes the next line is
    int indent;

    /** Subsequent directives name {@code file}. */
    void file(String f) {
        if (!f.equals(file)) implied = -1;
        file = f;
    }

    /** One line of C for Java line {@code javaLine} (0: none in particular, e.g. a closing brace). */
    void line(String text, long javaLine, String comment) {
        if (javaLine > 0 && javaLine != implied) {
            sb.append("#line ").append(javaLine).append(" \"").append(file).append("\"\n");
            implied = javaLine;
        }
        sb.append("    ".repeat(indent)).append(text);
        if (comment != null && !comment.isEmpty()) sb.append("   // ").append(comment);
        sb.append('\n');
        if (implied > 0) implied++;
    }

    /** Text that maps to no Java line (comments, preprocessor lines); the next mapped line gets a directive. */
    void raw(String text) {
        sb.append(text);
        if (!text.endsWith("\n")) sb.append('\n');
        implied = -1;
    }

    /** A comment line that keeps the line count in step (it stands for a Java comment line). */
    void comment(String text) {
        sb.append("    ".repeat(indent)).append("// ").append(text).append('\n');
        if (implied > 0) implied++;
    }

    @Override
    public String toString() {
        return sb.toString();
    }
}
