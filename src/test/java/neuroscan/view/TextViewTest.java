package neuroscan.view;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextViewTest {

    @Test
    void colourDecision() {
        assertFalse(Colors.enabled(false, Map.of()), "not a terminal");
        assertTrue(Colors.enabled(true, Map.of()));
        assertFalse(Colors.enabled(true, Map.of("NO_COLOR", "1")), "NO_COLOR set");
        assertTrue(Colors.enabled(true, Map.of("NO_COLOR", "")), "NO_COLOR empty counts as unset (no-color.org)");
        assertFalse(Colors.enabled(true, Map.of("TERM", "dumb")));
        assertEquals(Colors.Mode.TRUECOLOR, Colors.mode(true, Map.of("COLORTERM", "truecolor")));
        assertEquals(Colors.Mode.ANSI256, Colors.mode(true, Map.of("TERM", "xterm-256color")));
        assertEquals(Colors.Mode.NONE, Colors.mode(false, Map.of("COLORTERM", "truecolor")));
    }

    @Test
    void xtermCube() {
        assertEquals(231, Colors.cube(new int[]{255, 255, 255}));
        assertEquals(16, Colors.cube(new int[]{0, 0, 0}));
        assertEquals(196, Colors.cube(new int[]{255, 0, 0}));
        assertEquals(33, Colors.cube(new int[]{0, 135, 255}));
    }

    @Test
    void plainTextHasNoEscapesAndMarksTheMaxToken() {
        String out = TextView.render(HtmlPageTest.ramp(3, 10), false);
        assertFalse(out.contains("\u001b"));
        assertTrue(out.contains("#0  doc 42  max 2.0000 at token 100 \"t100\"  min -1.0000  (200 tokens)"), out);
        String window = out.lines().filter(l -> l.contains("[[t100]]")).findFirst().orElseThrow();
        assertTrue(window.startsWith("  \u2026t50t51"), window);
        assertTrue(window.endsWith("t109t110\u2026"), window);
        assertTrue(out.contains("  strongest: \"t100\" 2.00 \"t110\" 0.10 \"t109\" 0.09"), out);
    }

    @Test
    void hostileTextNeverReachesTheTerminalRaw() {
        NeuronReport r = SampleReports.hostile();
        String plain = TextView.render(r, false);
        assertFalse(plain.contains("\u001b"), "no ESC from the dataset");
        noRawControls(plain);
        assertTrue(plain.contains("\u27E8ESC\u27E9[31mred\u27E8ESC\u27E9[0m"), "the escape sequence shown as text");
        for (var mode : new Colors.Mode[]{Colors.Mode.TRUECOLOR, Colors.Mode.ANSI256}) {
            String colored = TextView.render(r, mode);
            noRawControls(colored);
            // Every ESC is one of ours: a complete SGR sequence.
            String stripped = Pattern.compile("\u001b\\[[0-9;]*m").matcher(colored).replaceAll("");
            assertFalse(stripped.contains("\u001b"), "stray ESC in " + mode);
            assertTrue(stripped.contains("\u27E8ESC\u27E9[31mred"), "shown as text");
        }
    }

    private static void noRawControls(String s) {
        for (char c : s.toCharArray()) {
            boolean ok = (c >= 0x20 && c != 0x7F && !(c >= 0x80 && c < 0xA0)) || c == '\n' || c == 0x1B;
            assertTrue(ok, "raw control U+" + Integer.toHexString(c));
            assertFalse(c == '\u202E' || c == '\u2066' || c == '\u2028', "raw bidi U+" + Integer.toHexString(c));
        }
    }

    /** Backgrounds follow the page's scale: the max token full blue, a zero token uncoloured. */
    @Test
    void coloursFollowTheScale() {
        var ex = NeuronReport.Example.of(0, 1, List.of("a", "b", "c"), new float[]{0f, 4f, -4f});
        String out = TextView.render(new NeuronReport("m", "d", 0, 0, null, List.of(ex)), true);
        String window = out.lines().filter(l -> l.contains("b")).reduce((x, y) -> y).orElseThrow();
        int[] blue = Colors.rgb(1, false), red = Colors.rgb(1, true);
        assertEquals(List.of(47, 111, 237), List.of(blue[0], blue[1], blue[2]));
        assertTrue(window.contains("a\u001b[0m"), "zero: no background: " + window);
        assertTrue(window.contains("\u001b[48;2;47;111;237;38;2;0;0;0m\u001b[1m\u001b[4mb\u001b[0m"), window);
        assertTrue(window.contains("\u001b[48;2;" + red[0] + ";" + red[1] + ";" + red[2] + ";38;2;0;0;0mc\u001b[0m"), window);
        String n256 = TextView.render(new NeuronReport("m", "d", 0, 0, null, List.of(ex)), Colors.Mode.ANSI256);
        assertTrue(n256.contains("\u001b[48;5;" + Colors.cube(blue) + ";38;5;16m"), n256);
    }

    @Test
    void newlinesBreakTheLineAfterTheirGlyph() {
        var ex = NeuronReport.Example.of(0, 1, List.of("HEAD", "\n", " body", "\t"), new float[]{1, 0, 0, 0});
        String out = TextView.render(new NeuronReport("m", "d", 0, 0, null, List.of(ex)), false);
        assertTrue(out.contains("  [[HEAD]]\u21B5\n   body\u21E5\n"), out);
    }
}
