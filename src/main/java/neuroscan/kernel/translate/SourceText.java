package neuroscan.kernel.translate;

import com.sun.source.tree.CompilationUnitTree;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of one kernel source, for what the syntax tree drops: the spelling of literals and the
 * {@code //} comments, which the C keeps so that the generated file reads like the Java.
 */
final class SourceText {
    private final String text, file;
    private final List<Integer> lineStarts = new ArrayList<>();

    SourceText(CompilationUnitTree unit, String file) {
        this.file = file;
        try {
            this.text = unit.getSourceFile().getCharContent(true).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lineStarts.add(0);
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') lineStarts.add(i + 1);
    }

    String file() {
        return file;
    }

    String slice(long start, long end) {
        return text.substring((int) start, (int) end);
    }

    /** Line {@code n} (1-based) without its line break. */
    String line(long n) {
        if (n < 1 || n > lineStarts.size()) return "";
        int s = lineStarts.get((int) n - 1);
        int e = n < lineStarts.size() ? lineStarts.get((int) n) - 1 : text.length();
        String l = text.substring(s, Math.max(s, e));
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
    }

    /** The text after {@code //} on line n, or null; kernels have no string or char literals to confuse it. */
    String lineComment(long n) {
        String l = line(n);
        int i = l.indexOf("//");
        return i < 0 ? null : l.substring(i + 2).strip();
    }

    /** Whether line n holds only a {@code //} comment. */
    boolean commentOnly(long n) {
        return line(n).strip().startsWith("//");
    }
}
