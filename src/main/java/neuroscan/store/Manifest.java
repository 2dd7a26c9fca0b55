package neuroscan.store;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code manifest.json}: what a run directory holds and how it was made. Written pretty-printed and
 * atomically: first with {@code complete = false} when a scan starts (so a resume can check that it
 * continues the same scan), last with {@code complete = true}, after the store and token cache, so a
 * complete manifest means the whole run is there. Unknown keys are ignored on read (newer versions).
 *
 * @param hook           the scanned hook, {@code hook_post} or {@code hook_mid} (SoLU); manifests of single-layer runs
 *                       written before more layers said {@code blocks.0.mlp.hook_post}, read as hook_post
 * @param nLayers        layers scanned, each of {@code dMlp} neurons (absent in older manifests: 1)
 * @param requestedRange the {@code --doc-range}/{@code --max-docs} asked for, as {@code A:B} or {@code A:}
 * @param docStart       first global document index scanned
 * @param docEnd         one past the last global document index scanned (final once complete)
 * @param datasetExhausted the dataset ended before the requested range did, so the run holds every
 *                       document from docStart on
 * @param padToken       the PAD id documents were padded with (only with includePadding)
 * @param nanSkipped     documents whose max was NaN (some activation NaN), refused entry to the store, summed
 *                       over neurons (should be 0)
 * @param nanNeurons     those refusals per neuron, for the neurons that have any (null, omitted: none)
 * @param backend        the engine that computed the activations ({@code Engine.describe()}); a resumed run
 *                       that changed engines says {@code "A, then B"}; a merged run lists its shards' backends,
 *                       comma-separated
 * @param topkMerge      where the running top-k store was merged: {@code "device"} (kept in GPU memory and
 *                       merged there, read back only at checkpoints and the end) or {@code "host"}
 *                       ({@code TopKScan.mergeLocation()}); composed like backend: {@code "host, then device"} for a
 *                       run resumed on another engine, {@code "host, device"} for a merge of shards that differ;
 *                       a manifest written before this field existed reads as {@code "host"}
 * @param screening      what the tensor-core screen of the MLP did (issue 14), summed over sessions and shards;
 *                       null (omitted) when no batch was screened
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(String format, String neuroscanVersion, boolean complete,
                       Artifact model, Artifact tokenizer, Artifact dataset,
                       String hook, Integer nLayers, int dMlp, int nCtx, int topK, boolean includePadding, Integer padToken,
                       String requestedRange, int docStart, int docEnd, boolean datasetExhausted,
                       long nDocs, long nTokens, long nanSkipped, java.util.SortedMap<Integer, Long> nanNeurons, String backend, String topkMerge, Timings timings,
                       String created, String finished, Screening screening) {

    /** A manifest without screening counters (every scan before issue 14, and every FP32-only one). */
    public Manifest(String format, String neuroscanVersion, boolean complete, Artifact model, Artifact tokenizer, Artifact dataset,
                    String hook, Integer nLayers, int dMlp, int nCtx, int topK, boolean includePadding, Integer padToken,
                    String requestedRange, int docStart, int docEnd, boolean datasetExhausted,
                    long nDocs, long nTokens, long nanSkipped, java.util.SortedMap<Integer, Long> nanNeurons, String backend,
                    String topkMerge, Timings timings, String created, String finished) {
        this(format, neuroscanVersion, complete, model, tokenizer, dataset, hook, nLayers, dMlp, nCtx, topK, includePadding, padToken,
                requestedRange, docStart, docEnd, datasetExhausted, nDocs, nTokens, nanSkipped, nanNeurons, backend, topkMerge,
                timings, created, finished, null);
    }

    /**
     * The screen's counters: (document, neuron) pairs screened, candidates recomputed in FP32, and the
     * fraction of pairs spared the recompute.
     */
    public record Screening(long pairsScreened, long candidatesRecomputed, double fractionSkipped) {
        public static Screening of(long screened, long recomputed) {
            return new Screening(screened, recomputed, screened == 0 ? 0 : 1.0 - (double) recomputed / screened);
        }

        /** a + b, either may be null (not screened). */
        public static Screening plus(Screening a, Screening b) {
            if (a == null) return b;
            if (b == null) return a;
            return of(a.pairsScreened + b.pairsScreened, a.candidatesRecomputed + b.candidatesRecomputed);
        }
    }

    /** {@link #topkMerge} of a manifest that predates the field: every scan merged on the host then. */
    public static final String TOPK_MERGE_DEFAULT = "host";

    public Manifest {
        if (topkMerge == null) topkMerge = TOPK_MERGE_DEFAULT;
        if (nLayers == null) nLayers = 1;   // written before multi-layer models: one layer
        if (Hook.normalize(hook) != null) hook = Hook.normalize(hook);
        nanNeurons = nanNeurons == null || nanNeurons.isEmpty() ? null
                : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(nanNeurons));
    }

    public static final String NAME = "manifest.json";
    public static final String FORMAT = "neuroscan-run/1";

    private static final String[] REQUIRED = {"complete", "model", "tokenizer", "dataset", "d_mlp", "n_ctx", "top_k",
            "include_padding", "requested_range", "doc_start", "doc_end", "dataset_exhausted", "n_docs", "n_tokens"};
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * A model, tokenizer or dataset: alias or HF repo id or local path, the resolved revision (commit)
     * and the sha256 of its main file (model_final.pth, tokenizer.json, the parquet); any may be null.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Artifact(String id, String revision, String sha256) {
        /** Same content: equal sha256 when both are known, else equal id and revision. */
        public boolean sameAs(Artifact o) {
            if (o == null) return false;
            if (sha256 != null && o.sha256 != null) return sha256.equalsIgnoreCase(o.sha256);
            return Objects.equals(id, o.id) && Objects.equals(revision, o.revision);
        }

        @Override
        public String toString() {
            String s = String.valueOf(id) + (revision == null ? "" : "@" + revision);
            return sha256 == null ? s : s + " (sha256 " + sha256.substring(0, Math.min(12, sha256.length())) + ")";
        }
    }

    /** What the inputs of a scan are; the identity a cached run is matched on. */
    public record Sources(Artifact model, Artifact tokenizer, Artifact dataset) {
    }

    /** A scan someone asks for: the flagship command reuses a cached run that {@link #matches} it. */
    public record Request(Sources sources, int topK, boolean includePadding, DocRange range) {
    }

    /** Seconds; summed over sessions of a resumed run and over the shards of a merged one. */
    public record Timings(double tokenizeS, double waitS, double computeS, double topkS, double checkpointS,
                          double totalS, int sessions) {
        public static final Timings ZERO = new Timings(0, 0, 0, 0, 0, 0, 0);

        public Timings plus(Timings o) {
            return new Timings(tokenizeS + o.tokenizeS, waitS + o.waitS, computeS + o.computeS, topkS + o.topkS,
                    checkpointS + o.checkpointS, totalS + o.totalS, sessions + o.sessions);
        }
    }

    public static String version() {
        String v = Manifest.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** What the store's neurons are; the store is [k, n_layers * d_mlp] in memory. */
    public Hook layers() {
        String h = Hook.normalize(hook);
        if (h == null) throw new NeuroscanException(NAME + ": hook is " + hook + ", expected hook_post or hook_mid");
        if (nLayers < 1 || (long) nLayers * dMlp > Integer.MAX_VALUE - 8) throw new NeuroscanException(NAME + ": n_layers is " + nLayers);
        return new Hook(h, nLayers, dMlp);
    }

    /** Every layer's neurons, n_layers * d_mlp (flat indices g = layer * d_mlp + n). */
    public int neurons() {
        return nLayers * dMlp;
    }

    public Sources sources() {
        return new Sources(model, tokenizer, dataset);
    }

    /** The documents actually covered (final once complete). */
    public DocRange docs() {
        return new DocRange(docStart, docEnd);
    }

    /** Whether this is a complete run of exactly the requested scan, so it can be reused. */
    public boolean matches(Request r) {
        return mismatch(r) == null;
    }

    /**
     * Why this run cannot stand for the requested scan (one phrase, e.g. "top_k is 10, requested 20"), or
     * null when it is complete and has the same model, tokenizer, dataset, k, padding and documents.
     */
    /** The NaN refusals of one neuron (0 when none or unknown). */
    public long nanCount(int neuron) {
        return nanNeurons == null ? 0 : nanNeurons.getOrDefault(neuron, 0L);
    }

    public String mismatch(Request r) {
        String why = identityMismatch(r);
        if (why != null) return why;
        if (!complete) return "the scan is not finished";
        DocRange want = r.range();
        boolean sameDocs = docStart == want.start()
                && (docEnd == want.end() || (datasetExhausted && want.end() >= docEnd));
        return sameDocs ? null : "documents are " + docs() + (datasetExhausted ? " (whole dataset)" : "") + ", requested " + want;
    }

    /** Why a partial run in this directory cannot be resumed for the requested scan, or null. */
    public String resumeMismatch(Request r) {
        String why = identityMismatch(r);
        if (why != null) return why;
        String want = r.range().toString();
        return want.equals(requestedRange) ? null : "document range is " + requestedRange + ", requested " + want;
    }

    private String identityMismatch(Request r) {
        Sources s = r.sources();
        if (!model.sameAs(s.model())) return "model is " + model + ", requested " + s.model();
        if (!tokenizer.sameAs(s.tokenizer())) return "tokenizer is " + tokenizer + ", requested " + s.tokenizer();
        if (!dataset.sameAs(s.dataset())) return "dataset is " + dataset + ", requested " + s.dataset();
        if (topK != r.topK()) return "top_k is " + topK + ", requested " + r.topK();
        if (includePadding != r.includePadding()) {
            return (includePadding ? "padding was included" : "padding was not included") + ", requested "
                    + (r.includePadding() ? "--include-padding" : "no padding");
        }
        return null;
    }

    public Manifest withComplete(boolean c, String finishedAt) {
        return new Manifest(format, neuroscanVersion, c, model, tokenizer, dataset, hook, nLayers, dMlp, nCtx, topK, includePadding,
                padToken, requestedRange, docStart, docEnd, datasetExhausted, nDocs, nTokens, nanSkipped, nanNeurons, backend, topkMerge,
                timings, created, finishedAt, screening);
    }

    /** Writes {@code dir/manifest.json} atomically. */
    public void write(Path dir) {
        try {
            AtomicFiles.writeString(dir.resolve(NAME), JSON.writeValueAsString(this) + "\n");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@code dir/manifest.json}. */
    public static Manifest read(Path dir) {
        Path f = dir.resolve(NAME);
        try {
            JsonNode tree = JSON.readTree(Files.readString(f));
            if (tree == null || !tree.isObject() || !FORMAT.equals(tree.path("format").asText(null))) {
                throw new NeuroscanException(f + ": not a neuroscan run manifest (format "
                        + (tree == null ? null : tree.path("format").asText(null)) + ", expected " + FORMAT + ")");
            }
            for (String key : REQUIRED) {  // absent numbers would silently read as 0
                if (!tree.hasNonNull(key)) throw new NeuroscanException(f + ": missing " + key);
            }
            Manifest m = JSON.treeToValue(tree, Manifest.class);
            return m;
        } catch (NoSuchFileException e) {
            throw new NeuroscanException(dir + ": not a neuroscan run (no " + NAME + ")");
        } catch (JsonProcessingException e) {
            String why = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
            throw new NeuroscanException(f + ": malformed manifest" + (e.getLocation() == null ? "" : " at line "
                    + e.getLocation().getLineNr()) + ": " + why);
        } catch (IOException e) {
            throw new NeuroscanException(f + ": cannot read: " + AtomicFiles.describe(e));
        }
    }

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(NAME));
    }
}
