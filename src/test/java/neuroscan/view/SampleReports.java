package neuroscan.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Reports for tests: a headline-loving neuron on made-up text, and one full of hostile strings. */
final class SampleReports {
    private SampleReports() {
    }

    static final String PWN_SCRIPT = "<script>document.title='PWNED'</script>";
    static final String PWN_IMG = "\"><img src=x onerror=\"document.title='PWNED';document.body.appendChild(document.createElement('pwned'))\">";

    private static final String[] TEXTS = {
            "BREAKING NEWS: CITY COUNCIL APPROVES NEW BUDGET\nThe council voted on Tuesday to approve the plan, which "
                    + "adds money for parks and roads. Residents said\tthey were pleased.  Two spaces here.",
            "Product review\n\nTHE BEST COFFEE MAKER OF 2019 is back, and it still brews a great cup. We tested "
                    + "it for three weeks in our kitchen and liked the timer.",
            "It was a quiet morning in the village when the letter arrived at the post office on the corner of the "
                    + "market square, where the baker had already opened his shop and the children were on their way "
                    + "to school. NOTICE TO ALL RESIDENTS, it said in bold print, and everyone gathered to read it.",
            "def main():\n    print(\"HELLO WORLD\")\n    return 0\n\nif __name__ == '__main__':\n    main()",
            "Contact us at the FRONT DESK for more information about our SUMMER SALE and other offers.",
            "Posted by admin in Gardening\n\nTOP 10 TIPS FOR A BETTER GARDEN THIS SPRING\n1. Water early in the day.",
            "Track listing:\n1. \"LOVE ME DO\" (2:22)\n2. \"P.S. I LOVE YOU\" (2:04)\nRecorded in London in 1962.",
            "Terms apply. FREE SHIPPING ON ALL ORDERS OVER $50 within the continental US; see our FAQ for details.",
    };

    /** Words become tokens with their leading space; long capital words split into pieces, like BPE. */
    static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        out.add("<|BOS|>");
        int i = 0;
        while (i < text.length()) {
            int j = i;
            if (text.charAt(j) == ' ') j++;
            if (j < text.length() && Character.isLetterOrDigit(text.charAt(j))) {
                while (j < text.length() && Character.isLetterOrDigit(text.charAt(j))) j++;
            } else if (j < text.length()) {
                j++;
            }
            String w = text.substring(i, j);
            if (TokenText.allCaps(w) && w.strip().length() > 3) {
                int cut = w.startsWith(" ") ? 3 : 2;
                out.add(w.substring(0, cut));
                out.add(w.substring(cut));
            } else {
                out.add(w);
            }
            i = j;
        }
        return out;
    }

    /** Activation: high on capitals (more so after other capitals), about -0.1 elsewhere. */
    static float[] activate(List<String> tokens, Random rnd) {
        float[] a = new float[tokens.size()];
        boolean prevCaps = false;
        for (int i = 0; i < a.length; i++) {
            boolean caps = i > 0 && TokenText.allCaps(tokens.get(i));
            a[i] = caps ? (float) ((prevCaps ? 3.0 : 1.6) + rnd.nextDouble() * 1.8)
                    : (float) (-0.17 + rnd.nextDouble() * 0.35);
            prevCaps = caps;
        }
        return a;
    }

    static NeuronReport.Logits logits() {
        return new NeuronReport.Logits(
                List.of(new NeuronReport.TokenValue(" THE", 0.6123f), new NeuronReport.TokenValue(" NEWS", 0.5871f),
                        new NeuronReport.TokenValue("ING", 0.5012f), new NeuronReport.TokenValue(" OF", 0.4411f),
                        new NeuronReport.TokenValue(" AND", 0.4309f), new NeuronReport.TokenValue(" FOR", 0.4010f),
                        new NeuronReport.TokenValue(" TO", 0.3855f), new NeuronReport.TokenValue("\n", 0.3512f),
                        new NeuronReport.TokenValue(" A", 0.3301f), new NeuronReport.TokenValue(" IN", 0.3020f)),
                List.of(new NeuronReport.TokenValue(" the", -0.4402f), new NeuronReport.TokenValue(" of", -0.4001f),
                        new NeuronReport.TokenValue(" and", -0.3803f), new NeuronReport.TokenValue("ing", -0.3555f),
                        new NeuronReport.TokenValue(" to", -0.3320f)));
    }

    /** k examples built from the sample texts, sorted by max like a store would. */
    static NeuronReport headlines(int neuron, int k, long seed) {
        Random rnd = new Random(seed);
        List<NeuronReport.Example> ex = new ArrayList<>();
        for (int r = 0; r < k; r++) {
            String text = TEXTS[r % TEXTS.length];
            List<String> toks = tokenize(text);
            ex.add(NeuronReport.Example.of(0, 17 * r + 3, toks, activate(toks, rnd)));
        }
        return sorted("gelu-1l", "c4-10k", neuron, ex).withExtras(2048,
                "https://neuroscope.io/gelu-1l/0/" + neuron + ".html");
    }

    static NeuronReport sorted(String model, String dataset, int neuron, List<NeuronReport.Example> ex) {
        List<NeuronReport.Example> s = new ArrayList<>(ex);
        s.sort((a, b) -> Float.compare(b.max(), a.max()));
        List<NeuronReport.Example> ranked = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            var e = s.get(i);
            ranked.add(new NeuronReport.Example(i, e.doc(), e.max(), e.min(), e.pos(), e.tokens(), e.activations()));
        }
        return new NeuronReport(model, dataset, 0, neuron, logits(), ranked);
    }

    /** Hostile and awkward strings everywhere a dataset or model string can appear. */
    static NeuronReport hostile() {
        List<String> t = new ArrayList<>(List.of("<|BOS|>", PWN_SCRIPT, PWN_IMG, "</textarea>", "</script>",
                "<!--", " x", "\u001b[31mred\u001b[0m", "\u0000", "\u0007", "\r\n", "\u202Eevil\u202C",
                " \u0645\u0631\u062D\u0628\u0627", " \u0628\u0627\u0644\u0639\u0627\u0644\u0645", " \u05E9\u05DC\u05D5\u05DD",
                " \uD83E\uDDE0", "\uFFFD", "\uD83D", " caf\u00E9", "e\u0301", " \u4F60\u597D", "\t\t", "    ", "\n\n",
                " HEADLINE", " NEWS", "&amp;", "&lt;b&gt;", "\u2028", "'", "\"", "`", " ${x}", "javascript:alert(1)"));
        t.add("A".repeat(300));
        for (int i = 0; i < 30; i++) t.add(i % 2 == 0 ? " word" : " \u05E2\u05D1\u05E8\u05D9\u05EA");
        float[] a = new float[t.size()];
        for (int i = 0; i < a.length; i++) a[i] = (float) (Math.sin(i * 0.7) * 0.4);
        int max = t.indexOf(" NEWS");
        a[max] = 4.5f;
        a[max - 1] = 3.2f;
        a[t.indexOf(PWN_SCRIPT)] = -0.17f;
        var logits = new NeuronReport.Logits(
                List.of(new NeuronReport.TokenValue(PWN_SCRIPT, 0.5f), new NeuronReport.TokenValue("\u202E\u0000", 0.4f)),
                List.of(new NeuronReport.TokenValue(PWN_IMG, -0.5f)));
        var ex = List.of(NeuronReport.Example.of(0, 7, t, a),
                NeuronReport.Example.of(1, 8, List.of("</details>", "</summary>", PWN_SCRIPT), new float[]{0.5f, 1.5f, 0.25f}));
        return new NeuronReport("gelu-1l</script><script>document.title='PWNED'</script>\u2028",
                "c4" + PWN_IMG, 0, 5, logits, ex, 10, "javascript:document.title='PWNED'").withStats(0.0123, histogram(), hostileQuantiles());
    }

    /** A histogram over NeuronStats' bins: most documents low, a tail up to the top examples. */
    static NeuronReport.Histogram histogram() {
        float[] edges = neuroscan.store.NeuronStats.EDGES.clone();
        long[] counts = new long[edges.length + 1];
        counts[0] = 3;
        for (int b = 10; b < 26; b++) counts[b] = 40 - Math.abs(b - 17) * 5L;
        return new NeuronReport.Histogram(edges, counts);
    }

    /** Two intervals below the top examples whose tokens are as hostile as the top examples'. */
    static List<NeuronReport.Quantile> hostileQuantiles() {
        List<String> t = List.of(" low", PWN_SCRIPT, "</details>", "</summary>", PWN_IMG, "\u202Eq\u202C", " QUANTILE");
        float[] a = {0.1f, 0.3f, 0.2f, 0.05f, 0.4f, -0.1f, 0.9f};
        float[] b = {0.02f, 0.1f, 0.6f, 0.05f, 0.1f, -0.1f, 0.3f};
        return List.of(new NeuronReport.Quantile(new float[]{0f, 0.5f}, List.of(NeuronReport.Example.of(0, 40, t, b))),
                new NeuronReport.Quantile(new float[]{0.5f, 1f}, List.of(NeuronReport.Example.of(0, 41, t, a),
                        NeuronReport.Example.of(1, 42, List.of(PWN_SCRIPT), new float[]{0.7f}))));
    }
}
