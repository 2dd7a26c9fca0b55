package neuroscan.bench;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark report's charts: well-formed SVG, one mark per system, escaped text, right ticks and geometry. */
class SvgChartTest {
    static final String HOSTILE = "LibTorch <seed> & \"best\" 'x' \u0007</svg>";

    @Test
    void barsAreWellFormedWithOneBarPerSystemAndLengthsProportionalToValues() throws Exception {
        List<SvgChart.Bar> bars = List.of(new SvgChart.Bar("neuroscan CPU", 74527), new SvgChart.Bar(HOSTILE, 4406),
                new SvgChart.Bar("LibTorch best", 12243));
        Document doc = parse(SvgChart.bars("Throughput <tokens/s> & more", "tokens/s", bars));
        List<Element> rects = byClass(doc, "rect", "bar");
        assertEquals(3, rects.size());
        double w0 = num(rects.get(0), "width");
        for (int i = 0; i < 3; i++) {
            assertEquals(bars.get(i).value() / bars.get(0).value(), num(rects.get(i), "width") / w0, 1e-3, "bar " + i);
            assertEquals(SvgChart.COLORS[i], rects.get(i).getAttribute("fill"));
        }
        // 74,527 on a 0..80,000 axis of 10,000 steps: the longest bar ends at 74527/80000 of the axis
        List<String> texts = texts(doc);
        for (int t = 0; t <= 80_000; t += 10_000) assertTrue(texts.contains(String.format("%,d", t)), "tick " + t + " in " + texts);
        assertTrue(texts.contains("Throughput <tokens/s> & more"), "title round-trips through escaping");
        assertTrue(texts.contains("LibTorch <seed> & \"best\" 'x' \u27E8BEL\u27E9</svg>"), "label escaped, control as a glyph: " + texts);
        assertTrue(texts.contains("74,527") && texts.contains("4,406"), "value labels: " + texts);
        assertEquals(1, doc.getElementsByTagName("svg").getLength(), "the hostile label did not close the document");
    }

    @Test
    void linesHaveOnePolylinePerSeriesOnLogLogAxes() throws Exception {
        double[] n = {100, 300, 1000, 3000, 10000};
        List<SvgChart.Series> series = List.of(
                new SvgChart.Series("neuroscan CPU", n, new double[]{0.55, 1.6, 5.3, 16, 53}),
                new SvgChart.Series(HOSTILE, new double[]{100, 300, 1000, 3000, 10000}, new double[]{10, 31, 104, Double.NaN, 0}),
                new SvgChart.Series("LibTorch best", new double[]{100, 300, 1000, 3000}, new double[]{3.7, 11, 37, 110}));
        Document doc = parse(SvgChart.logLogLines("Scan time", "documents", "seconds", series));
        List<Element> lines = byClass(doc, "polyline", "series");
        assertEquals(3, lines.size());
        double[][] p0 = points(lines.get(0)), p1 = points(lines.get(1));
        assertEquals(5, p0.length);
        assertEquals(3, p1.length, "NaN and 0 are not plotted");
        // x is log10: 100 -> 1000 -> 10000 are equally spaced, 300 sits at log10(3) of a decade
        double decade = p0[2][0] - p0[0][0];
        assertEquals(decade, p0[4][0] - p0[2][0], 0.11);
        assertEquals(Math.log10(3) * decade, p0[1][0] - p0[0][0], 0.11);
        // y is log10 and grows upwards: 0.55 s -> 5.3 s is log10(5.3 / 0.55) decades higher (smaller SVG y)
        double yDecade = p1[1][1] - p1[2][1];   // 31 -> 104 s, 0.526 decades
        assertEquals(Math.log10(104 / 31.0), yDecade / yPerDecade(doc), 1e-2);
        assertEquals(Math.log10(5.3 / 0.55), (p0[0][1] - p0[2][1]) / yPerDecade(doc), 1e-2);
        List<String> texts = texts(doc);
        for (String t : List.of("100", "300", "1,000", "3,000", "10,000", "0.1", "1", "10", "100", "1,000", "documents", "seconds")) {
            assertTrue(texts.contains(t), t + " in " + texts);
        }
        assertTrue(texts.contains("LibTorch <seed> & \"best\" 'x' \u27E8BEL\u27E9</svg>"), "legend text escaped");
        assertEquals(5 + 3 + 4, doc.getElementsByTagName("circle").getLength(), "one marker per plotted point");
        // the legend: one entry per series in the series' colour, right of every point
        Element legend = byClass(doc, "g", "legend").getFirst();
        NodeList keys = legend.getElementsByTagName("line");
        assertEquals(3, keys.getLength());
        double rightmost = 0;
        for (Element l : lines) for (double[] p : points(l)) rightmost = Math.max(rightmost, p[0]);
        for (int i = 0; i < 3; i++) {
            assertEquals(lines.get(i).getAttribute("stroke"), ((Element) keys.item(i)).getAttribute("stroke"));
            assertEquals(lines.get(i).getAttribute("stroke-dasharray"), ((Element) keys.item(i)).getAttribute("stroke-dasharray"));
            assertTrue(num((Element) keys.item(i), "x1") > rightmost, "legend does not cover the plot");
        }
        assertEquals(series.get(2).name(), legend.getElementsByTagName("text").item(2).getTextContent());
    }

    @Test
    void ticks() {
        assertArrayEquals(new double[]{0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000, 80_000}, SvgChart.linearTicks(74527));
        assertArrayEquals(new double[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, SvgChart.linearTicks(10), "ends on max when max is a tick");
        assertArrayEquals(new double[]{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, SvgChart.linearTicks(1));
        assertArrayEquals(new double[]{0, 200, 400, 600, 800, 1000, 1200, 1400}, SvgChart.linearTicks(1234), "13 steps of 100 would be too many");
        assertArrayEquals(new double[]{100, 300, 1000, 3000, 10000}, SvgChart.logTicks(100, 10000));
        assertArrayEquals(new double[]{0.01, 0.1, 1, 10, 100, 1000}, SvgChart.logTicks(0.01, 1000), "5 decades: powers only");
        assertArrayEquals(new double[]{0.01, 1000}, SvgChart.decades(0.055, 700));
        assertArrayEquals(new double[]{100, 1000}, SvgChart.decades(100, 100), "one value still gets a decade");
        assertArrayEquals(new double[]{100, 10000}, SvgChart.decades(100, 10000), "exact powers are not widened");
        assertEquals("0.03", SvgChart.label(0.03));
        assertEquals("12,243", SvgChart.label(12243.4));
        assertEquals("718.4", SvgChart.label(718.43), "4 significant digits below 1,000");
        assertEquals("1,000", SvgChart.label(999.99));
        assertEquals("1.5", SvgChart.label(1.5));
        assertEquals("0", SvgChart.label(0));
    }

    @Test
    void badInput() {
        assertThrows(IllegalArgumentException.class, () -> SvgChart.bars("t", "v", List.of()));
        assertThrows(IllegalArgumentException.class, () -> SvgChart.bars("t", "v", List.of(new SvgChart.Bar("a", Double.NaN))));
        assertThrows(IllegalArgumentException.class, () -> new SvgChart.Series("a", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> SvgChart.logLogLines("t", "x", "y",
                List.of(new SvgChart.Series("a", new double[]{1}, new double[]{0}))));
    }

    /** Pixels per decade of the y axis, from the positions of its 1 and 10 tick labels. */
    private static double yPerDecade(Document doc) {
        double y1 = Double.NaN, y10 = Double.NaN;
        NodeList ts = doc.getElementsByTagName("text");
        for (int i = 0; i < ts.getLength(); i++) {
            Element t = (Element) ts.item(i);
            if (!"end".equals(t.getAttribute("text-anchor"))) continue;    // y tick labels are right-aligned
            if (t.getTextContent().equals("1")) y1 = num(t, "y");
            if (t.getTextContent().equals("10")) y10 = num(t, "y");
        }
        return y1 - y10;
    }

    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document d = f.newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
        assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
        return d;
    }

    private static List<Element> byClass(Document d, String tag, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList l = d.getElementsByTagName(tag);
        for (int i = 0; i < l.getLength(); i++) {
            Element e = (Element) l.item(i);
            if (cls.equals(e.getAttribute("class"))) out.add(e);
        }
        return out;
    }

    private static List<String> texts(Document d) {
        List<String> out = new ArrayList<>();
        NodeList l = d.getElementsByTagName("text");
        for (int i = 0; i < l.getLength(); i++) out.add(l.item(i).getTextContent());
        return out;
    }

    private static double num(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }

    private static double[][] points(Element polyline) {
        String[] pts = polyline.getAttribute("points").trim().split(" ");
        double[][] out = new double[pts.length][];
        for (int i = 0; i < pts.length; i++) {
            String[] xy = pts[i].split(",");
            out[i] = new double[]{Double.parseDouble(xy[0]), Double.parseDouble(xy[1])};
        }
        return out;
    }
}
