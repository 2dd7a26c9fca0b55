package neuroscan.spark;

import neuroscan.NeuroscanException;
import neuroscan.cli.Main;
import neuroscan.data.DocumentSource;
import neuroscan.data.DocumentSources;
import neuroscan.hub.HubClient;
import neuroscan.hub.Known;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;
import neuroscan.store.Merge;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code neuroscan scan} as a Spark job: the document range cut into {@code --shards N} contiguous shards,
 * one task each ({@link ShardTask}: a scan of that {@code --doc-range} with neuroscan's own reader and engine),
 * the partial runs collected as bytes and merged on the driver by {@link Merge} into one run directory with
 * the same store.safetensors and tokens.safetensors as one {@code scan} of the range.
 *
 * <pre>
 * spark/neuroscan-spark --master 'local[N]' SCAN-OPTIONS --shards N            (embedded Spark)
 * spark-submit --class neuroscan.spark.SparkScan spark/target/neuroscan-spark.jar SCAN-OPTIONS --shards N
 * </pre>
 */
public final class SparkScan {
    private SparkScan() {
    }

    static final String USAGE = """
            Usage: neuroscan-spark [--master URL] --shards N [scan options]
            The scan as an Apache Spark job: the documents cut into N contiguous shards, one task each, merged on the
            driver into --out (the same store and tokens as one `neuroscan scan` of the range).
                  --master URL   Spark master (default: spark.master, as spark-submit sets it); local[N] runs embedded,
                                 with Spark's task retries (local[N,4])
                  --shards N     number of tasks (at most one per document)
            On a cluster with GPU scheduling (spark.task.resource.gpu.amount=1) each task's GPU address is its --device.
            The scan options (--resume is not one of them):
            """;

    /** The scan options a task gets its own values for, or that the driver handles. */
    private static final Set<String> DRIVER_OPTIONS = Set.of("--out", "--doc-range", "--max-docs", "--device", "--quiet", "--resume");

    /** The job: what was parsed from the command line. */
    record Job(String master, int shards, Integer failShard, Path out, DocRange range, String dataset, String column,
               String device, boolean quiet, List<String> taskArgs) {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true), err = new PrintWriter(System.err, true);
        System.exit(run(args, out, err));
    }

    /** Parses, starts a SparkContext (--master or spark-submit's), runs the job; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, null);
    }

    /** As {@link #run(String[], PrintWriter, PrintWriter)} on an existing context (tests: one per class). */
    static int run(JavaSparkContext sc, String[] args, PrintWriter out, PrintWriter err) {
        return execute(args, out, err, sc);
    }

    private static int execute(String[] args, PrintWriter out, PrintWriter err, JavaSparkContext given) {
        Job job;
        try {
            job = parse(args, out);
            if (job == null) return 0;
        } catch (CommandLine.ParameterException e) {
            err.println("neuroscan-spark: " + e.getMessage());
            err.println("Try 'neuroscan-spark --help'.");
            return 2;
        } catch (NeuroscanException e) {
            err.println("neuroscan-spark: " + e.getMessage());
            return 2;
        }
        try {
            if (given != null) {
                scan(given, job, out, err);
            } else {
                try (JavaSparkContext sc = new JavaSparkContext(conf(job.master()))) {
                    scan(sc, job, out, err);
                }
            }
            return 0;
        } catch (NeuroscanException | ShardFailure e) {
            err.println("neuroscan-spark: " + e.getMessage());
            if (System.getenv("NEUROSCAN_DEBUG") != null) e.printStackTrace(err);
            return 1;
        } catch (Exception e) {
            err.println("neuroscan-spark: " + oneLine(e));
            if (System.getenv("NEUROSCAN_DEBUG") != null) e.printStackTrace(err);
            return 1;
        }
    }

    static SparkConf conf(String master) {
        SparkConf conf = new SparkConf().setAppName("neuroscan scan");
        if (master != null) conf.setMaster(master);
        if (!conf.contains("spark.master")) {
            throw new NeuroscanException("no Spark master: pass --master 'local[N]' (embedded) or start it with spark-submit");
        }
        String m = conf.get("spark.master");
        if (m.startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setMaster(withRetries(m, conf.getInt("spark.task.maxFailures", 4)));
        }
        return conf;
    }

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\d+|\\*)])?");

    /** local and local[N] never retry a failed task; local[N,F] does, as a cluster does (spark.task.maxFailures). */
    static String withRetries(String master, int maxFailures) {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) return master;
        return "local[" + (m.group(1) == null ? "1" : m.group(1)) + "," + maxFailures + "]";
    }

    /** The job, or null after printing --help. */
    static Job parse(String[] args, PrintWriter out) {
        String master = null;
        Integer shards = null, failShard = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (name.equals("--help") || name.equals("-h")) {
                out.print(USAGE);
                new CommandLine(new Main()).getSubcommands().get("scan").usage(out);
                return null;
            }
            if (!Set.of("--master", "--shards", "--fail-first-attempt-of-shard").contains(name)) {
                rest.add(a);
                continue;
            }
            String v;
            if (a.contains("=")) v = a.substring(a.indexOf('=') + 1);
            else if (i + 1 < args.length) v = args[++i];
            else throw new NeuroscanException(name + " needs a value");
            switch (name) {
                case "--master" -> master = v;
                case "--shards" -> shards = positive(name, v);
                default -> failShard = positive(name, v) - 1;
            }
        }
        if (shards == null) throw new NeuroscanException("--shards N is required (the number of Spark tasks)");
        List<String> argv = new ArrayList<>();
        argv.add("scan");
        argv.addAll(rest);
        ParseResult scan = new CommandLine(new Main()).parseArgs(argv.toArray(String[]::new)).subcommand();
        if (scan.isUsageHelpRequested()) return null;
        if (scan.hasMatchedOption("--resume")) {
            throw new NeuroscanException("--resume: a Spark scan does not resume; Spark retries failed shards, and a new job rescans");
        }
        List<String> taskArgs = new ArrayList<>();
        for (OptionSpec o : scan.matchedOptions()) {
            if (DRIVER_OPTIONS.contains(o.longestName())) continue;
            if (LOCAL_PATHS.contains(o.longestName())) {   // an executor's working directory is not the driver's
                for (String v : o.originalStringValues()) {
                    taskArgs.add(o.longestName());
                    taskArgs.add(absoluteIfLocal(v));
                }
                continue;
            }
            if (o.arity().max() == 0) {
                taskArgs.add(o.longestName());
            } else {
                for (String v : o.originalStringValues()) {
                    taskArgs.add(o.longestName());
                    taskArgs.add(v);
                }
            }
        }
        String docRange = scan.matchedOptionValue("--doc-range", null);
        int maxDocs = scan.matchedOptionValue("--max-docs", -1);
        DocRange range = (docRange == null ? DocRange.ALL : DocRange.parse(docRange)).limit(maxDocs);
        var spec = scan.commandSpec();
        String dataset = absoluteIfLocal(spec.findOption("--dataset").getValue());
        Integer device = scan.matchedOptionValue("--device", null);
        return new Job(master, shards, failShard, Path.of((String) scan.matchedOptionValue("--out", "")),
                range, dataset, spec.findOption("--column").getValue(),
                device == null ? null : device.toString(),
                scan.hasMatchedOption("--quiet"), taskArgs);
    }

    /** Options that may name a local path: made absolute on the driver, so executors find the same (shared) files. */
    private static final Set<String> LOCAL_PATHS = Set.of("--model", "--tokenizer", "--dataset", "--tokens-from");

    static String absoluteIfLocal(String v) {
        try {
            Path p = Path.of(v);
            return !p.isAbsolute() && !v.startsWith("~/") && Files.exists(p) ? p.toAbsolutePath().normalize().toString() : v;
        } catch (java.nio.file.InvalidPathException e) {
            return v;
        }
    }

    private static int positive(String name, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new NeuroscanException(name + " " + v + ": expected a whole number >= 1");
    }

    /** The documents of the dataset, as neuroscan's reader numbers them (parquet footers; jsonl read through). */
    static long countDocuments(String dataset, String column) {
        Known.Resolved ds = new Known(HubClient.fromEnvironment()).resolveDataset(dataset);
        List<Path> files = ds.local() ? List.of(ds.path()) : ds.files();
        try (DocumentSource docs = DocumentSources.open(files, column)) {
            if (docs.count().isPresent()) return docs.count().getAsLong();
            long n = 0;
            while (docs.hasNext()) {
                docs.next();
                n++;
            }
            return n;
        } catch (NeuroscanException e) {
            throw e;
        } catch (Exception e) {
            throw new NeuroscanException(dataset + ": " + e.getMessage(), e);
        }
    }

    /**
     * The range cut into at most {@code n} contiguous, non-empty shards of [start, min(end, count)); the last
     * keeps the range's own end (open, or past the dataset), so the merged manifest reads like one scan's.
     */
    static List<Shard> shards(DocRange range, long count, int n, Integer failShard) {
        long end = Math.min(range.end(), count);
        if (range.start() >= end) {
            throw new NeuroscanException("nothing to scan: the dataset has " + count + " documents and the range starts at " + range.start());
        }
        long docs = end - range.start();
        int s = (int) Math.min(n, docs);
        List<Shard> out = new ArrayList<>();
        for (int i = 0; i < s; i++) {
            long a = range.start() + docs * i / s, b = range.start() + docs * (i + 1) / s;
            DocRange r = new DocRange((int) a, i == s - 1 ? range.end() : (int) b);
            out.add(new Shard(i, s, r.toString(), b - a, failShard != null && failShard == i));
        }
        return out;
    }

    static Manifest scan(JavaSparkContext sc, Job job, PrintWriter out, PrintWriter err) throws IOException {
        long t0 = System.nanoTime();
        Path dest = job.out().toAbsolutePath().normalize();
        if (Manifest.exists(dest)) throw new NeuroscanException(job.out() + ": already holds a run; choose another --out");
        if (Files.exists(dest) && !(Files.isDirectory(dest) && isEmpty(dest))) {
            throw new NeuroscanException(job.out() + ": exists and is not an empty directory; choose another --out");
        }
        long count = countDocuments(job.dataset(), job.column());
        List<Shard> shards = shards(job.range(), count, job.shards(), job.failShard());
        if (!job.quiet()) {
            err.printf("neuroscan-spark: documents %s of %d in %d shards on %s%s%n", job.range(), count, shards.size(), sc.master(),
                    shards.size() < job.shards() ? " (--shards " + job.shards() + " is more than the documents)" : "");
        }
        String runId = UUID.randomUUID().toString();
        ShardProgress progress = new ShardProgress(runId, shards, job.quiet() ? new PrintWriter(PrintWriter.nullWriter()) : err);
        sc.sc().addSparkListener(progress);
        List<ShardResult> results;
        String previous = sc.getLocalProperty(ShardProgress.PROPERTY);
        try {
            sc.setLocalProperty(ShardProgress.PROPERTY, runId);
            sc.setJobDescription("neuroscan scan " + job.range() + " in " + shards.size() + " shards");
            results = sc.parallelize(shards, shards.size()).map(new ShardTask(List.copyOf(job.taskArgs()), job.device())).collect();
            progress.awaitLines();
        } catch (Exception e) {   // SparkException is checked, undeclared
            throw new NeuroscanException(taskFailure(e), e);
        } finally {
            sc.setLocalProperty(ShardProgress.PROPERTY, previous);
            sc.sc().removeSparkListener(progress);
        }

        if (!job.quiet() && results.stream().anyMatch(r -> r.device() != null)) {
            StringBuilder b = new StringBuilder("neuroscan-spark: devices:");
            for (ShardResult r : results) b.append(' ').append(shards.get(r.index()).label()).append(" --device ").append(r.device()).append(';');
            err.println(b.substring(0, b.length() - 1));
        }
        Files.createDirectories(dest.getParent());
        Path tmp = Files.createTempDirectory(dest.getParent(), "." + dest.getFileName() + ".spark-");
        try {
            List<Path> dirs = new ArrayList<>();
            for (ShardResult r : results) {
                Path d = tmp.resolve("shard-" + (r.index() + 1));
                Files.createDirectories(d);
                Files.write(d.resolve(Manifest.NAME), r.manifest());
                Files.write(d.resolve(StoreFile.NAME), r.store());
                Files.write(d.resolve(TokenCache.NAME), r.tokens());
                dirs.add(d);
            }
            checkAgree(shards, dirs);
            Path merged = tmp.resolve("run");
            Manifest m = Merge.merge(dirs, merged);
            if (Files.isDirectory(dest)) Files.delete(dest);
            Files.move(merged, dest, StandardCopyOption.ATOMIC_MOVE);
            out.printf("neuroscan-spark: scanned documents %s (%d documents, %d tokens) in %d shards in %.1f s into %s%n",
                    m.docs(), m.nDocs(), m.nTokens(), shards.size(), (System.nanoTime() - t0) / 1e9, job.out());
            return m;
        } finally {
            ShardTask.delete(tmp);
        }
    }

    /** Shards of one job must agree on model, tokenizer, dataset (sha256) and k; a disagreeing shard is named. */
    static void checkAgree(List<Shard> shards, List<Path> dirs) {
        Manifest f = Manifest.read(dirs.getFirst());
        for (int i = 1; i < dirs.size(); i++) {
            Manifest m = Manifest.read(dirs.get(i));
            String why = !m.model().sameAs(f.model()) ? "different models (" + f.model() + " vs " + m.model() + ")"
                    : !m.tokenizer().sameAs(f.tokenizer()) ? "different tokenizers (" + f.tokenizer() + " vs " + m.tokenizer() + ")"
                    : !m.dataset().sameAs(f.dataset()) ? "different datasets (" + f.dataset() + " vs " + m.dataset() + ")"
                    : m.topK() != f.topK() ? "different top_k (" + f.topK() + " vs " + m.topK() + ")" : null;
            if (why != null) {
                throw new NeuroscanException(shards.get(0).label() + " and " + shards.get(i).label() + " disagree: " + why
                        + "; every executor must see the same model, tokenizer and dataset");
            }
        }
    }

    private static final Pattern SHARD_FAILURE = Pattern.compile(Pattern.quote(ShardFailure.class.getName()) + ": ([^\\n]*)");

    /** A failed job's cause in one line: the shard's own message where there is one. */
    static String taskFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShardFailure || t instanceof NeuroscanException) return t.getMessage();
        }
        String msg = String.valueOf(e.getMessage());
        Matcher m = SHARD_FAILURE.matcher(msg);
        if (m.find()) return m.group(1).strip();
        return "Spark job failed: " + oneLine(e);
    }

    static String oneLine(Throwable e) {
        String msg = e.getMessage();
        String first = msg == null ? "" : msg.strip().lines().findFirst().orElse("");
        return e.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first) + " (set NEUROSCAN_DEBUG=1 for the stack trace)";
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
