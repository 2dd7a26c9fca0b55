package neuroscan.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark report's tables: aligned, padded, and no cell text can break the table. */
class MarkdownTableTest {

    @Test
    void layout() {
        String t = new MarkdownTable("lr", "system", "tokens/s").row("neuroscan", "74,527").row("`seed`", "4,406").toString();
        assertEquals("""
                | system    | tokens/s |
                |-----------|---------:|
                | neuroscan |   74,527 |
                | `seed`    |    4,406 |
                """, t);
    }

    @Test
    void hostileCellsStayInTheirCell() {
        String hostile = "a | b\n| c | d |\r\n<script>alert(1)</script> &amp;";
        String t = new MarkdownTable("ll", "x", "y").row(hostile, "2").toString();
        String[] lines = t.split("\n");
        assertEquals(3, lines.length, "line breaks in a cell do not start rows: " + t);
        assertEquals(List.of("a \\| b \\| c \\| d \\|  &lt;script>alert(1)&lt;/script> &amp;amp;", "2"), cells(lines[2]));
        assertTrue(!t.contains("<"), "no HTML tag can open: " + t);
        assertEquals("`a` &lt;b> \\| c", MarkdownTable.escape(" `a` <b> | c\n"), "backticks are the caller's; trimmed");
    }

    @Test
    void badShapes() {
        assertThrows(IllegalArgumentException.class, () -> new MarkdownTable("l", "a", "b"));
        assertThrows(IllegalArgumentException.class, () -> new MarkdownTable("lc", "a", "b"));
        assertThrows(IllegalArgumentException.class, () -> new MarkdownTable("lr", "a", "b").row("1"));
    }

    /** GFM's cell split: pipes not preceded by a backslash; outer pipes dropped, cells trimmed. */
    private static List<String> cells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 1; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '|' && line.charAt(i - 1) != '\\') {
                out.add(cur.toString().strip());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        return out;
    }
}
