package neuroscan.view;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Our pages in a real browser: headless Chromium loads them from disk (file://) with JavaScript on.
 * A probe script (allowed by adding its hash to the page's CSP, nothing else changed) reads the DOM and
 * computed styles after the page's own script ran and leaves its findings in the dumped DOM. Four
 * launches in all; skipped, saying so, where Chromium is not installed.
 */
class BrowserTest {
    static Path chromium;

    @BeforeAll
    static void findChromium() {
        chromium = Chromium.find().orElse(null);
        assumeTrue(chromium != null, "Chromium not installed (looked at $NEUROSCAN_CHROMIUM, /usr/bin/chromium, "
                + "/usr/bin/chromium-browser, /usr/bin/google-chrome): browser tests skipped");
    }

    /** Reads the page after load: what an injected script would have changed, colours, layout, tooltip. */
    static final String PAGE_PROBE = """
            (function () {
              var d = document, o = {}, mx = d.querySelectorAll('.toks > span.mx');
              o.title = d.title;
              o.js = d.documentElement.getAttribute('data-js');
              o.pwned = d.getElementsByTagName('pwned').length;
              o.imgs = d.images.length;
              o.scripts = d.scripts.length;
              o.maxBg = Array.prototype.map.call(mx, function (e) { return getComputedStyle(e).backgroundColor; });
              o.maxOutline = getComputedStyle(mx[0]).outlineStyle;
              o.maxTitle = mx[0].getAttribute('title');
              o.maxText = mx[0].textContent;
              var data = JSON.parse(d.getElementById('page-data').textContent);
              o.model = data.model; o.dataset = data.dataset;
              o.headerModel = d.querySelector('.meta b').textContent;
              o.scrollWidth = d.documentElement.scrollWidth; o.innerWidth = innerWidth;
              var win = d.querySelector('.toks.win'), wr = win.getBoundingClientRect(), bad = [];
              o.windowTokens = [];
              Array.prototype.forEach.call(win.children, function (e) {
                if (e.tagName !== 'SPAN') return;
                o.windowTokens.push(e.textContent);
                var r = e.getBoundingClientRect();
                if (!(r.width > 0 && r.height > 0) || r.left < wr.left - 1 || r.right > wr.right + 1) bad.push(e.textContent);
              });
              o.badBoxes = bad;
              o.bidi = getComputedStyle(win.children[1]).unicodeBidi;
              o.whiteSpace = getComputedStyle(win).whiteSpace;
              var neg = d.querySelector('.toks > span.n');
              o.negBg = neg ? getComputedStyle(neg).backgroundColor : null;
              mx[0].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
              var tip = d.getElementById('tip');
              o.tip = tip.textContent; o.tipShown = !tip.hidden;
              d.body.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
              o.tipHiddenAfter = tip.hidden; o.titleRestored = mx[0].getAttribute('title');
              o.density = (d.getElementById('density') || {}).textContent;
              o.histBars = d.querySelectorAll('svg.hist rect').length;
              o.histTitles = Array.prototype.map.call(d.querySelectorAll('svg.hist rect title'), function (e) { return e.textContent; });
              o.quantiles = d.querySelectorAll('details.quantile').length;
              o.quantilesOpen = d.querySelectorAll('details.quantile[open]').length;
              o.quantileTokens = Array.prototype.map.call(d.querySelectorAll('details.quantile .toks.win > span'), function (e) { return e.textContent; });
              var btn = d.getElementById('expand');
              o.expandShown = !btn.hidden; btn.click();
              var qb = d.querySelectorAll('details.quantile .toks.win > span'), qbad = 0;
              Array.prototype.forEach.call(qb, function (e) { var r = e.getBoundingClientRect(); if (!(r.width > 0 && r.height > 0)) qbad++; });
              o.quantileBadBoxes = qbad;
              o.quantileMaxBg = getComputedStyle(d.querySelector('details.quantile .toks > span.mx')).backgroundColor;
              o.openAfterExpand = d.querySelectorAll('details[open]').length;
              o.details = d.querySelectorAll('details').length;
              var pre = d.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(o); d.body.appendChild(pre);
            })();
            """;

    static final String INDEX_PROBE = """
            (function () {
              var d = document, o = {}, q = d.getElementById('q');
              o.js = d.documentElement.getAttribute('data-js');
              o.rows = d.querySelectorAll('#neurons tbody tr').length;
              q.value = '4'; q.dispatchEvent(new Event('input'));
              o.count = d.getElementById('count').textContent;
              o.visible = Array.prototype.filter.call(d.querySelectorAll('#neurons tbody tr'), function (r) { return !r.hidden; })
                .map(function (r) { return r.getAttribute('data-n'); });
              q.value = ''; q.dispatchEvent(new Event('input'));
              var th = d.querySelectorAll('#neurons th')[1]; th.click(); th.click();
              o.firstAfterSort = d.querySelector('#neurons tbody tr').getAttribute('data-n');
              var dh = d.querySelector('#neurons th[data-sort="data-density"]'); dh.click(); dh.click();
              o.firstByDensity = d.querySelector('#neurons tbody tr').getAttribute('data-n');
              dh.click();
              o.lastByDensity = d.querySelector('#neurons tbody tr:last-child').getAttribute('data-n');
              var pre = d.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(o); d.body.appendChild(pre);
            })();
            """;

    /** The page with the probe appended and allowed by hash in its CSP. */
    static String withProbe(String html, String probe) throws Exception {
        String hash = Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(probe.getBytes(StandardCharsets.UTF_8)));
        int csp = html.indexOf("script-src ");
        assertTrue(csp > 0, "page has a CSP");
        html = html.substring(0, csp) + "script-src 'sha256-" + hash + "' " + html.substring(csp + "script-src ".length());
        int body = html.lastIndexOf("</body>");
        return html.substring(0, body) + "<script>" + probe + "</script>\n" + html.substring(body);
    }

    static JsonNode probe(Chromium.Run run) throws Exception {
        Matcher m = Pattern.compile("<pre id=\"probe\">(.*?)</pre>", Pattern.DOTALL).matcher(run.stdout());
        assertTrue(m.find(), "the probe ran; console: " + run.console());
        String json = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u00A0").replace("&amp;", "&");
        return new ObjectMapper().readTree(json);
    }

    /** Nothing was blocked, failed or thrown: the page made no request and hit no CSP violation. */
    static void quietConsole(Chromium.Run run) {
        for (String line : run.console()) {
            assertFalse(line.contains("Content Security Policy") || line.contains("Uncaught") || line.contains("Failed to load")
                    || line.contains("ERR_") || line.contains("Error"), "console: " + line);
        }
        assertFalse(run.log().contains("net::ERR_"), "a network request failed");
    }

    @Test
    void hostilePageIsInertReadableAndLaidOut(@TempDir Path dir) throws Exception {
        NeuronReport r = SampleReports.hostile();
        Path page = dir.resolve("5.html");
        Files.writeString(page, withProbe(HtmlPage.render(r), PAGE_PROBE));
        Chromium.Run run = Chromium.run(chromium, dir, page.toUri().toString(), "--window-size=1000,1400", "--dump-dom");
        assertEquals(0, run.exit(), run.log());
        JsonNode o = probe(run);
        quietConsole(run);

        // injected markup did nothing and reads as the literal text
        assertEquals("ready", o.get("js").asText(), "our script ran (its CSP hash is right)");
        assertTrue(o.get("title").asText().startsWith("L0N5 \u00B7 gelu-1l</script><script>document.title='PWNED'"), o.get("title").asText());
        assertEquals(0, o.get("pwned").asInt());
        assertEquals(0, o.get("imgs").asInt());
        assertEquals(3, o.get("scripts").asInt(), "data block, page script, probe: and no other");
        assertFalse(run.stdout().contains("<img"), "no img element in the DOM");
        assertEquals(r.model(), o.get("model").asText(), "JSON in <script> decodes to the original string");
        assertEquals(r.dataset(), o.get("dataset").asText());
        assertEquals("gelu-1l</script><script>document.title='PWNED'</script>\u27E8U+2028\u27E9", o.get("headerModel").asText());
        List<String> shown = new java.util.ArrayList<>();
        o.get("windowTokens").forEach(x -> shown.add(x.asText()));
        assertTrue(shown.contains(SampleReports.PWN_SCRIPT), shown.toString());
        assertTrue(shown.contains(SampleReports.PWN_IMG), shown.toString());
        assertTrue(shown.contains("</textarea>") && shown.contains("</script>") && shown.contains("<!--"), shown.toString());
        assertTrue(shown.contains("\u27E8ESC\u27E9[31mred\u27E8ESC\u27E9[0m"), "escape sequence visible");
        assertTrue(shown.contains("\u27E8U+202E\u27E9evil\u27E8U+202C\u27E9"), "bidi override visible, not applied");
        assertTrue(shown.contains(" \u0645\u0631\u062D\u0628\u0627") && shown.contains(" \u05E9\u05DC\u05D5\u05DD"), "Arabic, Hebrew");
        assertTrue(shown.contains(" \uD83E\uDDE0") && shown.contains("\uFFFD"), "emoji and split characters");
        assertTrue(shown.contains("\u21E5\t\u21E5\t") && shown.contains("    "), "tabs and spaces kept");

        // colours and hover values
        assertEquals("rgb(47, 111, 237)", o.get("maxBg").get(0).asText(), "the max token is full blue");
        assertEquals("solid", o.get("maxOutline").asText(), "and outlined");
        assertTrue(o.get("negBg").asText().startsWith("rgba(229, 72, 77,"), "negative tokens: red, translucent: " + o.get("negBg"));
        assertEquals("4.5000  \u201C NEWS\u201D", o.get("maxTitle").asText());
        assertTrue(o.get("tipShown").asBoolean());
        assertTrue(o.get("tip").asText().contains("\u201C NEWS\u201D") && o.get("tip").asText().contains("activation 4.5000")
                && o.get("tip").asText().contains("token 25"), o.get("tip").asText());
        assertTrue(o.get("tipHiddenAfter").asBoolean());
        assertEquals("4.5000  \u201C NEWS\u201D", o.get("titleRestored").asText(), "the title comes back after hover");
        assertTrue(o.get("expandShown").asBoolean());
        assertEquals(o.get("details").asInt(), o.get("openAfterExpand").asInt(), "expand all opens every full text");

        // the statistics: density, histogram bars with their ranges, quantile intervals collapsed until opened
        assertEquals("1.23%", o.get("density").asText());
        assertEquals(25, o.get("histBars").asInt(), "bars from the first (<= 0) to the last non-empty bin (24)");
        assertTrue(o.get("histTitles").get(0).asText().endsWith(": 3 documents") && o.get("histTitles").get(0).asText().startsWith("\u2264 0"),
                o.get("histTitles").toString());
        assertEquals(2, o.get("quantiles").asInt());
        assertEquals(0, o.get("quantilesOpen").asInt(), "quantile examples start collapsed");
        List<String> qt = new java.util.ArrayList<>();
        o.get("quantileTokens").forEach(x -> qt.add(x.asText()));
        assertTrue(qt.contains(SampleReports.PWN_SCRIPT) && qt.contains(SampleReports.PWN_IMG) && qt.contains("</details>"), qt.toString());
        assertTrue(qt.contains("\u27E8U+202E\u27E9q\u27E8U+202C\u27E9"), "bidi override visible in a quantile example: " + qt);
        assertEquals(0, o.get("quantileBadBoxes").asInt(), "every quantile token box has a size once opened");
        // on the top examples' scale (bound 4.5): a 0.9 max is a light blue, not the full blue of the top max
        assertTrue(o.get("quantileMaxBg").asText().startsWith("rgba(47, 111, 237,"), o.get("quantileMaxBg").asText());

        // layout: nothing overflows sideways, every token box has a size and stays in its block
        assertEquals("isolate", o.get("bidi").asText());
        assertEquals("pre-wrap", o.get("whiteSpace").asText());
        assertTrue(o.get("scrollWidth").asInt() <= o.get("innerWidth").asInt(),
                "horizontal overflow: " + o.get("scrollWidth") + " > " + o.get("innerWidth"));
        assertEquals(0, o.get("badBoxes").size(), "boxes out of place: " + o.get("badBoxes"));
    }

    @Test
    void samplePageScreenshotIsNotBlank(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("424.html");
        Files.writeString(page, HtmlPage.render(SampleReports.headlines(424, 8, 1)));
        Path png = dir.resolve("424.png");
        Chromium.Run run = Chromium.run(chromium, dir, page.toUri().toString(), "--hide-scrollbars",
                "--window-size=1200,1400", "--screenshot=" + png);
        assertEquals(0, run.exit(), run.log());
        quietConsole(run);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(1200, img.getWidth());
        assertEquals(1400, img.getHeight());
        int bg = img.getRGB(2, 2), differ = 0;
        Set<Integer> colours = new HashSet<>();
        int blue = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int c = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(c);
                if (c != (bg & 0xFFFFFF)) differ++;
                int r = c >> 16 & 255, g = c >> 8 & 255, b = c & 255;
                if (b > 200 && r < 120 && g < 160) blue++; // strongly activated token boxes
            }
        }
        int samples = (img.getWidth() / 2) * (img.getHeight() / 2);
        assertTrue(colours.size() > 100, "a real page has many colours, got " + colours.size());
        assertTrue(differ > samples / 10, "mostly blank: " + differ + " of " + samples);
        assertTrue(blue > 500, "blue token boxes visible: " + blue);
    }

    @Test
    void indexSearchAndSort(@TempDir Path dir) throws Exception {
        Path site = dir.resolve("site");
        Site.write(site, 6, SiteTest::report, SiteTest.META);
        Path index = site.resolve("index.html");
        Files.writeString(index, withProbe(Files.readString(index), INDEX_PROBE));
        Chromium.Run run = Chromium.run(chromium, dir, index.toUri().toString(), "--dump-dom");
        assertEquals(0, run.exit(), run.log());
        JsonNode o = probe(run);
        quietConsole(run);
        assertEquals("ready", o.get("js").asText());
        assertEquals(6, o.get("rows").asInt());
        assertEquals("1 of 6 neurons", o.get("count").asText());
        assertEquals("[\"4\"]", o.get("visible").toString());
        float best = -1;
        int bestN = -1;
        for (int n = 0; n < 6; n++) {
            float m = SiteTest.report(n).examples().getFirst().max();
            if (m > best) {
                best = m;
                bestN = n;
            }
        }
        assertEquals(String.valueOf(bestN), o.get("firstAfterSort").asText(), "sorted by max activation, largest first");
        int densest = 0;
        for (int n = 1; n < 6; n++) if (SiteTest.density(n) > SiteTest.density(densest)) densest = n;
        assertEquals(String.valueOf(densest), o.get("firstByDensity").asText(), "sorted by density, densest first");
        assertEquals(String.valueOf(densest), o.get("lastByDensity").asText(), "and ascending, densest last");
    }

    @Test
    void compareReportRendersWithItsScript(@TempDir Path dir) throws Exception {
        var report = CompareReport.of(CompareReportTest.ours(), "runs/x",
                NeuroscopePage.parse(NeuroscopePageTest.fixture(), "424.html"));
        Path page = dir.resolve("compare.html");
        Files.writeString(page, report.toHtml());
        Chromium.Run run = Chromium.run(chromium, dir, page.toUri().toString(), "--dump-dom");
        assertEquals(0, run.exit(), run.log());
        quietConsole(run);
        assertTrue(run.stdout().contains("data-js=\"ready\""), "page script ran");
        assertEquals(7, Pattern.compile("<article class=\"ex\"").matcher(run.stdout()).results().count(), "3 + 4 examples");
    }
}
