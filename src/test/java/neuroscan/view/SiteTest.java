package neuroscan.view;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SiteTest {
    static final Site.Meta META = new Site.Meta("gelu-1l", "c4-10k", 0);

    static NeuronReport report(int n) {
        var r = SampleReports.headlines(n, 3, n);
        return new NeuronReport(r.model(), r.dataset(), 0, n, r.logits(), r.examples()).withStats(density(n), null, null);
    }

    /** A density per neuron whose order differs from the max activations' (neuron 2 the densest, 5 below 0.1%). */
    static double density(int n) {
        return n == 5 ? 0.0004 : ((n * 7 + 3) % 6) / 10.0 + 0.01;
    }

    private static Set<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void writesOnePagePerNeuronAndAnIndex(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("site");
        Site.Result res = Site.write(out, 6, SiteTest::report, META);
        assertEquals(Set.of("0.html", "1.html", "2.html", "3.html", "4.html", "5.html", "index.html"), files(out),
                "no temp files left");
        assertEquals(6, res.pages());
        long size = 0;
        for (String f : files(out)) size += Files.size(out.resolve(f));
        assertEquals(size, res.bytes());
        assertEquals(HtmlPage.render(report(4).withExtras(6, null)), Files.readString(out.resolve("4.html")),
                "a page is the page of its report, d_mlp filled in");
        String five = Files.readString(out.resolve("5.html"));
        assertFalse(five.contains("id=\"next\""), "the last neuron has no next");
        String index = Files.readString(out.resolve("index.html"));
        for (int n = 0; n < 6; n++) {
            assertTrue(index.contains("<td class=\"num\"><a href=\"" + n + ".html\">" + n + "</a></td>"), "row " + n);
        }
        assertEquals(6, Pattern.compile("<tr data-n=").matcher(index).results().count());
        var top = report(2).examples().getFirst();
        assertTrue(index.contains("<tr data-n=\"2\" data-max=\"" + Fmt.fixed(top.max(), 4) + "\""), "max of neuron 2");
        assertTrue(index.contains("id=\"q\""), "search box");
    }

    @Test
    void rewritingReplacesPagesWhole(@TempDir Path dir) throws Exception {
        Site.write(dir, 3, SiteTest::report, META);
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Site.write(dir, 3, n -> report(n).withExtras(3, "https://neuroscope.io/gelu-1l/0/" + n + ".html"), META);
        assertTrue(Files.readString(dir.resolve("1.html")).contains("https://neuroscope.io/gelu-1l/0/1.html"));
        assertEquals("mine", Files.readString(dir.resolve("notes.txt")), "other files are left alone");
        assertEquals(Set.of("0.html", "1.html", "2.html", "index.html", "notes.txt"), files(dir));
    }

    @Test
    void aFailingReportStopsTheSiteBeforeTheIndex(@TempDir Path dir) throws Exception {
        var e = assertThrows(NeuroscanException.class, () -> Site.write(dir, 8, n -> {
            if (n == 5) throw new NeuroscanException("store.safetensors: neuron 5 unreadable");
            return report(n);
        }, META));
        assertEquals("store.safetensors: neuron 5 unreadable", e.getMessage());
        assertFalse(Files.exists(dir.resolve("index.html")), "no index linking to missing pages");
        for (String f : files(dir)) assertTrue(f.matches("\\d+\\.html"), "only whole pages: " + f);
    }

    @Test
    void outputThatIsAFileIsAClearError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("site"), "x");
        var e = assertThrows(NeuroscanException.class, () -> Site.write(file, 2, SiteTest::report, META));
        assertEquals(file + ": exists and is not a directory", e.getMessage());
        assertThrows(IllegalStateException.class, () -> Site.write(dir.resolve("s"), 2, n -> report(1 - n), META));
    }
}
