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
    static final TracePage.Shape ONE = new TracePage.Shape(META, "hook_post", 64);
    static final String TYPED = "</textarea><script>alert(1)</script>\u001b[2J & \"x\"";

    static TracePage.Result result() {
        List<String> tokens = List.of("<|BOS|>", "</textarea>", "<script>", "alert(1)", "</script>", "\u001b[2J");
        float[] acts = {0f, 0.5f, 2f, -0.1f, 1f, 0.01f};
        Trace t = new Trace(3, tokens, new int[]{1, 2, 3, 4, 5, 6}, acts);
        return new TracePage.Result(t, true, 4f, List.of(new TracePage.Hit(0, 3, 2f, 2, 4f), new TracePage.Hit(0, 9, 1.5f, 4, Float.NaN)));
    }

    @Test
    void typedTextAndTokensAreEscaped() {
        String html = TracePage.render(ONE, new TracePage.Input(TYPED, 0, 3, 2), result(), 16384, 64, 200);
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
        String frag = TracePage.results(ONE, new TracePage.Input("x", 0, 3, 2), result());
        assertFalse(frag.contains("<script"), frag);
        assertTrue(frag.contains("only its first 6 tokens"), "the cut is said");
        // scale: the run's top activation 4, so 2.0 is half (.5) and 0.01 (0.25%) is left plain
        assertTrue(frag.contains("style=\"--a:.5\" title=\"2.0000  \u201C&lt;script&gt;\u201D\""), frag);
        assertTrue(frag.contains("title=\"0.0100  \u201C\u27E8ESC\u27E9[2J\u201D\""), frag);
        assertFalse(frag.contains("class=\"n\""), "-0.1 of 4 is 2.5%: not coloured, so not marked negative");
        assertEquals(2, count(frag, "<tr data-layer="));
        assertTrue(frag.contains("name=\"pick\" value=\"3\" data-layer=\"0\" data-neuron=\"3\" disabled"), "the neuron shown cannot be picked again");
        assertTrue(frag.contains("name=\"pick\" value=\"9\" data-layer=\"0\" data-neuron=\"9\">"), frag);
        assertTrue(frag.contains("<a href=\"9.html\">9</a>"), "one layer: the site's N.html, the neuron's number");
        assertFalse(TracePage.render(ONE, new TracePage.Input("x", 0, 3, 2), result(), 16384, 64, 200).contains("<select"),
                "one layer: no layer to pick");
        assertTrue(frag.contains("\u2013"), "no top activation in the run: a dash");
    }

    /** Two layers of 64: links into L/, labels L{l}N{n}, buttons the flat index, a layer picker, the hook named. */
    @Test
    void severalLayersLinkIntoTheirDirectories() {
        TracePage.Shape two = new TracePage.Shape(new Site.Meta("m", "d", 0, 2), "hook_mid", 64);
        List<String> tokens = List.of("<|BOS|>", "a");
        TracePage.Result r = new TracePage.Result(new Trace(64 + 3, tokens, new int[]{1, 2}, new float[]{0f, 1f}), false, 2f,
                List.of(new TracePage.Hit(1, 3, 1f, 1, 2f), new TracePage.Hit(0, 9, 0.5f, 1, 1f)));
        String html = TracePage.render(two, new TracePage.Input("a", 1, 3, 2), r, 16384, 100, 200);
        assertTrue(html.contains("<select id=\"layer\" name=\"layer\"><option value=\"0\">0</option><option value=\"1\" selected>1</option></select>"), html);
        assertTrue(html.contains("<a id=\"page\" href=\"1/3.html\">L1N3's page</a>"), html);
        assertTrue(html.contains("<code>blocks.L.mlp.hook_mid</code>"), html);
        assertTrue(html.contains("<h2>L1N3 on this text <a class=\"hint\" href=\"1/3.html\">"), html);
        assertTrue(html.contains("<a href=\"0/9.html\">L0N9</a>"), html);
        assertTrue(html.contains("name=\"pick\" value=\"67\" data-layer=\"1\" data-neuron=\"3\" disabled"), html);
        assertTrue(html.contains("name=\"pick\" value=\"9\" data-layer=\"0\" data-neuron=\"9\">"), html);
    }

    static int count(String s, String what) {
        return (int) Pattern.compile(Pattern.quote(what)).matcher(s).results().count();
    }
}
