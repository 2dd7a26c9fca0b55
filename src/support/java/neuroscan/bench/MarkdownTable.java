package neuroscan.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A GitHub-flavoured markdown table whose source is readable too (columns padded to one width). Cells are
 * escaped so that no value can end a cell, start a new row or open HTML: {@code |} becomes {@code \|},
 * line breaks become spaces, {@code <} and {@code &} become entities. Markdown inline syntax (backticks,
 * emphasis) is left alone, so a caller may write {@code `code`} on purpose.
 */
public final class MarkdownTable {
    private final String[] header;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /**
     * @param align one letter per column, {@code l} or {@code r} (right: numbers)
     */
    public MarkdownTable(String align, String... header) {
        if (align.length() != header.length || !align.matches("[lr]*")) {
            throw new IllegalArgumentException("align \"" + align + "\" must be one l or r per column (" + header.length + ")");
        }
        this.header = Arrays.stream(header).map(MarkdownTable::escape).toArray(String[]::new);
        this.right = new boolean[header.length];
        for (int i = 0; i < right.length; i++) right[i] = align.charAt(i) == 'r';
    }

    public MarkdownTable row(String... cells) {
        if (cells.length != header.length) throw new IllegalArgumentException(cells.length + " cells in a row of a " + header.length + "-column table");
        rows.add(Arrays.stream(cells).map(MarkdownTable::escape).toArray(String[]::new));
        return this;
    }

    public int size() {
        return rows.size();
    }

    @Override
    public String toString() {
        int[] w = new int[header.length];
        for (int c = 0; c < w.length; c++) {
            w[c] = Math.max(3, header[c].length());
            for (String[] r : rows) w[c] = Math.max(w[c], r[c].length());
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, w);
        sb.append('|');
        for (int c = 0; c < w.length; c++) sb.append(right[c] ? "-".repeat(w[c] + 1) + ":" : "-".repeat(w[c] + 2)).append('|');
        sb.append('\n');
        for (String[] r : rows) line(sb, r, w);
        return sb.toString();
    }

    private void line(StringBuilder sb, String[] cells, int[] w) {
        sb.append('|');
        for (int c = 0; c < cells.length; c++) {
            String pad = " ".repeat(w[c] - cells[c].length());
            sb.append(' ').append(right[c] ? pad + cells[c] : cells[c] + pad).append(" |");
        }
        sb.append('\n');
    }

    /**
     * One cell's text: no pipe, line break or HTML can escape it (see the class comment). Also safe for
     * running text (a list item, a paragraph) where {@code \|} reads as a plain pipe.
     */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '|' -> sb.append("\\|");
                case '<' -> sb.append("&lt;");
                case '&' -> sb.append("&amp;");
                case '\n', '\r' -> sb.append(' ');
                default -> sb.append(c);
            }
        }
        return sb.toString().strip();
    }
}
