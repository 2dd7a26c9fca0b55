package neuroscan.hub;

import neuroscan.NeuroscanException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What {@code --model}, {@code --tokenizer} and {@code --dataset} accept: a known alias, a Hugging
 * Face repo id {@code org/name[@revision]}, or a local path (which wins when it exists). Repos are
 * fetched through {@link HubClient}, so cached files are reused and pinned revisions cost no request.
 */
public final class Known {

    /** A model neuroscan knows, pinned to the revisions public code uses. */
    public record ModelAlias(String alias, String repoId, String revision, List<String> files,
                             String tokenizerRepo, String tokenizerRevision) {
    }

    public record DatasetAlias(String alias, String repoId, String revision) {
    }

    public static final ModelAlias GELU_1L = new ModelAlias("gelu-1l", "NeelNanda/GELU_1L512W_C4_Code",
            "bddc0e332f0ae84279e6a6a45d91b314899e1603", List.of("config.json", "model_final.pth"),
            "NeelNanda/gpt-neox-tokenizer-digits", "0f6671571a20be9756b9991d978047c03b75e749");
    public static final DatasetAlias C4_10K = new DatasetAlias("c4-10k", "NeelNanda/c4-10k", "main");

    /**
     * The rest of neuroscope.io's family under the names TransformerLens gives them (loading_from_pretrained's
     * MODEL_ALIASES: "gelu-2l" is NeelNanda/GELU_2L512W_C4_Code, ...), each with its model_final.pth and the
     * tokenizer gelu-1l uses. TransformerLens pins no revision for them and no public code we could find does:
     * they follow {@code main} (the manifest records the commit actually fetched) until one is pinned here.
     */
    public static final List<ModelAlias> FAMILY = List.of(
            neel("gelu-2l", "GELU_2L512W_C4_Code"), neel("gelu-3l", "GELU_3L512W_C4_Code"), neel("gelu-4l", "GELU_4L512W_C4_Code"),
            neel("solu-1l", "SoLU_1L512W_C4_Code"), neel("solu-2l", "SoLU_2L512W_C4_Code"),
            neel("solu-3l", "SoLU_3L512W_C4_Code"), neel("solu-4l", "SoLU_4L512W_C4_Code"));

    public static final List<ModelAlias> MODELS = java.util.stream.Stream.concat(java.util.stream.Stream.of(GELU_1L), FAMILY.stream()).toList();

    private static ModelAlias neel(String alias, String repo) {
        return new ModelAlias(alias, "NeelNanda/" + repo, "main", GELU_1L.files(), GELU_1L.tokenizerRepo(), GELU_1L.tokenizerRevision());
    }
    public static final List<DatasetAlias> DATASETS = List.of(C4_10K);

    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final List<String> OPTIONAL_TOKENIZER_FILES = List.of("special_tokens_map.json", "tokenizer_config.json");
    /** Every dataset on the hub also has parquet files here, written by the hub's converter. */
    public static final String PARQUET_REVISION = "refs/convert/parquet";

    /**
     * Where an artifact came from, for the run manifest.
     *
     * @param repoId   null for a local path
     * @param revision what was asked for ("main", a commit); null for a local path
     * @param commit   the commit actually used; null for a local path
     * @param path     the directory (model, tokenizer) or the first file (dataset)
     * @param files    the files fetched (for a local path: the path itself)
     */
    public record Resolved(String spec, RepoType type, String repoId, String revision, String commit, Path path,
                           List<Path> files) {
        public boolean local() {
            return repoId == null;
        }
    }

    private final HubClient hub;

    public Known(HubClient hub) {
        this.hub = hub;
    }

    public static Optional<ModelAlias> model(String alias) {
        return MODELS.stream().filter(m -> m.alias().equalsIgnoreCase(alias.strip())).findFirst();
    }

    public static Optional<DatasetAlias> dataset(String alias) {
        return DATASETS.stream().filter(d -> d.alias().equalsIgnoreCase(alias.strip())).findFirst();
    }

    // ------------------------------------------------------------------ the three resolvers

    /** The directory holding config.json and the weights (or the local file/directory given). */
    public Path resolveModelDir(String spec) {
        return resolveModel(spec).path();
    }

    /** The directory holding tokenizer.json (or the local file/directory given). */
    public Path resolveTokenizerDir(String spec) {
        return resolveTokenizer(spec).path();
    }

    /** The train split's parquet files in shard order (a local path is returned as given). */
    public List<Path> resolveDatasetFiles(String spec) {
        return resolveDataset(spec).files();
    }

    public Resolved resolveModel(String spec) {
        Optional<ModelAlias> alias = model(spec);
        if (alias.isEmpty()) {
            Optional<Path> local = localPath(spec);
            if (local.isPresent()) return local(spec, local.get());
            RepoRef ref = RepoRef.parse(spec, "model", MODELS.stream().map(ModelAlias::alias).toList());
            alias = MODELS.stream().filter(m -> m.repoId().equals(ref.repoId()) && ref.revision() == null).findFirst();
            if (alias.isEmpty()) return genericModel(spec, ref);
        }
        ModelAlias m = alias.get();
        var snap = fetchAll(RepoType.MODEL, m.repoId(), m.revision(), m.files(), List.of(), "--model /path/to/dir");
        return repo(spec, RepoType.MODEL, m.repoId(), m.revision(), snap);
    }

    public Resolved resolveTokenizer(String spec) {
        String repoId;
        String revision;
        Optional<ModelAlias> alias = model(spec);
        if (alias.isPresent()) {
            repoId = alias.get().tokenizerRepo();
            revision = alias.get().tokenizerRevision();
        } else {
            Optional<Path> local = localPath(spec);
            if (local.isPresent()) return local(spec, local.get());
            RepoRef ref = RepoRef.parse(spec, "tokenizer", MODELS.stream().map(ModelAlias::alias).toList());
            repoId = ref.repoId();
            revision = ref.revision() != null ? ref.revision()
                    : MODELS.stream().filter(m -> m.tokenizerRepo().equals(ref.repoId())).map(ModelAlias::tokenizerRevision)
                    .findFirst().orElse("main");
        }
        var snap = fetchAll(RepoType.MODEL, repoId, revision, List.of(TOKENIZER_FILE), OPTIONAL_TOKENIZER_FILES,
                "--tokenizer /path/to/dir");
        return repo(spec, RepoType.MODEL, repoId, revision, snap);
    }

    public Resolved resolveDataset(String spec) {
        String repoId;
        String revision;
        Optional<DatasetAlias> alias = dataset(spec);
        if (alias.isPresent()) {
            repoId = alias.get().repoId();
            revision = alias.get().revision();
        } else {
            Optional<Path> local = localPath(spec);
            if (local.isPresent()) return local(spec, local.get());
            RepoRef ref = RepoRef.parse(spec, "dataset", DATASETS.stream().map(DatasetAlias::alias).toList());
            repoId = ref.repoId();
            revision = ref.revision();
        }
        boolean mayFallBack = revision == null || alias.isPresent();
        if (revision == null) revision = "main";
        String hint = "--dataset /path/to/file.parquet";
        List<String> what = List.of("train split parquet files");
        HubUnreachableException offline = null;
        try {
            var snap = hub.snapshotSelect(RepoType.DATASET, repoId, revision, Known::trainParquet);
            if (!snap.files().isEmpty()) return repo(spec, RepoType.DATASET, repoId, revision, snap);
        } catch (HubUnreachableException e) {
            offline = e; // the converted parquet may still be cached
        }
        if (mayFallBack && !revision.equals(PARQUET_REVISION)) {
            try {
                var snap = hub.snapshotSelect(RepoType.DATASET, repoId, PARQUET_REVISION, Known::convertedTrainParquet);
                if (!snap.files().isEmpty()) return repo(spec, RepoType.DATASET, repoId, PARQUET_REVISION, snap);
            } catch (HubUnreachableException e) {
                throw (offline != null ? offline : e).forFiles(what, hint);
            }
        }
        if (offline != null) throw offline.forFiles(what, hint);
        throw new NeuroscanException("dataset " + repoId + " has no parquet files for its train split at revision " + revision
                + (mayFallBack ? " nor at " + PARQUET_REVISION : ""));
    }

    // ------------------------------------------------------------------ helpers

    private Resolved genericModel(String spec, RepoRef ref) {
        String revision = ref.revision() != null ? ref.revision() : "main";
        try {
            var snap = hub.snapshotSelect(RepoType.MODEL, ref.repoId(), revision, all -> modelFiles(ref.repoId(), revision, all));
            return repo(spec, RepoType.MODEL, ref.repoId(), revision, snap);
        } catch (HubUnreachableException e) {
            throw e.forFiles(List.of("config.json and weights"), "--model /path/to/dir");
        }
    }

    /** Downloads every file, then names all the missing ones in one message if the hub is out of reach. */
    private HubClient.Snapshot fetchAll(RepoType type, String repoId, String revision, List<String> required, List<String> optional,
                                String hint) {
        List<Path> out = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        HubUnreachableException first = null;
        for (String f : required) {
            try {
                out.add(hub.download(type, repoId, revision, f));
            } catch (HubUnreachableException e) {
                missing.add(f);
                if (first == null) first = e;
            }
        }
        if (first != null) throw first.forFiles(missing, hint);
        for (String f : optional) hub.downloadOptional(type, repoId, revision, f).ifPresent(out::add);
        // the file is snapshots/{commit}/{name}: climb one level per path segment of its name
        Path dir = out.getFirst();
        for (int i = 0; i < required.getFirst().split("/").length; i++) dir = dir.getParent();
        return new HubClient.Snapshot(dir.getFileName().toString(), dir, List.copyOf(out));
    }

    private static Resolved repo(String spec, RepoType type, String repoId, String revision, HubClient.Snapshot snap) {
        Path path = type == RepoType.DATASET ? snap.files().getFirst() : snap.dir();
        return new Resolved(spec, type, repoId, revision, snap.commit(), path, snap.files());
    }

    private static Resolved local(String spec, Path p) {
        return new Resolved(spec, null, null, null, null, p, List.of(p));
    }

    private static final List<String> LOCAL_EXTENSIONS = List.of("json", "pth", "pt", "bin", "safetensors", "parquet",
            "jsonl", "txt", "csv", "tsv", "arrow", "model", "npy", "npz", "zip", "gz", "tar", "html");

    /**
     * The existing local path {@code spec} names; empty for something to look up on the hub. A name
     * that can only be a path (starts with / . ~, a file extension, more than one '/') and does not
     * exist is an error here, rather than a confusing 404 from the hub.
     */
    static Optional<Path> localPath(String spec) {
        String s = spec.strip();
        if (s.isEmpty()) throw new NeuroscanException("empty name: expected an alias, a repo id or a path");
        String home = System.getProperty("user.home");
        Path p = s.equals("~") ? Path.of(home) : s.startsWith("~/") ? Path.of(home, s.substring(2)) : Path.of(s);
        if (Files.exists(p)) return Optional.of(p);
        int dot = s.lastIndexOf('.');
        String ext = dot < 0 ? "" : s.substring(dot + 1).toLowerCase(Locale.ROOT);
        boolean looksLocal = s.startsWith("/") || s.startsWith(".") || s.startsWith("~") || s.contains("\\")
                || LOCAL_EXTENSIONS.contains(ext) || s.chars().filter(c -> c == '/').count() > 1 && !s.contains("@");
        if (looksLocal) throw new NeuroscanException("no such file: " + s);
        return Optional.empty();
    }

    /** {@code org/name[@revision]}. Bare names are refused: no usable model lives in the hub's legacy root namespace. */
    record RepoRef(String repoId, String revision) {
        static RepoRef parse(String spec, String what, List<String> aliases) {
            String s = spec.strip();
            int at = s.indexOf('@');
            String repo = at < 0 ? s : s.substring(0, at);
            String rev = at < 0 ? null : s.substring(at + 1);
            if (!repo.contains("/") || !HubCache.isValidRepoId(repo) || (rev != null && rev.isEmpty())) {
                throw new NeuroscanException("unknown " + what + " '" + s + "': not an alias (" + String.join(", ", aliases)
                        + "), an existing path, or a Hugging Face repo id org/name[@revision]");
            }
            return new RepoRef(repo, rev);
        }
    }

    private static final Pattern SPLIT_NAME = Pattern.compile("(?:^|[/_.\\- 0-9])(train|training|test|testing|eval|evaluation"
            + "|valid|validation|dev)(?:[/_.\\- 0-9]|$)");

    /**
     * The train split of a repo's own parquet files, sorted (shard order), following the datasets
     * library's naming conventions ("data/train-00000-of-00002-*.parquet", "train/0.parquet"). With no
     * split named at all, every file is train, as the datasets library reads it.
     */
    static List<String> trainParquet(List<String> files) {
        List<String> parquet = files.stream().filter(f -> f.toLowerCase(Locale.ROOT).endsWith(".parquet")).sorted().toList();
        List<String> train = new ArrayList<>();
        boolean anySplit = false;
        for (String f : parquet) {
            var m = SPLIT_NAME.matcher(f.toLowerCase(Locale.ROOT));
            boolean isTrain = false;
            while (m.find()) {
                anySplit = true;
                if (m.group(1).startsWith("train")) isTrain = true;
            }
            if (isTrain) train.add(f);
        }
        return anySplit ? train : parquet;
    }

    /**
     * The converter's layout: {@code {config}/train/0000.parquet} (or {@code partial-train/} when it
     * stopped early). One config only, "default" when present, so configs never mix.
     */
    static List<String> convertedTrainParquet(List<String> files) {
        TreeMap<String, List<String>> byConfig = new TreeMap<>();
        for (String f : files) {
            String[] parts = f.split("/");
            if (parts.length == 3 && (parts[1].equals("train") || parts[1].equals("partial-train"))
                    && parts[2].endsWith(".parquet")) {
                byConfig.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(f);
            }
        }
        if (byConfig.isEmpty()) return List.of();
        List<String> chosen = byConfig.getOrDefault("default", byConfig.firstEntry().getValue());
        return chosen.stream().sorted().toList();
    }

    /** config.json, one kind of weights (safetensors, else .pth/.pt, else .bin) and any tokenizer files. */
    static List<String> modelFiles(String repoId, String revision, List<String> all) {
        List<String> top = all.stream().filter(f -> !f.contains("/")).toList();
        if (!top.contains("config.json")) {
            throw new NeuroscanException("model repo " + repoId + " has no config.json at revision " + revision);
        }
        List<String> weights = List.of();
        for (List<String> exts : List.of(List.of(".safetensors"), List.of(".pth", ".pt"), List.of(".bin"))) {
            weights = top.stream().filter(f -> exts.stream().anyMatch(f::endsWith)).toList();
            if (!weights.isEmpty()) break;
        }
        if (weights.isEmpty()) {
            throw new NeuroscanException("model repo " + repoId + " has no weights (*.safetensors, *.pth, *.bin) at revision " + revision);
        }
        List<String> out = new ArrayList<>();
        out.add("config.json");
        out.addAll(weights);
        for (String t : concat(List.of(TOKENIZER_FILE), OPTIONAL_TOKENIZER_FILES)) if (top.contains(t)) out.add(t);
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
