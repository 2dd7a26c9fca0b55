package neuroscan.view;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeuronReportTest {

    private static NeuronReport small() {
        var logits = new NeuronReport.Logits(List.of(new NeuronReport.TokenValue(" THE", 0.61f)),
                List.of(new NeuronReport.TokenValue(" the", -0.4f)));
        var ex = new NeuronReport.Example(0, 11, 5.0445f, -0.1698f, 1, List.of("<|BOS|>", " NEWS", "\n"),
                new float[]{-0.1698f, 5.0445f, 0.25f});
        return new NeuronReport("gelu-1l", "c4-10k", 0, 424, logits, List.of(ex));
    }

    /** The oracle is DESIGN.md's `show --format json` layout, written out by hand. */
    @Test
    void jsonIsExactlyTheDesignFormat() {
        String expected = "{\"model\":\"gelu-1l\",\"dataset\":\"c4-10k\",\"layer\":0,\"neuron\":424,"
                + "\"logits\":{\"top\":[{\"token\":\" THE\",\"value\":0.61}],\"bottom\":[{\"token\":\" the\",\"value\":-0.4}]},"
                + "\"examples\":[{\"rank\":0,\"doc\":11,\"max\":5.0445,\"min\":-0.1698,\"pos\":1,"
                + "\"tokens\":[\"<|BOS|>\",\" NEWS\",\"\\n\"],\"activations\":[-0.1698,5.0445,0.25]}]}";
        assertEquals(expected, small().toJson());
    }

    @Test
    void extrasComeLastAndOnlyWhenSet() {
        String plain = small().toJson();
        String expected = plain.substring(0, plain.length() - 1)
                + ",\"d_mlp\":2048,\"neuroscope\":\"https://neuroscope.io/gelu-1l/0/424.html\"}";
        assertEquals(expected, small().withExtras(2048, "https://neuroscope.io/gelu-1l/0/424.html").toJson());
        assertEquals(plain.substring(0, plain.length() - 1) + ",\"d_mlp\":2048}", small().withExtras(2048, null).toJson());
    }

    @Test
    void roundTripsAndIgnoresUnknownKeys() {
        var r = small().withExtras(2048, null);
        assertEquals(r, NeuronReport.fromJson(r.toJson(), "r.json"));
        assertEquals(r, NeuronReport.fromJson(r.toPrettyJson(), "r.json"));
        String withUnknown = r.toJson().replace("\"layer\":0", "\"layer\":0,\"backend\":\"cuda\"");
        assertEquals(r, NeuronReport.fromJson(withUnknown, "r.json"));
    }

    /** The statistics' keys, written out by hand: after "examples", before the extras. */
    @Test
    void statsKeysFollowTheExamples() {
        var q = new NeuronReport.Example(0, 3, 0.5f, -0.1f, 0, List.of("<|BOS|>"), new float[]{0.5f});
        var r = small().withExtras(2048, null).withStats(0.25, new NeuronReport.Histogram(new float[]{0f, 1f}, new long[]{2, 0, 1}),
                List.of(new NeuronReport.Quantile(new float[]{0f, 1f}, List.of(q))));
        String plain = small().toJson();
        String expected = plain.substring(0, plain.length() - 1) + ",\"density\":0.25,\"histogram\":{\"edges\":[0.0,1.0],\"counts\":[2,0,1]},"
                + "\"quantiles\":[{\"range\":[0.0,1.0],\"examples\":[{\"rank\":0,\"doc\":3,\"max\":0.5,\"min\":-0.1,\"pos\":0,"
                + "\"tokens\":[\"<|BOS|>\"],\"activations\":[0.5]}]}],\"d_mlp\":2048}";
        assertEquals(expected, r.toJson());
        assertEquals(r, NeuronReport.fromJson(r.toJson(), "r.json"));
        var e = assertThrows(NeuroscanException.class, () -> NeuronReport.fromJson(r.toJson().replace("[2,0,1]", "[2,0]"), "r.json"));
        assertTrue(e.getMessage().contains("one count more than edges"), e.getMessage());
    }

    @Test
    void badJsonIsOneLineNamingTheSource() {
        var e = assertThrows(NeuroscanException.class, () -> NeuronReport.fromJson("{\"model\": [", "424.json"));
        assertTrue(e.getMessage().startsWith("424.json: not a neuron report"), e.getMessage());
        String mismatched = small().toJson().replace("[-0.1698,5.0445,0.25]", "[-0.1698,5.0445]");
        e = assertThrows(NeuroscanException.class, () -> NeuronReport.fromJson(mismatched, "424.json"));
        assertTrue(e.getMessage().contains("3 tokens but 2 activations"), e.getMessage());
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
    }

    @Test
    void exampleOfTakesMaxMinAndFirstArgmax() {
        var e = NeuronReport.Example.of(2, 9, List.of("a", "b", "c", "d"), new float[]{0.5f, 2f, -1f, 2f});
        assertEquals(2f, e.max());
        assertEquals(-1f, e.min());
        assertEquals(1, e.pos(), "ties: the first position, like the store's argmax");
        assertEquals("b", e.maxToken());
    }

    @Test
    void exampleChecksItsShape() {
        assertThrows(IllegalArgumentException.class, () ->
                new NeuronReport.Example(0, 1, 1f, 0f, 3, List.of("a", "b"), new float[]{0, 1}));
        assertThrows(IllegalArgumentException.class, () ->
                new NeuronReport.Example(0, 1, 1f, 0f, 0, List.of("a", "b"), new float[]{0}));
        assertThrows(IllegalArgumentException.class, () -> small().withExtras(424, null), "neuron 424 of 424");
    }
}
