package neuroscan.view;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compare against the fixture page; every expected number below is counted by hand from the inputs. */
class CompareReportTest {

    static NeuronReport ours() {
        var a = NeuronReport.Example.of(0, 11, List.of("<|BOS|>", "BRE", "AK", "ING", " NEWS", ":", " THE", " MAY", "OR",
                " says", " hi"), new float[]{0, 2, 2, 3, 3, 0, 3.5f, 5, 4, 0, 0});
        var b = NeuronReport.Example.of(1, 93, List.of("<|BOS|>", "Free", " shipping", " ON", " ALL", " orders"),
                new float[]{0, 0.2f, 0.1f, 3, 4.5f, 0});
        var c = NeuronReport.Example.of(2, 104, List.of("<|BOS|>", "the", " end"), new float[]{0, 1, 0.5f});
        return new NeuronReport("gelu-1l", "c4-10k", 0, 424, SampleReports.logits(), List.of(a, b, c));
    }

    static CompareReport report() throws Exception {
        return CompareReport.of(ours(), "runs/x", NeuroscopePage.parse(NeuroscopePageTest.fixture(), "424.html"));
    }

    @Test
    void capitalStatistics() throws Exception {
        var r = report();
        // ours: max tokens " MAY", " ALL" caps, "the" not; neighbours " THE" "OR" | " ON" " orders" | " end" (BOS skipped)
        assertEquals(new CompareReport.Stats(3, 2, 5, 3, 17, 9), r.ours().stats());
        // neuroscope: " MAY" (" THE", "OR"), " A" (" FOR", " BET"), " WORLD" ("HELLO", "\\"), "ING" ("IPP", " ON")
        var s = r.theirs().stats();
        assertEquals(4, s.examples());
        assertEquals(4, s.capsMax());
        assertEquals(8, s.neighbours());
        assertEquals(7, s.capsNeighbours());
        assertEquals(0.875, s.capsNeighbourFraction());
    }

    @Test
    void sharedTokensAndContexts() throws Exception {
        var r = report();
        assertEquals(List.of(new CompareReport.Shared(" MAY", 1, 1)), r.sharedMaxTokens());
        assertEquals(List.of(new CompareReport.Shared("MAY", 1, 1)), r.sharedMaxWords());
        // ours #0 and neuroscope's text #0 both read "ING NEWS: THE MAYOR" around the max token
        assertEquals(List.of(" NEWS: THE", " THE MAYOR", ": THE MAY", "ING NEWS:"),
                r.sharedContexts().stream().map(CompareReport.Shared::text).toList());
        assertEquals(List.of(10, 10), List.of(r.logitOverlap()[0], r.logitOverlap()[1]));
    }

    @Test
    void textReport() throws Exception {
        String t = report().toText(false);
        assertFalse(t.contains("\u001b"));
        assertTrue(t.contains("different dataset (80% C4 (Web Text) and 20% Python Code)"), t);
        assertTrue(t.contains("data indices differ"), t);
        assertTrue(t.matches("(?s).*max token all-caps\\s+2/3 \\(67%\\)\\s+4/4 \\(100%\\).*"), t);
        assertTrue(t.matches("(?s).*its neighbours all-caps\\s+3/5 \\(60%\\)\\s+7/8 \\(88%\\).*"), t);
        assertTrue(t.contains("\" MAY\" 1/1"), t);
        assertTrue(t.contains("top tokens in both lists: 10 of 10"), t);
        assertTrue(t.contains("#0   doc 90211     max   4.6644  \" MAY\""), t);
        assertTrue(t.contains("[[ MAY]]"), t);
    }

    @Test
    void hostileTokensNeverReachTheTerminalRaw() throws Exception {
        var page = NeuroscopePage.parse(NeuroscopePageTest.fixture(), "424.html");
        for (boolean color : new boolean[]{false, true}) {
            String t = CompareReport.of(SampleReports.hostile(), "runs/x", page).toText(color);
            String stripped = t.replaceAll("\u001b\\[[0-9;]*m", "");
            assertFalse(stripped.contains("\u001b"), "stray ESC");
            assertFalse(stripped.chars().anyMatch(c -> c < 0x20 && c != '\n'), "raw control character");
            assertFalse(stripped.contains("\u202E"), "raw bidi override");
        }
    }

    @Test
    void htmlReportIsEscapedAndSelfContained() throws Exception {
        var hostile = SampleReports.hostile();
        var page = NeuroscopePage.parse(NeuroscopePageTest.fixture(), "424.html");
        String html = CompareReport.of(hostile, "<runs/x>", page).toHtml();
        assertEquals(1, html.split("<script", -1).length - 1, "only our script");
        assertFalse(html.contains("<img"));
        assertTrue(html.contains("&lt;runs/x&gt;"));
        assertTrue(html.contains("default-src 'none'"));
        assertTrue(html.contains("<h2>neuroscan</h2>") && html.contains("<h2>neuroscope.io</h2>"));
    }
}
