package neuroscan.view;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A neuroscope.io neuron page, parsed. Neuroscope writes, per example, {@code <h2>Text #i</h2>}, the
 * {@code <h4>} lines "Max Range", "Max Act", "Data Index" and "Max Activating Token Index", then
 * circuitsvis calls {@code render("circuits-vis-…", ColoredTokens, {"tokens": [...], "values": [...],
 * "minValue": …, "maxValue": …})} in {@code <script type="module">}: the truncated window first, inside
 * the {@code <summary>}, then the full text. Only the page's text is read; none of it is executed.
 *
 * @param source  where the page came from (file name or URL), for messages
 * @param model   the "Model:" heading, or null
 * @param dataset the "Dataset:" heading, or null
 * @param layer   from "Neuron n in Layer l", or null
 * @param neuron  from "Neuron n in Layer l", or null
 * @param logits  the "Direct Logit Effect" lists, or null when the page has none
 */
public record NeuroscopePage(String source, String model, String dataset, Integer layer, Integer neuron,
                             NeuronReport.Logits logits, List<Text> texts) {

    public NeuroscopePage {
        texts = List.copyOf(texts);
    }

    /** Tokens and their values from one ColoredTokens call. */
    public record Tokens(List<String> tokens, float[] values) {
        public Tokens {
            tokens = List.copyOf(tokens);
        }

        int argmax() {
            int best = 0;
            for (int i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
            return best;
        }
    }

    /**
     * One example ("Text #i").
     *
     * @param dataIndex     the document's index in neuroscope's dataset (C4 + code, not c4-10k)
     * @param dataSource    the text in parentheses after the index, e.g. "C4 (Web Text)", or null
     * @param maxTokenIndex the max-activating token's position in the full text
     * @param window        the truncated text around the max token
     * @param full          the full text, or null when the page has only the window
     */
    public record Text(int index, double maxRange, double minRange, double maxAct, double minAct, long dataIndex,
                       String dataSource, int maxTokenIndex, Tokens window, Tokens full) {

        /** The max-activating token's position in {@link #window()}. */
        public int windowMax() {
            if (full != null) {
                int start = Window.around(maxTokenIndex, full.tokens().size()).from();
                int i = maxTokenIndex - start;
                if (i >= 0 && i < window.tokens().size()) return i;
            }
            return window.argmax();
        }

        public String maxToken() {
            if (full != null && maxTokenIndex < full.tokens().size()) return full.tokens().get(maxTokenIndex);
            return window.tokens().get(windowMax());
        }
    }

    /** neuroscope.io's page of a neuron, e.g. https://neuroscope.io/gelu-1l/0/424.html. */
    public static String url(String model, int layer, int neuron) {
        return "https://neuroscope.io/" + model + "/" + layer + "/" + neuron + ".html";
    }

    /**
     * Reads a page from an http(s) URL (with {@code timeout} for connecting and for the whole
     * response) or from a saved file, and parses it.
     */
    public static NeuroscopePage load(String where, Duration timeout) {
        String lower = where.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) return parse(fetch(where, timeout), name(where));
        Path p = Path.of(where);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (IOException e) {
            throw new NeuroscanException(where + ": cannot read: " + AtomicFiles.describe(e));
        }
        return parse(new String(bytes, StandardCharsets.UTF_8), name(where));
    }

    static String fetch(String url, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(url + ": not a valid URL");
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).header("User-Agent", "neuroscan").GET().build();
        try (client) {
            HttpResponse<byte[]> resp = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (resp.statusCode() != 200) throw new NeuroscanException(url + ": HTTP " + resp.statusCode());
            return new String(resp.body(), StandardCharsets.UTF_8);
        } catch (HttpConnectTimeoutException e) {
            throw new NeuroscanException(url + ": no connection within " + seconds(timeout));
        } catch (HttpTimeoutException e) {
            throw new NeuroscanException(url + ": no answer within " + seconds(timeout));
        } catch (ConnectException e) {
            throw new NeuroscanException(url + ": cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (IOException e) {
            throw new NeuroscanException(url + ": cannot fetch: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NeuroscanException(url + ": interrupted");
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String name(String where) {
        String s = where;
        int q = s.indexOf('?');
        if (q >= 0) s = s.substring(0, q);
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        int slash = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        return slash >= 0 && slash < s.length() - 1 ? s.substring(slash + 1) : where;
    }

    // ---- parsing ----

    private static final String NUM = "(-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|-?nan|-?inf)";
    private static final Pattern TEXT = Pattern.compile("<h2>\\s*Text\\s*#\\s*(\\d+)\\s*</h2>", Pattern.CASE_INSENSITIVE);
    private static final Pattern MAX_RANGE = Pattern.compile(
            "Max\\s+Range:\\s*<b>\\s*" + NUM + "\\s*</b>[.\\s]*Min\\s+Range:\\s*<b>\\s*" + NUM, Pattern.CASE_INSENSITIVE);
    private static final Pattern MAX_ACT = Pattern.compile(
            "Max\\s+Act:\\s*<b>\\s*" + NUM + "\\s*</b>[.\\s]*Min\\s+Act:\\s*<b>\\s*" + NUM, Pattern.CASE_INSENSITIVE);
    private static final Pattern DATA_INDEX = Pattern.compile(
            "Data\\s+Index:\\s*<b>\\s*(\\d+)\\s*</b>[ \\t]*(?:\\(([^()<]*(?:\\([^()<]*\\)[^()<]*)*)\\))?", Pattern.CASE_INSENSITIVE);
    private static final Pattern MAX_TOKEN = Pattern.compile(
            "Max\\s+Activating\\s+Token\\s+Index:\\s*<b>\\s*(\\d+)\\s*</b>", Pattern.CASE_INSENSITIVE);
    private static final Pattern RENDER = Pattern.compile(
            "render\\(\\s*([\"'])(circuits-vis-[^\"']*)\\1\\s*,\\s*ColoredTokens\\s*,\\s*(?=\\{)");
    private static final Pattern NEURON = Pattern.compile(
            "<h2>\\s*Neuron\\s+(\\d+)\\s+in\\s+Layer\\s+(\\d+)\\s*</h2>", Pattern.CASE_INSENSITIVE);
    private static final Pattern LOGIT = Pattern.compile("<p\\s+style=['\"]\\s*color:\\s*(blue|red)[^>]*>\\s*#\\d+\\s+\\+?"
            + NUM + "\\s*<span\\s+class=['\"]token['\"]>(.*?)</span>\\s*</p>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern MODEL = Pattern.compile("<h1>\\s*Model:\\s*(.*?)</h1>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    private static final Pattern DATASET = Pattern.compile("<h1>\\s*Dataset:\\s*(.*?)</h1>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    /** Python's json.dumps writes NaN and Infinity for non-finite floats. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /**
     * Parses a page's text.
     *
     * @param source the page's name in error messages, e.g. "424.html"
     * @throws NeuroscanException one line naming the source and what is missing or malformed
     */
    public static NeuroscopePage parse(String html, String source) {
        List<int[]> heads = new ArrayList<>(); // {start of heading, end of heading, text number}
        Matcher m = TEXT.matcher(html);
        while (m.find()) heads.add(new int[]{m.start(), m.end(), Integer.parseInt(m.group(1))});
        boolean anyCalls = RENDER.matcher(html).find();
        if (heads.isEmpty()) {
            throw new NeuroscanException(source + (anyCalls
                    ? ": ColoredTokens calls but no <h2>Text #i</h2> headings: not a neuroscope neuron page"
                    : ": no ColoredTokens examples found: not a neuroscope neuron page"));
        }
        List<Text> texts = new ArrayList<>();
        for (int i = 0; i < heads.size(); i++) {
            int[] h = heads.get(i);
            int end = i + 1 < heads.size() ? heads.get(i + 1)[0] : html.length();
            texts.add(text(html.substring(h[1], end), h[2], source));
        }
        Integer layer = null, neuron = null;
        Matcher nm = NEURON.matcher(html);
        if (nm.find()) {
            neuron = Integer.valueOf(nm.group(1));
            layer = Integer.valueOf(nm.group(2));
        }
        return new NeuroscopePage(source, heading(MODEL, html), heading(DATASET, html), layer, neuron,
                logits(html.substring(0, heads.getFirst()[0])), texts);
    }

    /** Neuroscope's logit lines: blue for the top tokens, red for the bottom ones; the token is raw HTML. */
    private static NeuronReport.Logits logits(String header) {
        List<NeuronReport.TokenValue> top = new ArrayList<>(), bottom = new ArrayList<>();
        Matcher m = LOGIT.matcher(header);
        while (m.find()) {
            var tv = new NeuronReport.TokenValue(unescape(m.group(3)), (float) number(m.group(2)));
            (m.group(1).equalsIgnoreCase("blue") ? top : bottom).add(tv);
        }
        return top.isEmpty() && bottom.isEmpty() ? null : new NeuronReport.Logits(top, bottom);
    }

    private static String heading(Pattern p, String html) {
        Matcher m = p.matcher(html);
        if (!m.find()) return null;
        return unescape(m.group(1).replaceAll("<[^>]*>", "")).strip();
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    private static Text text(String section, int index, String source) {
        String where = source + ": Text #" + index;
        Matcher range = find(MAX_RANGE, section, where, "Max Range");
        Matcher act = find(MAX_ACT, section, where, "Max Act");
        Matcher data = find(DATA_INDEX, section, where, "Data Index");
        Matcher tok = find(MAX_TOKEN, section, where, "Max Activating Token Index");
        List<Tokens> calls = new ArrayList<>();
        Matcher r = RENDER.matcher(section);
        while (r.find()) calls.add(tokens(section, r.end(), where));
        if (calls.isEmpty()) throw new NeuroscanException(where + ": no ColoredTokens tokens");
        Tokens window = calls.getFirst(), full = calls.size() > 1 ? calls.getLast() : null;
        int maxIdx = parseInt(tok.group(1), where, "Max Activating Token Index");
        if (full != null && maxIdx >= full.tokens().size()) {
            throw new NeuroscanException(where + ": Max Activating Token Index " + maxIdx + " is beyond its "
                    + full.tokens().size() + " tokens");
        }
        long dataIndex;
        try {
            dataIndex = Long.parseLong(data.group(1));
        } catch (NumberFormatException e) {
            throw new NeuroscanException(where + ": Data Index " + data.group(1) + " is not a number");
        }
        return new Text(index, number(range.group(1)), number(range.group(2)), number(act.group(1)),
                number(act.group(2)), dataIndex, data.group(2) == null ? null : unescape(data.group(2)).strip(),
                maxIdx, window, full);
    }

    private static Matcher find(Pattern p, String section, String where, String what) {
        Matcher m = p.matcher(section);
        if (!m.find()) throw new NeuroscanException(where + ": no \"" + what + "\" line");
        return m;
    }

    private static int parseInt(String s, String where, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new NeuroscanException(where + ": " + what + " " + s + " is out of range");
        }
    }

    private static double number(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        if (l.endsWith("nan")) return Double.NaN;
        if (l.endsWith("inf")) return l.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        return Double.parseDouble(s);
    }

    /** The {"tokens": [...], "values": [...]} object that starts at {@code at}. */
    private static Tokens tokens(String section, int at, String where) {
        JsonNode o;
        try (JsonParser p = JSON.getFactory().createParser(section.substring(at))) {
            o = JSON.readTree(p);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new NeuroscanException(where + ": malformed ColoredTokens data: " + msg);
        }
        JsonNode toks = o == null ? null : o.get("tokens"), vals = o == null ? null : o.get("values");
        if (toks == null || !toks.isArray()) throw new NeuroscanException(where + ": ColoredTokens data has no \"tokens\" list");
        if (vals == null || !vals.isArray()) throw new NeuroscanException(where + ": ColoredTokens data has no \"values\" list");
        if (toks.size() != vals.size()) {
            throw new NeuroscanException(where + ": " + toks.size() + " tokens but " + vals.size() + " values");
        }
        List<String> t = new ArrayList<>(toks.size());
        float[] v = new float[vals.size()];
        for (int i = 0; i < toks.size(); i++) {
            JsonNode x = toks.get(i), y = vals.get(i);
            if (!x.isTextual()) throw new NeuroscanException(where + ": token " + i + " is not a string");
            if (!y.isNumber()) throw new NeuroscanException(where + ": value " + i + " is not a number");
            t.add(x.asText());
            v[i] = (float) y.asDouble();
        }
        if (t.isEmpty()) throw new NeuroscanException(where + ": ColoredTokens data has no tokens");
        return new Tokens(t, v);
    }
}
