package neuroscan.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import neuroscan.bench.KernelBench.Kernel;
import neuroscan.bench.Sweep.Contender;
import neuroscan.bench.Sweep.Run;
import neuroscan.engine.cpu.FlopCount;
import neuroscan.format.AtomicFiles;
import neuroscan.model.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Writes the report into its folder: README.md (tables and notes), throughput.svg, scan-time.svg and
 * results.json (the raw numbers), each atomically; README.md last, so its links resolve once it exists.
 */
final class ReportWriter {
    static final String THROUGHPUT_SVG = "throughput.svg", SCAN_TIME_SVG = "scan-time.svg", JSON = "results.json", README = "README.md";

    /** Everything one report run measured and knows about its setup. */
    record Data(ReportOptions options, Machine machine, String loadAtEnd, double wallSeconds, ModelConfig cfg, String modelNote,
                List<int[]> corpus, List<Contender> contenders, Map<String, List<Run>> runs, List<Kernel> kernels,
                Map<String, String> engines, List<String> notes) {
    }

    private final Data d;
    private final ReportOptions o;

    ReportWriter(Data d) {
        this.d = d;
        this.o = d.options();
    }

    void write() {
        int h = headline();
        AtomicFiles.writeString(o.out().resolve(THROUGHPUT_SVG), throughputSvg(h));
        AtomicFiles.writeString(o.out().resolve(SCAN_TIME_SVG), scanTimeSvg());
        AtomicFiles.writeString(o.out().resolve(JSON), json());
        AtomicFiles.writeString(o.out().resolve(README), markdown(h));
    }

    /**
     * The headline size: the largest at which neuroscan CPU and every LibTorch pipeline that ran at all
     * ran, where they are compared side by side. OpenCL (slow under PoCL) may stop below it; it is then
     * shown at its own largest size, against neuroscan CPU at that size.
     */
    int headline() {
        int best = -1;
        for (int n : o.sizes()) {
            boolean all = true;
            for (Contender c : d.contenders()) {
                if (!c.key().equals("opencl") && !d.runs().get(c.key()).isEmpty() && run(c, n).isEmpty()) all = false;
            }
            if (all) best = n;
        }
        if (best < 0) throw new IllegalStateException("no size at which every system ran");
        return best;
    }

    /** The run of {@code c} shown in the throughput table: at the headline size, else its largest (empty: never ran). */
    private Optional<Run> shown(Contender c, int h) {
        List<Run> rs = d.runs().get(c.key());
        return run(c, h).or(() -> rs.isEmpty() ? Optional.empty() : Optional.of(rs.getLast()));
    }

    private Optional<Run> run(Contender c, int n) {
        return d.runs().get(c.key()).stream().filter(r -> r.docs() == n).findFirst();
    }

    private Contender cpu() {
        return d.contenders().get(0);
    }

    // ---- charts

    String throughputSvg(int h) {
        List<SvgChart.Bar> bars = new ArrayList<>();
        for (Contender c : charted()) {
            shown(c, h).filter(Run::reported).ifPresent(r -> bars.add(new SvgChart.Bar(
                    c.label() + (r.docs() == h ? "" : String.format(Locale.ROOT, " (%,d docs)", r.docs())), r.tokens() / r.seconds())));
        }
        return SvgChart.bars(String.format(Locale.ROOT, "Scan throughput, %,d documents (%,d tokens), %d cores", h, tokensAt(h),
                d.machine().cores()), "tokens per second (higher is better)", bars);
    }

    String scanTimeSvg() {
        List<SvgChart.Series> series = new ArrayList<>();
        for (Contender c : charted()) {
            List<Run> rs = d.runs().get(c.key()).stream().filter(Run::reported).toList();
            if (rs.isEmpty()) continue;
            series.add(new SvgChart.Series(c.label(), rs.stream().mapToDouble(Run::docs).toArray(), rs.stream().mapToDouble(Run::seconds).toArray()));
        }
        return SvgChart.logLogLines("Scan time vs number of documents (log-log, lower is better)", "documents", "seconds", series);
    }

    /** Contenders drawn in the charts that have at least one run, in table order (so colours match between the charts). */
    private List<Contender> charted() {
        return d.contenders().stream().filter(c -> c.chart() && !d.runs().get(c.key()).isEmpty()).toList();
    }

    // ---- markdown

    String markdown(int h) {
        StringBuilder sb = new StringBuilder();
        Machine m = d.machine();
        sb.append("# neuroscan vs LibTorch: benchmark report\n\n");
        if (o.quick()) sb.append("**`--quick` smoke test: tiny sizes, the numbers mean nothing.**\n\n");
        sb.append(String.format(Locale.ROOT, "Written by `%s` on %s, commit `%s`, in %.1f minutes. Regenerate it with that command "
                + "(see [bench/README.md](%s)); do not edit by hand.%n%n", o.commandLine(), m.date(), m.commit(), d.wallSeconds() / 60, benchReadme()));

        sb.append("## Machine\n\n");
        MarkdownTable mt = new MarkdownTable("ll", "item", "value");
        mt.row("CPU", m.cpu());
        mt.row("cores", m.cores() + " (as the JVM sees them; every system uses all of them)");
        mt.row("memory", m.memory());
        mt.row("OS", m.os());
        mt.row("JDK", m.jdk());
        mt.row("load average (1 / 5 / 15 min)", "at start " + m.load() + "; at end " + d.loadAtEnd());
        d.engines().forEach(mt::row);
        sb.append(mt).append('\n');
        sb.append("The load average says whether other jobs shared the cores during the run; if it is well above 0 at the start, "
                + "absolute numbers are low and ratios noisier (they were measured side by side, so they suffer less).\n\n");

        setup(sb);
        throughput(sb, h);
        sweep(sb);
        checks(sb);
        kernels(sb, h);
        systems(sb);
        if (!d.notes().isEmpty()) {
            sb.append("## Notes from this run\n\n");
            for (String n : d.notes()) sb.append("- ").append(MarkdownTable.escape(n)).append('\n');
            sb.append('\n');
        }
        return sb.toString();
    }

    private void setup(StringBuilder sb) {
        ModelConfig c = d.cfg();
        int n = d.corpus().size();
        long tokens = Corpus.tokens(d.corpus());
        long atCtx = d.corpus().stream().filter(t -> t.length == c.nCtx()).count();
        sb.append("## Model, corpus, method\n\n");
        sb.append(String.format(Locale.ROOT, "- **Model**: %s: %d layer, d_model %d, %d heads of %d, d_mlp %d, n_ctx %d, d_vocab %d, act_fn %s. "
                        + "A forward pass to `hook_post` costs %.2f MFLOP per token in the projections, plus causal attention.%n",
                d.modelNote(), c.nLayers(), c.dModel(), c.nHeads(), c.dHead(), c.dMlp(), c.nCtx(), c.dVocab(), c.actFn(),
                2.0 * c.dModel() * (4.0 * c.nHeads() * c.dHead() + c.dMlp()) / 1e6));
        sb.append(String.format(Locale.ROOT, "- **Corpus**: %,d synthetic documents, %,d tokens (mean %.0f, %,d cut at n_ctx), made by "
                        + "`neuroscan.bench.Corpus` with seed %d: BOS then uniform random token ids, log-normal lengths (median ~350) "
                        + "clipped to [2, n_ctx], the generator `Compare` uses. Chosen over `bench/tools/make_corpus.py` (text for the "
                        + "tokenizer, mean ~500 tokens) so that neither this report nor CI needs Python or a tokenizer, and every system "
                        + "reads the same token ids. The sweep's sizes are prefixes of this one corpus.%n",
                n, tokens, tokens / (double) n, atCtx, o.corpusSeed()));
        sb.append(String.format(Locale.ROOT, "- **Method**: top-k = %d per neuron over `blocks.0.mlp.hook_post`. Every system scans "
                + "4 documents once to warm up (JIT, LibTorch's allocator and threads, OpenCL kernel builds); then at each size the "
                + "systems run one after the other, each timed once, wall clock of the whole scan including the store merge. tokens/s "
                + "counts real tokens only (the seed pipeline's padding is not counted); GFLOP/s counts the useful work (the "
                + "forward pass of the real tokens) whatever a system actually computes.%n%n", o.topK()));
    }

    private void throughput(StringBuilder sb, int h) {
        long tokens = tokensAt(h);
        sb.append(String.format(Locale.ROOT, "## Throughput, %,d documents (%,d tokens)%n%n", h, tokens));
        Run base = run(cpu(), h).orElseThrow();
        double peak = peakAll().orElse(Double.NaN);
        boolean withPeak = !Double.isNaN(peak);
        List<String> head = new ArrayList<>(List.of("system", "documents", "seconds", "documents/s", "tokens/s", "GFLOP/s"));
        if (withPeak) head.add("% of FMA peak");
        head.addAll(List.of("neuroscan CPU is", "store"));
        MarkdownTable t = new MarkdownTable("l" + "r".repeat(head.size() - 2) + "l", head.toArray(String[]::new));
        List<String> elsewhere = new ArrayList<>();
        for (Contender c : d.contenders()) {
            Optional<Run> r = shown(c, h);
            if (r.isEmpty()) continue;
            Run x = r.get();
            Run cpuThen = run(cpu(), x.docs()).orElseThrow();
            if (x.docs() != h) elsewhere.add(String.format(Locale.ROOT, "%s stops at %,d documents (%s); its row is at that size, "
                    + "against neuroscan CPU's %.2f s there", c.label(), x.docs(), optionOf(c), cpuThen.seconds()));
            String store = x.verdict() == null ? "reference" : x.verdict().equal() ? "equal" : "**DIFFERS**";
            List<String> row = new ArrayList<>(List.of(c.label(), group(x.docs())));
            if (x.reported()) {
                double flop = flopAt(x.docs()), ratio = x.seconds() / cpuThen.seconds();
                row.addAll(List.of(f2(x.seconds()), String.format(Locale.ROOT, "%.1f", x.docs() / x.seconds()), group(x.tokens() / x.seconds()),
                        String.format(Locale.ROOT, "%.0f", flop / x.seconds() / 1e9)));
                if (withPeak) row.add(String.format(Locale.ROOT, "%.0f%%", 100 * flop / x.seconds() / 1e9 / peak));
                row.add(c == cpu() ? "-" : ratio >= 1 ? times(ratio) + " faster" : times(1 / ratio) + " slower");
            } else {
                for (int i = 0; i < head.size() - 3; i++) row.add("not reported");
            }
            row.add(store);
            t.row(row.toArray(String[]::new));
        }
        sb.append(t).append('\n');
        for (String e : elsewhere) sb.append(e).append(".\n\n");
        sb.append("![Throughput per system, tokens per second](").append(THROUGHPUT_SVG).append(")\n\n");
        if (withPeak) {
            sb.append(String.format(Locale.ROOT, "%% of FMA peak: of this run's `FmaPeakBench.allCores`, %.0f GFLOP/s (see CPU kernels below).%n%n", peak));
        }
        goals(sb, h, base);
    }

    private void goals(StringBuilder sb, int h, Run base) {
        Optional<Run> seed = runOf("seed", h), best = runOf("best", h), padded = runOf("cpu-padded", h);
        List<String> lines = new ArrayList<>();
        seed.filter(Run::reported).ifPresent(s -> lines.add(goal("the LibTorch seed pipeline", s.seconds() / base.seconds(), 5)));
        best.filter(Run::reported).ifPresent(b -> lines.add(goal("the best LibTorch pipeline", b.seconds() / base.seconds(), 1.5)));
        if (!lines.isEmpty()) {
            sb.append("Goals of issue 7 (ratios from this one run, identical stores):\n\n");
            for (String l : lines) sb.append("- ").append(l).append('\n');
            sb.append('\n');
        }
        if (seed.isPresent() && padded.isPresent() && seed.get().reported()) {
            sb.append(String.format(Locale.ROOT, "Same work as the seed (every document padded to n_ctx = %d, pads included in the max): "
                            + "neuroscan CPU %.2f s vs LibTorch seed %.2f s, %s faster. The rest of the seed's gap is padding: neuroscan "
                            + "computes only the real tokens.%n%n", d.cfg().nCtx(), padded.get().seconds(), seed.get().seconds(),
                    times(seed.get().seconds() / padded.get().seconds())));
        }
    }

    private static String goal(String what, double ratio, double target) {
        return String.format(Locale.ROOT, "neuroscan CPU at least %sx faster than %s: **%s** (%s)", target == (int) target
                ? String.valueOf((int) target) : String.valueOf(target), what, ratio >= target ? "met" : "NOT met", times(ratio));
    }

    private void sweep(StringBuilder sb) {
        sb.append("## Scan time vs number of documents\n\n");
        List<Contender> cs = d.contenders().stream().filter(c -> !d.runs().get(c.key()).isEmpty()).toList();
        List<String> head = new ArrayList<>(List.of("documents", "tokens"));
        cs.forEach(c -> head.add(c.label()));
        MarkdownTable secs = new MarkdownTable("r".repeat(head.size()), head.toArray(String[]::new));
        MarkdownTable rate = new MarkdownTable("r".repeat(head.size()), head.toArray(String[]::new));
        for (int n : o.sizes()) {
            List<String> a = new ArrayList<>(List.of(group(n), group(tokensAt(n)))), b = new ArrayList<>(a);
            for (Contender c : cs) {
                Optional<Run> r = run(c, n);
                a.add(r.map(x -> x.reported() ? f2(x.seconds()) : "differs").orElse("-"));
                b.add(r.map(x -> x.reported() ? group(x.tokens() / x.seconds()) : "differs").orElse("-"));
            }
            secs.row(a.toArray(String[]::new));
            rate.row(b.toArray(String[]::new));
        }
        sb.append("Seconds per scan:\n\n").append(secs).append('\n');
        sb.append("![Scan time vs number of documents, log-log](").append(SCAN_TIME_SVG).append(")\n\n");
        sb.append("tokens/s of the same scans:\n\n").append(rate).append('\n');
        List<String> limits = new ArrayList<>();
        for (Contender c : d.contenders()) {
            if (c.maxDocs() < o.maxSize() && !c.key().equals("cpu-padded")) {
                limits.add(String.format(Locale.ROOT, "%s at %,d documents (%s)", c.label(), c.maxDocs(), optionOf(c)));
            }
        }
        if (!limits.isEmpty()) {
            sb.append("`-`: not run. To keep the report's run time reasonable on a small machine, the slower systems stop early: ")
                    .append(String.join("; ", limits)).append(String.format(Locale.ROOT, "; neuroscan CPU runs every size up to %,d. ", o.maxSize()))
                    .append("Compare systems at the largest size they share (the throughput table above) or by tokens/s.\n\n");
        }
    }

    private static String optionOf(Contender c) {
        return switch (c.key()) {
            case "seed" -> "`--seed-max`";
            case "best" -> "`--best-max`";
            case "opencl" -> "`--opencl-max`";
            default -> "";
        };
    }

    private void checks(StringBuilder sb) {
        sb.append("## Store checks\n\n");
        sb.append(String.format(Locale.ROOT, "A time is reported only after the system's top-%d store was found equal to its "
                + "reference's on the same documents: per neuron the same documents, each document's max within %.0e, and at "
                + "every rank values within %.0e. Documents whose maxima agree to ~1e-6 may swap ranks (float32 sums in another "
                + "order); such swaps are counted, not failed. With random tokens they happen mostly at the BOS position, whose "
                + "activation is the same in every document: neuroscan computes it bitwise identically (exact tie, lower document "
                + "first), batched LibTorch GEMMs round it slightly differently per batch row. The seed pipeline is checked against "
                + "neuroscan CPU on documents padded to n_ctx (the seed's semantics, pads included in the max, no positions); the "
                + "others against neuroscan CPU's default, argmax positions included.%n%n", o.topK(), StoreCheck.TOLERANCE, StoreCheck.TOLERANCE));
        MarkdownTable t = new MarkdownTable("lrlrrrr", "system", "documents", "verdict", "largest value difference",
                "rank swaps (near-ties)", "near-ties at rank k", "argmax positions differ");
        for (Contender c : d.contenders()) {
            if (c.ref() == Sweep.Ref.NONE) continue;
            for (Run r : d.runs().get(c.key())) {
                var v = r.verdict();
                t.row(c.label(), group(r.docs()), v.equal() ? "equal" : "**" + v.neuronsDiffer() + " neurons differ**",
                        String.format(Locale.ROOT, "%.1e", v.largestDiff()), String.valueOf(v.rankSwaps()), String.valueOf(v.boundaryTies()),
                        v.positionsDiffer() < 0 ? "not kept" : String.valueOf(v.positionsDiffer()));
            }
        }
        if (t.size() == 0) sb.append("No system was checked (only neuroscan CPU ran).\n\n");
        else sb.append(t).append('\n');
    }

    private void kernels(StringBuilder sb, int h) {
        sb.append("## CPU kernels (JMH, short run)\n\n");
        if (d.kernels().isEmpty()) {
            sb.append("Not run (`--no-jmh`). See [bench/README.md](").append(benchReadme()).append(") for the JMH benchmarks.\n\n");
            return;
        }
        double one = peak("FmaPeakBench.oneCore").orElse(Double.NaN), all = peakAll().orElse(Double.NaN);
        sb.append(o.quick() ? "`--quick`: one 100 ms iteration, no warm-up: not a measurement.\n\n"
                : "1 fork, 1 warm-up and 2 measured iterations of 1 s each (bench/README.md has longer runs). The kernels run on one "
                + "core at gelu-1l's shapes (1020 rows, a 512-token document for attention); % of peak is of `FmaPeakBench.oneCore` "
                + "for one thread and of `allCores` for more.\n\n");
        MarkdownTable t = new MarkdownTable("lrrrr", "benchmark", "threads", "GFLOP/s", "± (99.9%)", "% of FMA peak");
        for (Kernel k : d.kernels()) {
            double p = k.threads() == 1 ? one : all;
            t.row("`" + k.name() + "`", String.valueOf(k.threads()), String.format(Locale.ROOT, "%.0f", k.gflops()),
                    Double.isNaN(k.error()) ? "-" : String.format(Locale.ROOT, "%.0f", k.error()),
                    Double.isNaN(p) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * k.gflops() / p));
        }
        Run cpu = run(cpu(), h).orElseThrow();
        double g = flopAt(h) / cpu.seconds() / 1e9;
        t.row("neuroscan CPU, whole scan of " + group(h) + " documents", String.valueOf(d.machine().cores()), String.format(Locale.ROOT, "%.0f", g),
                "-", Double.isNaN(all) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * g / all));
        sb.append(t).append('\n');
    }

    private void systems(StringBuilder sb) {
        sb.append("## The systems\n\n");
        for (Contender c : d.contenders()) {
            sb.append("- **").append(MarkdownTable.escape(c.label())).append("**: ").append(MarkdownTable.escape(c.how())).append('\n');
        }
        sb.append("\nneuroscan's times exclude reading and tokenizing text and writing the run folder (the same for every system "
                + "here, since all of them get token ids); `neuroscan scan` overlaps tokenizing with compute.\n\n");
    }

    // ---- json

    String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        Machine m = d.machine();
        root.put("date", m.date());
        root.put("commit", m.commit());
        root.put("command", o.commandLine());
        root.put("wallSeconds", d.wallSeconds());
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpu", m.cpu());
        machine.put("cores", m.cores());
        machine.put("memory", m.memory());
        machine.put("os", m.os());
        machine.put("jdk", m.jdk());
        machine.put("loadAtStart", m.load());
        machine.put("loadAtEnd", d.loadAtEnd());
        root.put("machine", machine);
        root.put("engines", d.engines());
        root.put("topK", o.topK());
        root.put("corpusSeed", o.corpusSeed());
        root.put("sizes", IntStream.of(o.sizes()).boxed().toList());
        List<Object> systems = new ArrayList<>();
        for (Contender c : d.contenders()) {
            List<Object> runs = new ArrayList<>();
            for (Run r : d.runs().get(c.key())) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("documents", r.docs());
                x.put("tokens", r.tokens());
                if (r.reported()) x.put("seconds", r.seconds());
                if (r.verdict() != null) {
                    x.put("storeEqual", r.verdict().equal());
                    x.put("storeCheck", r.verdict().describe());
                }
                runs.add(x);
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("key", c.key());
            s.put("label", c.label());
            s.put("how", c.how());
            s.put("maxDocuments", c.maxDocs());
            s.put("runs", runs);
            systems.add(s);
        }
        root.put("systems", systems);
        List<Object> kernels = new ArrayList<>();
        for (Kernel k : d.kernels()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("benchmark", k.name());
            x.put("threads", k.threads());
            x.put("gflops", k.gflops());
            x.put("error", Double.isNaN(k.error()) ? null : k.error());   // JMH gives no error for a single iteration
            kernels.add(x);
        }
        root.put("kernels", kernels);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- helpers

    /** bench/README.md relative to the report's folder (../README.md for bench/results), for links. */
    private String benchReadme() {
        java.nio.file.Path readme = java.nio.file.Path.of("bench", "README.md").toAbsolutePath();
        return o.out().toAbsolutePath().normalize().relativize(readme).toString().replace('\\', '/');
    }

    private Optional<Run> runOf(String key, int n) {
        return d.contenders().stream().filter(c -> c.key().equals(key)).findFirst().flatMap(c -> run(c, n));
    }

    private Optional<Double> peak(String name) {
        return d.kernels().stream().filter(k -> k.name().equals(name)).map(Kernel::gflops).findFirst();
    }

    private Optional<Double> peakAll() {
        return peak("FmaPeakBench.allCores");
    }

    private long tokensAt(int n) {
        return Corpus.tokens(d.corpus().subList(0, n));
    }

    /** FLOPs of the forward pass to hook_post over the real tokens of the first n documents. */
    private double flopAt(int n) {
        ModelConfig c = d.cfg();
        double f = 0;
        for (int[] t : d.corpus().subList(0, n)) f += FlopCount.forward(t.length, c.dModel(), c.nHeads(), c.dHead(), c.dMlp());
        return f;
    }

    private static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String group(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /** 16.9x, 1.53x, 0.21x. */
    static String times(double r) {
        return String.format(Locale.ROOT, r >= 10 ? "%.1fx" : "%.2fx", r);
    }
}
