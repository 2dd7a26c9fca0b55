package neuroscan.view;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** serve's interactive page: typed text and tokens are escaped, and the page runs exactly its own script. */
class TracePageTest {
    static final Site.Meta META = new Site.Meta("m\"><script>alert(1)</script>", "d</textarea>", 0);
    static final String TYPED = "</textarea><script>alert(1)</script>\u001b[2J & \"x\"";

    static TracePage.Result result() {
        List<String> tokens = List.of("<|BOS|>", "</textarea>", "<script>", "alert(1)", "</script>", "\u001b[2J");
        float[] acts = {0f, 0.5f, 2f, -0.1f, 1f, 0.01f};
        Trace t = new Trace(3, tokens, new int[]{1, 2, 3, 4, 5, 6}, acts);
        return new TracePage.Result(t, true, 4f, List.of(new TracePage.Hit(3, 2f, 2, 4f), new TracePage.Hit(9, 1.5f, 4, Float.NaN)));
    }

    @Test
    void typedTextAndTokensAreEscaped() {
        String html = TracePage.render(META, 64, new TracePage.Input(TYPED, 3, 2), result(), 16384, 64, 200);
        assertEquals(1, count(html, "<textarea"), "one textarea");
        assertEquals(1, count(html, "</textarea>"), "the typed </textarea> did not close it");
        assertEquals(2, count(html, "<script"), "the data block and the page's own script, nothing typed");
        assertFalse(html.contains("\u001b"), "no raw control character");
        assertTrue(html.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "typed text shown as text");
        String csp = html.replaceAll("(?s).*Content-Security-Policy\" content=\"([^\"]*)\".*", "$1");
        assertTrue(csp.contains("connect-src 'self'") && csp.contains("form-action 'self'") && csp.startsWith("default-src 'none'"), csp);
        assertEquals(1, count(csp, "'sha256-"), "exactly one script allowed: " + csp);
    }

    @Test
    void resultsFragmentColoursAndListsNeurons() {
        String frag = TracePage.results(META, new TracePage.Input("x", 3, 2), result());
        assertFalse(frag.contains("<script"), frag);
        assertTrue(frag.contains("only its first 6 tokens"), "the cut is said");
        // scale: the run's top activation 4, so 2.0 is half (.5) and 0.01 (0.25%) is left plain
        assertTrue(frag.contains("style=\"--a:.5\" title=\"2.0000  \u201C&lt;script&gt;\u201D\""), frag);
        assertTrue(frag.contains("title=\"0.0100  \u201C\u27E8ESC\u27E9[2J\u201D\""), frag);
        assertFalse(frag.contains("class=\"n\""), "-0.1 of 4 is 2.5%: not coloured, so not marked negative");
        assertEquals(2, count(frag, "<tr data-n="));
        assertTrue(frag.contains("name=\"pick\" value=\"3\" disabled"), "the neuron shown cannot be picked again");
        assertTrue(frag.contains("name=\"pick\" value=\"9\">"), frag);
        assertTrue(frag.contains("\u2013"), "no top activation in the run: a dash");
    }

    static int count(String s, String what) {
        return (int) Pattern.compile(Pattern.quote(what)).matcher(s).results().count();
    }
}
