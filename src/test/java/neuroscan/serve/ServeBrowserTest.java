package neuroscan.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.data.Tokenizer;
import neuroscan.engine.ReferenceForward;
import neuroscan.model.LoadedModel;
import neuroscan.model.ModelLoader;
import neuroscan.store.StoreFile;
import neuroscan.store.TopK;
import neuroscan.view.Chromium;
import neuroscan.view.Fmt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code serve} in a real headless Chromium driven by Selenium (Debian's chromium-driver): pages load and
 * link, typing into the interactive page colours the tokens by the reference forward pass of what was
 * typed, picking a neuron recolours them, errors show as the server's message, and the page's own
 * fetches pass its Content-Security-Policy. Skipped, saying why, where Chromium or ChromeDriver is missing.
 */
class ServeBrowserTest {
    @TempDir
    static Path tmp;
    static Path run;
    static ServeFixtures.Served served;
    static ChromeDriverService service;
    static WebDriver web;
    static LoadedModel model;
    static Tokenizer tokenizer;
    static TopK store;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = Chromium.find().orElse(null), driver = Chromium.findDriver().orElse(null);
        assumeTrue(chromium != null, "Chromium not installed ($NEUROSCAN_CHROMIUM, /usr/bin/chromium, ...): serve's browser tests skipped");
        assumeTrue(driver != null, "ChromeDriver not installed ($NEUROSCAN_CHROMEDRIVER, /usr/bin/chromedriver; Debian: chromium-driver): "
                + "serve's browser tests skipped");
        run = ServeFixtures.run(tmp);
        served = ServeFixtures.serve(run);
        model = ModelLoader.load(ServeFixtures.model(run));
        tokenizer = Tokenizer.load(ServeFixtures.model(run));
        store = StoreFile.read(run.resolve(StoreFile.NAME)).topK();
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium.toString());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--window-size=1200,1400", "--user-data-dir=" + Files.createDirectories(tmp.resolve("profile")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
        web = new ChromeDriver(service, o);
    }

    @AfterAll
    static void stop() {
        if (web != null) web.quit();
        if (service != null) service.stop();
        if (served != null) served.close();
        if (tokenizer != null) tokenizer.close();
    }

    /** No page broke its policy: a blocked script, style, request or form shows in the console. */
    @AfterEach
    void noPolicyViolation() {
        if (web != null) console();
    }

    /** The console since the last call, checked for policy violations and uncaught errors. */
    static List<String> console() {
        List<String> all = new ArrayList<>();
        for (LogEntry e : web.manage().logs().get(LogType.BROWSER)) {
            String m = e.getMessage();
            assertFalse(m.contains("Content Security Policy") || m.contains("Refused to") || m.contains("Uncaught"), m);
            all.add(m);
        }
        return all;
    }

    static String url(String path) {
        return served.uri(path).toString();
    }

    static WebDriverWait waiting() {
        return new WebDriverWait(web, Duration.ofSeconds(30));
    }

    @Test
    void neuronPagesAndTheIndexLoadAndLink() {
        web.get(url("/5.html"));
        assertTrue(web.getTitle().startsWith("L0N5"), web.getTitle());
        assertEquals("ready", web.findElement(By.tagName("html")).getAttribute("data-js"), "the page's script ran");
        assertEquals(ServeFixtures.K, web.findElements(By.cssSelector("section.examples > article.ex")).size(), "the top k; the quantile examples apart");
        WebElement max = web.findElement(By.cssSelector("#ex-0 .toks.win > span.mx"));
        assertEquals(Fmt.fixed(store.examples(5).getFirst().max(), 4), max.getAttribute("title").split(" ")[0],
                "the top example's max token shows the store's max");
        web.findElement(By.id("next")).click();
        waiting().until(d -> d.getTitle().startsWith("L0N6"));
        assertTrue(web.getCurrentUrl().endsWith("/6.html"), web.getCurrentUrl());
        web.findElement(By.id("index")).click();
        waiting().until(d -> d.getCurrentUrl().endsWith("/index.html"));
        web.findElement(By.id("q")).sendKeys("4");
        // index.js finds numbers by prefix: 4 and 40..49 of d_mlp 64
        List<String> shown = new ArrayList<>();
        for (WebElement r : web.findElements(By.cssSelector("#neurons tbody tr"))) if (r.isDisplayed()) shown.add(r.getAttribute("data-n"));
        assertEquals(List.of("4", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49"), shown);
    }

    /** The reference forward pass of {@code text}: the oracle for every number the page shows. */
    static float[] reference(String text) {
        return new ReferenceForward(model.weights()).activations(tokenizer.toTokens(text, model.cfg().nCtx()));
    }

    /** Waits until the page shows neuron {@code n} on {@code text}: every token, its value and colour from the reference. */
    static void showsTrace(String text, int n) {
        int[] ids = tokenizer.toTokens(text, model.cfg().nCtx());
        String[] display = tokenizer.displayTokens(ids);
        float[] post = reference(text);
        int dMlp = model.cfg().dMlp();
        List<String> want = new ArrayList<>();
        // a title shows a newline as the pages' glyph for it, U+21B5
        for (int p = 0; p < ids.length; p++) {
            want.add(Fmt.fixed(post[p * dMlp + n], 4) + "  \u201C" + display[p].replace("\n", "\u21B5") + "\u201D");
        }
        String sel = "#results .result[data-neuron='" + n + "'] .toks.trace > span";
        // one script reads every box at once, so a result swapped in meanwhile cannot mix two answers
        String read = "return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (s) {"
                + " return [s.getAttribute('title'), s.getAttribute('style') || '', s.className, getComputedStyle(s).backgroundColor]; });";
        List<List<String>> boxes = new ArrayList<>();
        waiting().withMessage(() -> ("neuron " + n + " on " + text + ": " + boxes.stream().map(b -> b.get(0)).toList() + " want " + want).replace('\n', '|')).until(d -> {
            @SuppressWarnings("unchecked")
            List<List<String>> got = (List<List<String>>) ((JavascriptExecutor) d).executeScript(read, sel);
            boxes.clear();
            boxes.addAll(got);
            return got.stream().map(b -> b.get(0)).toList().equals(want);
        });
        // the colours follow the page's rule: intensity |v| / (the neuron's top activation in the run), shown from 5%
        double bound = store.examples(n).getFirst().max();
        for (int p = 0; p < ids.length; p++) {
            float v = post[p * dMlp + n];
            double a = Math.min(1, Math.abs(v) / bound);
            String style = boxes.get(p).get(1), cls = boxes.get(p).get(2), bg = boxes.get(p).get(3);
            if (a >= 0.05) {
                assertTrue(style.contains("--a:"), p + ": coloured " + style);
                double shown = Double.parseDouble(style.replaceAll(".*--a:\\s*([0-9.]+).*", "$1"));
                assertEquals(Math.round(a * 100) / 100.0, shown, 1e-9, "token " + p);
                assertFalse(bg.equals("rgba(0, 0, 0, 0)") || bg.equals("transparent"), p + ": " + bg);
                assertEquals(v < 0, List.of(cls.split(" ")).contains("n"), p + ": negative is red");
            } else {
                assertFalse(style.contains("--a:"), p + ": not coloured below 5%: " + style);
            }
        }
    }

    @Test
    void typingColoursTheTokensByTheReferenceForward() throws Exception {
        web.get(url("/trace?neuron=7"));
        assertEquals("ready", web.findElement(By.tagName("html")).getAttribute("data-js"));
        WebElement text = web.findElement(By.id("text"));
        text.sendKeys("THE QUICK brown fox");
        showsTrace("THE QUICK brown fox", 7);
        text.sendKeys(" JUMPS over\n<b>it</b>");
        String typed = "THE QUICK brown fox JUMPS over\n<b>it</b>";
        showsTrace(typed, 7);
        assertEquals(0, web.findElements(By.cssSelector("#results b b, #results script")).size(), "typed markup stayed text");
        assertTrue(web.getCurrentUrl().contains("text=THE+QUICK+brown+fox+JUMPS"), "the URL keeps the text: " + web.getCurrentUrl());

        // the same numbers as the API (which is trace --format json)
        JsonNode api = new ObjectMapper().readTree(ServeFixtures.get(served.uri("/api/trace?neuron=7&text=" + ServeFixtures.q(typed))).body());
        List<WebElement> spans = web.findElements(By.cssSelector("#results .toks.trace > span"));
        assertEquals(api.get("activations").size(), spans.size());
        for (int p = 0; p < spans.size(); p++) {
            assertEquals(Fmt.fixed(api.get("activations").get(p).floatValue(), 4), spans.get(p).getAttribute("title").split(" ")[0]);
        }

        // the neurons that fire most: brute force over the reference activations
        float[] post = reference(typed);
        int dMlp = model.cfg().dMlp(), len = post.length / dMlp;
        List<int[]> order = new ArrayList<>();
        float[] max = new float[dMlp];
        for (int n = 0; n < dMlp; n++) {
            max[n] = Float.NEGATIVE_INFINITY;
            for (int p = 0; p < len; p++) max[n] = Math.max(max[n], post[p * dMlp + n]);
            order.add(new int[]{n});
        }
        order.sort(Comparator.comparingDouble((int[] x) -> -max[x[0]]).thenComparingInt(x -> x[0]));
        List<WebElement> rows = web.findElements(By.cssSelector("#top-neurons tbody tr"));
        assertEquals(10, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            int n = order.get(i)[0];
            assertEquals(String.valueOf(n), rows.get(i).getAttribute("data-n"), "rank " + i);
            assertEquals(Fmt.fixed(max[n], 4), rows.get(i).findElements(By.tagName("td")).get(1).getText());
        }

        // pick another neuron from that list: the text is coloured by it
        WebElement second = rows.get(1);
        int picked = Integer.parseInt(second.getAttribute("data-n"));
        second.findElement(By.cssSelector("button[name=pick]")).click();
        showsTrace(typed, picked);
        assertEquals(String.valueOf(picked), web.findElement(By.id("neuron")).getAttribute("value"));
        assertTrue(web.findElement(By.id("page")).getAttribute("href").endsWith("/" + picked + ".html"));

        // or type a neuron number
        WebElement neuron = web.findElement(By.id("neuron"));
        neuron.clear();
        neuron.sendKeys("12");
        showsTrace(typed, 12);
    }

    /**
     * A 2-layer run: a layer's neuron page shows its statistics (density, the histogram's inline SVG, the quantile
     * intervals) within its policy, its links go to the same neuron in the other layer, and the interactive page's layer
     * picker colours the text by that layer's neuron (the reference forward of layer 1 as the oracle).
     */
    @Test
    void twoLayersPagesStatisticsAndTheLayerPicker() throws Exception {
        Path run2 = ServeFixtures.runTwoLayers(tmp.resolve("two"));
        LoadedModel m2 = ModelLoader.load(ServeFixtures.model(run2));
        try (ServeFixtures.Served s2 = ServeFixtures.serve(run2); Tokenizer tok2 = Tokenizer.load(ServeFixtures.model(run2))) {
            web.get(s2.uri("/1/5.html").toString());
            assertTrue(web.getTitle().startsWith("L1N5"), web.getTitle());
            assertEquals("ready", web.findElement(By.tagName("html")).getAttribute("data-js"));
            assertTrue(web.findElement(By.id("density")).isDisplayed());
            assertFalse(web.findElements(By.cssSelector("#distribution svg rect[data-bin]")).isEmpty(), "the histogram's bars");
            assertTrue(web.findElement(By.cssSelector("#distribution svg")).getSize().getWidth() > 0, "the SVG is drawn");
            web.findElement(By.cssSelector("nav.layers a.layer")).click();
            waiting().until(d -> d.getTitle().startsWith("L0N5"));
            assertTrue(web.getCurrentUrl().endsWith("/0/5.html"), web.getCurrentUrl());
            web.findElement(By.cssSelector("nav.layers a[href='../index.html']")).click();
            waiting().until(d -> d.findElements(By.cssSelector("a[href='1/index.html']")).size() == 1);

            String text = "THE QUICK brown fox";
            web.get(s2.uri("/trace?neuron=7").toString());
            new org.openqa.selenium.support.ui.Select(web.findElement(By.id("layer"))).selectByValue("1");
            web.findElement(By.id("text")).sendKeys(text);
            int[] ids = tok2.toTokens(text, m2.cfg().nCtx());
            float[] post = new ReferenceForward(m2.weights()).hookPost(ids, 1);
            int dMlp = m2.cfg().dMlp();
            String sel = "#results .result[data-layer='1'][data-neuron='7'] .toks.trace > span";
            waiting().until(d -> d.findElements(By.cssSelector(sel)).size() == ids.length);
            List<WebElement> spans = web.findElements(By.cssSelector(sel));
            for (int p = 0; p < ids.length; p++) {
                assertEquals(Fmt.fixed(post[p * dMlp + 7], 4), spans.get(p).getAttribute("title").split(" ")[0], "token " + p);
            }
            assertTrue(web.findElement(By.id("page")).getAttribute("href").endsWith("/1/7.html"));
            assertTrue(web.getCurrentUrl().contains("layer=1"), web.getCurrentUrl());
        }
    }

    @Test
    void errorsShowTheServersMessage() {
        web.get(url("/trace?neuron=3&text=hello"));
        showsTrace("hello", 3);
        ((JavascriptExecutor) web).executeScript("var t = document.getElementById('text'); t.value = 'x'.repeat(arguments[0]);"
                + "t.dispatchEvent(new Event('input'));", Limits.MAX_TEXT_BYTES + 1);
        waiting().until(d -> d.findElement(By.id("status")).getText()
                .equals("text is " + (Limits.MAX_TEXT_BYTES + 1) + " bytes; at most " + Limits.MAX_TEXT_BYTES));
        // the last good result stays
        assertEquals("3", web.findElement(By.cssSelector("#results .result")).getAttribute("data-neuron"));
        // and the console is read (so the policy check after each test sees it): the refused fetch is there
        List<String> console = console();
        assertTrue(console.stream().anyMatch(m -> m.contains("413")), console.toString());
    }

    @Test
    void theApiFromThePagesOrigin() throws Exception {
        web.get(url("/trace"));
        Object got = ((JavascriptExecutor) web).executeAsyncScript("var done = arguments[arguments.length - 1];"
                + "Promise.all([fetch('api/neurons?top=3&text=' + encodeURIComponent('Hi THERE')).then(function (r) { return r.text(); }),"
                + " fetch('/../../etc/passwd').then(function (r) { return r.status + ' ' + r.headers.get('Content-Type'); }),"
                + " fetch('/%2e%2e/%2e%2e/etc/passwd').then(function (r) { return r.status; })])"
                + ".then(function (v) { done(v); }, function (e) { done('failed: ' + e); });");
        assertTrue(got instanceof List<?>, String.valueOf(got));
        List<?> v = (List<?>) got;
        assertEquals(ServeFixtures.get(served.uri("/api/neurons?top=3&text=" + ServeFixtures.q("Hi THERE"))).body(), v.get(0));
        assertEquals("404 application/json; charset=utf-8", v.get(1));
        assertEquals(404L, ((Number) v.get(2)).longValue());
    }
}
