package neuroscan.view;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import neuroscan.NeuroscanException;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything a neuron's page shows, and exactly what {@code show --format json} prints:
 * <pre>{"model","dataset","layer","neuron","logits":{"top":[{"token","value"}],"bottom":[...]},
 *  "examples":[{"rank","doc","max","min","pos","tokens":[...],"activations":[...]}]}</pre>
 * then, from the scan's statistics (absent for runs scanned before them):
 * <pre>"density": 0.12, "histogram": {"edges": [...], "counts": [...]},
 *  "quantiles": [{"range": [lo, hi], "examples": [...same shape as "examples"...]}]</pre>
 * The optional extras ({@code d_mlp}, {@code neuroscope}) come after those keys and only when set, so
 * the JSON of a report without them is exactly DESIGN.md's; readers ignore keys they do not know.
 *
 * @param logits     the direct logit effect, or null when the model has no unembedding
 * @param examples   the top-k examples, best first
 * @param dMlp       neurons in the layer; gives the page its next/random links (null: unknown)
 * @param neuroscope the neuroscope.io page of the same neuron, for a link (null: none)
 * @param nanCount   documents whose max activation was NaN and so are not among the examples (null: none)
 * @param nLayers    layers of the model, for a page's links to the same neuron in the other layers (null: one,
 *                   or unknown)
 * @param density    the fraction of scanned tokens where the activation is > 0 (null: not known)
 * @param histogram  the per-document maxima over fixed bins (null: not known)
 * @param quantiles  examples from activation intervals below the top k, lowest first (null: not known)
 */
@JsonPropertyOrder({"model", "dataset", "layer", "neuron", "logits", "examples", "density", "histogram", "quantiles", "d_mlp",
        "neuroscope", "nan_count", "n_layers"})
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NeuronReport(String model, String dataset, int layer, int neuron, Logits logits,
                           List<Example> examples,
                           @JsonProperty("d_mlp") Integer dMlp, String neuroscope,
                           @JsonProperty("nan_count") Long nanCount, @JsonProperty("n_layers") Integer nLayers,
                           Double density, Histogram histogram, List<Quantile> quantiles) {

    public NeuronReport {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(dataset, "dataset");
        examples = List.copyOf(examples);
        quantiles = quantiles == null ? null : List.copyOf(quantiles);
        if (nanCount != null && nanCount <= 0) nanCount = null;
        if (dMlp != null && (neuron < 0 || neuron >= dMlp)) {
            throw new IllegalArgumentException("neuron " + neuron + " outside 0.." + (dMlp - 1));
        }
        if (nLayers != null && (layer < 0 || layer >= nLayers)) {
            throw new IllegalArgumentException("layer " + layer + " outside 0.." + (nLayers - 1));
        }
    }

    public NeuronReport(String model, String dataset, int layer, int neuron, Logits logits, List<Example> examples,
                        Integer dMlp, String neuroscope, Long nanCount) {
        this(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, nanCount, null, null, null, null);
    }

    /** The same report knowing the model's layers (null: one). */
    public NeuronReport withLayers(Integer n) {
        return new NeuronReport(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, nanCount, n, density, histogram, quantiles);
    }

    /** A report with DESIGN.md's keys only. */
    public NeuronReport(String model, String dataset, int layer, int neuron, Logits logits, List<Example> examples) {
        this(model, dataset, layer, neuron, logits, examples, null, null, null);
    }

    /** A report with the page extras and no NaN count. */
    public NeuronReport(String model, String dataset, int layer, int neuron, Logits logits, List<Example> examples,
                        Integer dMlp, String neuroscope) {
        this(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, null);
    }

    /** The same report with documents whose max was NaN counted (0: none). */
    public NeuronReport withNanCount(long n) {
        return new NeuronReport(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, n, nLayers, density, histogram, quantiles);
    }

    /** Documents left out because their max was NaN (0: none). */
    public long nans() {
        return nanCount == null ? 0 : nanCount;
    }

    /** "no finite activation (N NaN)" for a neuron with no example but NaN maxima, else null. */
    public String noFiniteNote() {
        return examples.isEmpty() && nans() > 0 ? "no finite activation (" + nans() + " NaN)" : null;
    }

    /** The same report with the page extras set. */
    public NeuronReport withExtras(Integer dMlp, String neuroscope) {
        return new NeuronReport(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, nanCount, nLayers, density, histogram, quantiles);
    }

    /** The same report with the scan's statistics. */
    public NeuronReport withStats(Double density, Histogram histogram, List<Quantile> quantiles) {
        return new NeuronReport(model, dataset, layer, neuron, logits, examples, dMlp, neuroscope, nanCount, nLayers, density, histogram, quantiles);
    }

    /** "L0N424", neuroscope's name for a neuron. */
    public String label() {
        return "L" + layer + "N" + neuron;
    }

    /**
     * Documents per bin of their max activation: counts[i] holds maxima v with edges[i - 1] < v <= edges[i]
     * (counts[0]: v <= edges[0]; the last: v > the last edge), so counts has one entry more than edges
     * ({@code numpy.digitize(v, edges, right=True)} gives the bin).
     */
    @JsonPropertyOrder({"edges", "counts"})
    public record Histogram(float[] edges, long[] counts) {
        public Histogram {
            Objects.requireNonNull(edges, "edges");
            Objects.requireNonNull(counts, "counts");
            if (counts.length != edges.length + 1) {
                throw new IllegalArgumentException("a histogram has one count more than edges: " + counts.length + " counts, " + edges.length + " edges");
            }
        }

        /** All documents counted. */
        public long total() {
            long t = 0;
            for (long c : counts) t += c;
            return t;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Histogram h && Arrays.equals(edges, h.edges) && Arrays.equals(counts, h.counts);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(edges) * 31 + Arrays.hashCode(counts);
        }

        @Override
        public String toString() {
            return "Histogram" + Arrays.toString(counts);
        }
    }

    /** Examples whose max activation lies in (range[0], range[1]], a pseudo-random few of that interval's documents. */
    @JsonPropertyOrder({"range", "examples"})
    public record Quantile(float[] range, List<Example> examples) {
        public Quantile {
            Objects.requireNonNull(range, "range");
            if (range.length != 2) throw new IllegalArgumentException("a quantile range is [lo, hi], got " + range.length + " values");
            examples = List.copyOf(examples);
        }

        public float lo() {
            return range[0];
        }

        public float hi() {
            return range[1];
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Quantile q && Arrays.equals(range, q.range) && examples.equals(q.examples);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(range) * 31 + examples.hashCode();
        }

        @Override
        public String toString() {
            return "Quantile" + Arrays.toString(range) + examples;
        }
    }

    /** Top and bottom tokens of {@code W_out[n] @ W_U}: most promoted first, most suppressed first. */
    public record Logits(List<TokenValue> top, List<TokenValue> bottom) {
        public Logits {
            top = List.copyOf(top);
            bottom = List.copyOf(bottom);
        }
    }

    /** A token's display string and a value (a logit effect). */
    @JsonPropertyOrder({"token", "value"})
    public record TokenValue(String token, float value) {
        public TokenValue {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * One top-activating document with the neuron's activation at each of its tokens.
     *
     * @param rank        0 = the document with the largest activation
     * @param doc         the document's row index in the dataset
     * @param max         the largest activation in the document
     * @param min         the smallest activation in the document
     * @param pos         the position of the (first) largest activation
     * @param tokens      display strings of every token of the document (BOS included)
     * @param activations one per token
     */
    @JsonPropertyOrder({"rank", "doc", "max", "min", "pos", "tokens", "activations"})
    public record Example(int rank, int doc, float max, float min, int pos, List<String> tokens, float[] activations) {
        public Example {
            tokens = List.copyOf(tokens);
            Objects.requireNonNull(activations, "activations");
            if (tokens.size() != activations.length) {
                throw new IllegalArgumentException("example " + rank + " (doc " + doc + "): " + tokens.size()
                        + " tokens but " + activations.length + " activations");
            }
            if (!tokens.isEmpty() && (pos < 0 || pos >= tokens.size())) {
                throw new IllegalArgumentException("example " + rank + " (doc " + doc + "): max position " + pos
                        + " outside its " + tokens.size() + " tokens");
            }
        }

        /** An example whose max, min and (first) argmax are taken from the activations. */
        public static Example of(int rank, int doc, List<String> tokens, float[] activations) {
            if (activations.length == 0) throw new IllegalArgumentException("example " + rank + ": no tokens");
            int pos = 0;
            float max = activations[0], min = activations[0];
            for (int i = 1; i < activations.length; i++) {
                float a = activations[i];
                if (a > max) {
                    max = a;
                    pos = i;
                }
                if (a < min) min = a;
            }
            return new Example(rank, doc, max, min, pos, tokens, activations.clone());
        }

        /** The display string of the max-activating token. */
        public String maxToken() {
            return tokens.get(pos);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Example e && rank == e.rank && doc == e.doc && Float.compare(max, e.max) == 0
                    && Float.compare(min, e.min) == 0 && pos == e.pos && tokens.equals(e.tokens)
                    && Arrays.equals(activations, e.activations);
        }

        @Override
        public int hashCode() {
            return Objects.hash(rank, doc, max, min, pos, tokens, Arrays.hashCode(activations));
        }

        @Override
        public String toString() {
            return "Example[rank=" + rank + ", doc=" + doc + ", max=" + max + ", min=" + min + ", pos=" + pos
                    + ", " + tokens.size() + " tokens]";
        }
    }

    // ---- JSON ----

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper PRETTY = JSON.copy().enable(SerializationFeature.INDENT_OUTPUT);

    /** The mapper used for reports; shared because ObjectMapper is thread-safe once configured. */
    static ObjectMapper mapper() {
        return JSON;
    }

    /** {@code show --format json}: compact, one line. */
    public String toJson() {
        return write(JSON);
    }

    /** Indented JSON, for people. */
    public String toPrettyJson() {
        return write(PRETTY);
    }

    private String write(ObjectMapper m) {
        try {
            return m.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise report " + label(), e);
        }
    }

    /**
     * Reads a report written by {@link #toJson()} (or by another tool in the same format).
     *
     * @param source names the input in the error message
     */
    public static NeuronReport fromJson(String json, String source) {
        try {
            NeuronReport r = JSON.readValue(json, NeuronReport.class);
            if (r == null) throw new NeuroscanException(source + ": empty JSON");
            return r;
        } catch (JsonProcessingException e) {
            throw new NeuroscanException(source + ": not a neuron report: " + e.getOriginalMessage());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new NeuroscanException(source + ": not a neuron report: " + e.getMessage());
        }
    }
}
