package neuroscan.view;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Escaping, visible glyphs and number formatting, against hand-written expectations. */
class EscapingTest {

    @Test
    void htmlTextAndAttributes() {
        assertEquals("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;amp; &quot;",
                Html.text("<script>alert('x')</script> &amp; \""));
        assertEquals("a\u21B5\nb\u21E5\tc", Html.text("a\nb\tc"), "newline and tab: glyph, then kept");
        assertEquals("a\u21B5b\u21E5c", Html.attr("a\nb\tc"), "attributes: glyph only");
        assertEquals("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;", Html.attr("\"><img src=x onerror=alert(1)>"));
        assertEquals("\u27E8ESC\u27E9[31m\u27E8NUL\u27E9\u27E8U+202E\u27E9", Html.text("\u001b[31m\u0000\u202E"));
        assertEquals("caf\u00E9 \uD83E\uDDE0 \u0645\u0631\u062D\u0628\u0627", Html.text("caf\u00E9 \uD83E\uDDE0 \u0645\u0631\u062D\u0628\u0627"),
                "ordinary Unicode passes through");
        assertEquals("\uFFFD", Html.text("\uD83D"), "a lone surrogate becomes U+FFFD");
    }

    @Test
    void jsonForScriptElementsHasNoMarkupCharacters() throws Exception {
        String hostile = "</script><script>alert(1)</script><!-- & \u2028\u2029 \"quoted\"";
        String json = new ObjectMapper().writeValueAsString(Map.of("model", hostile));
        String safe = Html.scriptJson(json);
        assertFalse(safe.contains("<") || safe.contains(">") || safe.contains("&"), safe);
        assertFalse(safe.contains("\u2028") || safe.contains("\u2029"), safe);
        assertTrue(safe.contains("\\u003c/script\\u003e"), safe);
        assertEquals(hostile, new ObjectMapper().readTree(safe).get("model").asText(), "decodes to the same string");
    }

    @Test
    void glyphs() {
        assertNull(TokenText.glyph('a'));
        assertNull(TokenText.glyph(' '));
        assertNull(TokenText.glyph(0x0645), "Arabic letters are themselves");
        assertNull(TokenText.glyph(0x200D), "zero-width joiner stays: emoji sequences need it");
        assertEquals("\u21B5", TokenText.glyph('\n'));
        assertEquals("\u27E8CR\u27E9", TokenText.glyph('\r'));
        assertEquals("\u27E8ESC\u27E9", TokenText.glyph(0x1B));
        assertEquals("\u27E8DEL\u27E9", TokenText.glyph(0x7F));
        assertEquals("\u27E8U+009B\u27E9", TokenText.glyph(0x9B), "C1 CSI would start a terminal escape");
        assertEquals("\u27E8U+202E\u27E9", TokenText.glyph(0x202E));
        assertEquals("\u27E8U+2066\u27E9", TokenText.glyph(0x2066));
        assertEquals("\u27E8U+FEFF\u27E9", TokenText.glyph(0xFEFF));
        assertEquals(" NEWS\u21B5\u21E5\u27E8BEL\u27E9", TokenText.visible(" NEWS\n\t\u0007"));
        assertEquals(" plain", TokenText.visible(" plain"));
    }

    @Test
    void allCaps() {
        for (String s : new String[]{" THE", "NASA", "U.S.", " A", "ÉCOLE", "IPP", "HELLO!"}) {
            assertTrue(TokenText.allCaps(s), s);
        }
        for (String s : new String[]{" The", "the", " 2019", "...", " ", "", "\u4F60\u597D", "iPhone", "\n"}) {
            assertFalse(TokenText.allCaps(s), s);
        }
    }

    /** Oracle: BigDecimal's exact HALF_UP rounding of the float's double value. */
    @Test
    void fixedMatchesBigDecimal() {
        Random rnd = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            float v = switch (i % 4) {
                case 0 -> (float) (rnd.nextGaussian() * 3);
                case 1 -> (float) (rnd.nextGaussian() * 1e-4);
                case 2 -> (float) (rnd.nextGaussian() * 1e6);
                default -> Math.round(rnd.nextGaussian() * 1e4) / 1e4f;
            };
            for (int d : new int[]{0, 1, 2, 4}) {
                String want = new BigDecimal(v).setScale(d, RoundingMode.HALF_UP).toPlainString();
                if (want.startsWith("-") && new BigDecimal(want).signum() == 0) want = want.substring(1);
                assertEquals(want, Fmt.fixed(v, d), v + " to " + d + " places");
            }
        }
        assertEquals("0.0000", Fmt.fixed(-0.00001, 4), "no negative zero");
        assertEquals("-0.1698", Fmt.fixed(-0.1698f, 4));
        assertEquals("5.0445", Fmt.fixed(5.0445f, 4));
        assertEquals("NaN", Fmt.fixed(Float.NaN, 4));
    }

    @Test
    void alpha() {
        StringBuilder sb = new StringBuilder();
        for (double a : new double[]{0, 0.004, 0.05, 0.5, 0.73, 0.999, 1, 1.7, -0.2}) Fmt.alpha(sb, a).append(' ');
        assertEquals("0 0 .05 .5 .73 1 1 1 0 ", sb.toString());
    }
}
