package neuroscan.view;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The page's HTML, checked as text (the browser test checks what Chromium makes of it). */
class HtmlPageTest {

    /** 200 tokens t0..t199, activation i/100 - 1, except 2.0 at position 100: scale bound 2. */
    static NeuronReport ramp(int neuron, Integer dMlp) {
        List<String> toks = new ArrayList<>();
        float[] a = new float[200];
        for (int i = 0; i < 200; i++) {
            toks.add("t" + i);
            a[i] = i / 100f - 1;
        }
        a[100] = 2f;
        var ex = NeuronReport.Example.of(0, 42, toks, a);
        return new NeuronReport("m", "d", 0, neuron, null, List.of(ex), dMlp, null);
    }

    private static String div(String html, String cls) {
        Matcher m = Pattern.compile("<div class=\"toks " + cls + "\" data-start=\"(\\d+)\">(.*?)</div>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "no " + cls + " tokens");
        return m.group(0);
    }

    @Test
    void windowIsFiftyBeforeAndTenAfterTheMaxToken() {
        String html = HtmlPage.render(ramp(3, 10));
        String win = div(html, "win");
        assertTrue(win.startsWith("<div class=\"toks win\" data-start=\"50\"><i class=\"more\" title=\"50 tokens before\">"), win);
        assertTrue(win.endsWith("<i class=\"more\" title=\"89 tokens after\">\u2026</i></div>"), win);
        List<String> shown = new ArrayList<>();
        Matcher m = Pattern.compile("<span[^>]*>(t\\d+)</span>").matcher(win);
        while (m.find()) shown.add(m.group(1));
        assertEquals(61, shown.size());
        assertEquals("t50", shown.getFirst());
        assertEquals("t110", shown.getLast());
        String full = div(html, "full");
        assertEquals(200, Pattern.compile("<span[^>]*>t\\d+</span>").matcher(full).results().count());
    }

    /** Hand-computed: intensity = |v| / 2, class n below zero, mx on the max token. */
    @Test
    void tokensAreColouredOnOneScale() {
        String html = HtmlPage.render(ramp(3, 10));
        assertTrue(html.contains("<span class=\"mx\" style=\"--a:1\" title=\"2.0000  \u201Ct100\u201D\">t100</span>"), "max token");
        assertTrue(html.contains("<span style=\"--a:.25\" title=\"0.5000\">t150</span>"), "t150 = 0.5");
        assertTrue(html.contains("<span class=\"n\" style=\"--a:.4\" title=\"-0.8000\">t20</span>"), "t20 = -0.8");
        assertTrue(html.contains("<span class=\"n\" style=\"--a:.5\" title=\"-1.0000\">t0</span>"), "t0 = -1");
        assertTrue(html.contains("<span title=\"-0.0100\">t99</span>"), "t99 = -0.01: too faint to colour");
        assertTrue(html.contains("<span class=\"n\" style=\"--a:.46\" title=\"-0.9200\">t8</span>"), "t8 = -0.92");
        assertTrue(html.contains("<span title=\"0.0900\">t109</span>"), "t109 = 0.09: 4.5% of the scale, plain");
        assertTrue(html.contains("<span style=\"--a:.05\" title=\"0.1000  \u201Ct110\u201D\">t110</span>"), "t110 in the window");
    }

    @Test
    void navigationLinks() {
        String mid = HtmlPage.render(ramp(3, 10));
        assertTrue(mid.contains("<a id=\"prev\" rel=\"prev\" href=\"2.html\">"));
        assertTrue(mid.contains("<a id=\"next\" rel=\"next\" href=\"4.html\">"));
        assertTrue(mid.contains("<a id=\"index\" href=\"index.html\">"));
        Matcher r = Pattern.compile("<a id=\"random\" href=\"(\\d+)\\.html\" data-d-mlp=\"10\">").matcher(mid);
        assertTrue(r.find());
        int target = Integer.parseInt(r.group(1));
        assertTrue(target >= 0 && target < 10 && target != 3, "random: another neuron, got " + target);
        String first = HtmlPage.render(ramp(0, 10)), last = HtmlPage.render(ramp(9, 10));
        assertFalse(first.contains("id=\"prev\""));
        assertFalse(last.contains("id=\"next\""));
        assertTrue(HtmlPage.render(ramp(9, null)).contains("href=\"10.html\""), "unknown d_mlp: next is offered");
        for (int n = 0; n < 50; n++) {
            int t = HtmlPage.randomNeighbour(n, 50);
            assertTrue(t >= 0 && t < 50 && t != n, n + " -> " + t);
        }
    }

    @Test
    void hostileStringsAreInertText() throws Exception {
        NeuronReport r = SampleReports.hostile();
        String html = HtmlPage.render(r);
        // Exactly our two script elements: the JSON data block and the page script.
        assertEquals(2, Pattern.compile("<script", Pattern.CASE_INSENSITIVE).matcher(html).results().count(), "script tags");
        assertEquals(2, Pattern.compile("</script", Pattern.CASE_INSENSITIVE).matcher(html).results().count(), "script ends");
        assertFalse(html.contains("<img"), "no injected element");
        assertFalse(html.toLowerCase().contains("<textarea") || html.contains("</textarea>"));
        assertFalse(html.contains("href=\"javascript:"), "a javascript: link is not rendered");
        assertTrue(html.contains("&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;"), "in attributes");
        assertTrue(html.contains("&lt;script&gt;document.title='PWNED'&lt;/script&gt;"), "in text");
        assertTrue(html.contains("&quot;&gt;&lt;img src=x onerror="), "attribute breakout escaped");
        for (char c : html.toCharArray()) {
            assertTrue(c >= 0x20 && c != 0x7F && !(c >= 0x80 && c < 0xA0) || c == '\n' || c == '\t',
                    "raw control character U+" + Integer.toHexString(c));
            assertFalse(c == '\u202E' || c == '\u2028' || c == '\u2066', "raw bidi/line separator U+" + Integer.toHexString(c));
        }
        // The JSON data block decodes back to the very strings it was given.
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"page-data\">(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find());
        var data = new ObjectMapper().readTree(m.group(1));
        assertEquals(r.model(), data.get("model").asText());
        assertEquals(r.dataset(), data.get("dataset").asText());
        assertEquals(10, data.get("d_mlp").asInt());
    }

    @Test
    void statisticsShowWhereTheReportHasThem() {
        String html = HtmlPage.render(SampleReports.hostile());
        assertTrue(html.contains("<b id=\"density\">1.23%</b>"), "density");
        assertEquals(25, Pattern.compile("<rect data-bin=").matcher(html).results().count(), "one bar per bin from the first (<= 0) to the last non-empty (24)");
        assertEquals(2, Pattern.compile("<details class=\"quantile\"").matcher(html).results().count());
        assertTrue(html.indexOf("id=\"q1\"") < html.indexOf("id=\"q0\""), "the highest interval first");
        assertTrue(html.contains("id=\"q1-1\""), "quantile examples have their own ids");
        Matcher ids = Pattern.compile(" id=\"([^\"]+)\"").matcher(html);
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (ids.find()) assertTrue(seen.add(ids.group(1)), "duplicate id " + ids.group(1));
        String plain = HtmlPage.render(SampleReports.headlines(424, 3, 1));
        assertFalse(plain.contains("id=\"distribution\"") || plain.contains("id=\"quantiles\""), "nothing for a run without statistics");
    }

    /** The CSP runs our inline script only if its hash is right; recompute it independently. */
    @Test
    void cspAllowsExactlyThePageScript() throws Exception {
        String html = HtmlPage.render(ramp(3, 10));
        Matcher s = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertTrue(s.find());
        String hash = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(s.group(1).getBytes(StandardCharsets.UTF_8)));
        assertTrue(html.contains("script-src 'sha256-" + hash + "'"), "CSP hash of the page script");
        assertTrue(html.contains("default-src 'none'"), "nothing may be fetched");
        assertFalse(html.contains("src=\"http") || html.contains("href=\"http://") || html.contains("@import"),
                "nothing external");
    }

    @Test
    void newlinesTabsAndSpacesAreKeptAndVisible() {
        var ex = NeuronReport.Example.of(0, 1, List.of("a", "\n\n", "\tb", "  ", " c"), new float[]{0, 0, 1, 0, 0});
        String html = HtmlPage.render(new NeuronReport("m", "d", 0, 0, null, List.of(ex)));
        String win = div(html, "win");
        assertTrue(win.contains("><span class=\"ws\">\u21B5</span><span class=\"ws\">\u21B5</span></span>\n\n<span"),
                "two newlines: two glyphs in the box, two line breaks after it: " + win);
        assertTrue(win.contains("><span class=\"ws\">\u21E5</span>\tb</span>"), "tab: glyph then the tab");
        assertTrue(win.contains(">  </span>"), "spaces kept as they are");
        assertTrue(html.contains("white-space:pre-wrap"), "and the CSS keeps them");
        assertTrue(html.contains("unicode-bidi:isolate"), "token boxes isolate right-to-left text");
    }

    @Test
    void reportWithoutExamplesOrLogitsStillRenders() {
        String html = HtmlPage.render(new NeuronReport("m", "d", 0, 1, null, List.of()));
        assertTrue(html.contains("No examples"));
        assertTrue(html.contains("Not available: the model has no unembedding"));
        String logits = HtmlPage.render(SampleReports.headlines(424, 3, 1));
        assertTrue(logits.contains("<span class=\"tok\" title=\"\u201C THE\u201D\"><span class=\"ws\">\u2423</span>THE</span>"
                + "<span class=\"v\">+0.6123</span>"), "top logit token with a visible space");
    }
}
