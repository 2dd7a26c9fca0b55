package neuroscan.bench;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * bench/report's options. The defaults are the full report; {@code --quick} switches to tiny sizes (and
 * its own output folder) so the whole path can be smoke-tested in well under a minute.
 *
 * @param sizes     corpus sizes of the sweep, ascending (prefixes of one corpus)
 * @param seedMax   largest size the LibTorch seed pipeline (and its padded neuroscan reference) runs at
 * @param bestMax   largest size the best LibTorch pipeline runs at
 * @param openclMax largest size neuroscan's OpenCL engine runs at (0: not at all)
 */
public record ReportOptions(int[] sizes, int seedMax, int bestMax, int openclMax, int topK, long corpusSeed, Path model,
                            Path out, boolean jmh, boolean quick) {

    static final String USAGE = """
            usage: bench/report [--quick] [--sizes N,N,...] [--seed-max N] [--best-max N] [--opencl-max N]
                                [--top-k K] [--corpus-seed S] [--model DIR] [--out DIR] [--no-jmh]
              --quick          tiny sizes (2,4,8 documents, k 5), 0.1 s JMH iterations, output in target/report-quick
              --sizes          corpus sizes of the sweep (default 100,300,1000,3000,10000)
              --seed-max       largest size for the LibTorch seed pipeline (default 1000; ~10 docs/s)
              --best-max       largest size for the best LibTorch pipeline (default 3000)
              --opencl-max     largest size for neuroscan's OpenCL engine, if OpenCL is installed (default 300; 0: skip)
              --top-k          examples kept per neuron (default 20)
              --corpus-seed    seed of the synthetic corpus (default 1)
              --model DIR      checkpoint folder (default target/gelu1l-shaped, written if missing)
              --out DIR        where README.md and the charts go (default bench/results)
              --no-jmh         skip the short JMH kernel run""";

    public static ReportOptions parse(String... args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        int[] sizes = quick ? new int[]{2, 4, 8} : new int[]{100, 300, 1000, 3000, 10000};
        int seedMax = quick ? 4 : 1000, bestMax = quick ? 8 : 3000, openclMax = quick ? 2 : 300, k = quick ? 5 : 20;
        long seed = 1;
        Path model = BenchModel.DEFAULT, out = Path.of(quick ? "target/report-quick" : "bench/results");
        boolean jmh = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> {
                }
                case "--no-jmh" -> jmh = false;
                case "--sizes" -> sizes = sizes(value(args, ++i, a));
                case "--seed-max" -> seedMax = count(value(args, ++i, a), a, 0);
                case "--best-max" -> bestMax = count(value(args, ++i, a), a, 0);
                case "--opencl-max" -> openclMax = count(value(args, ++i, a), a, 0);
                case "--top-k" -> k = count(value(args, ++i, a), a, 1);
                case "--corpus-seed" -> {
                    try {
                        seed = Long.parseLong(value(args, ++i, a));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--corpus-seed: not an integer: " + args[i]);
                    }
                }
                case "--model" -> model = Path.of(value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option " + a + " (--help lists them)");
            }
        }
        return new ReportOptions(sizes, seedMax, bestMax, openclMax, k, seed, model, out, jmh, quick);
    }

    public int maxSize() {
        return sizes[sizes.length - 1];
    }

    /** The command line that reproduces these options (for the report). */
    public String commandLine() {
        StringBuilder sb = new StringBuilder("bench/report");
        if (quick) sb.append(" --quick");
        ReportOptions d = parse(quick ? new String[]{"--quick"} : new String[0]);
        if (!Arrays.equals(sizes, d.sizes)) sb.append(" --sizes ").append(String.join(",", Arrays.stream(sizes).mapToObj(String::valueOf).toList()));
        if (seedMax != d.seedMax) sb.append(" --seed-max ").append(seedMax);
        if (bestMax != d.bestMax) sb.append(" --best-max ").append(bestMax);
        if (openclMax != d.openclMax) sb.append(" --opencl-max ").append(openclMax);
        if (topK != d.topK) sb.append(" --top-k ").append(topK);
        if (corpusSeed != d.corpusSeed) sb.append(" --corpus-seed ").append(corpusSeed);
        if (!model.equals(d.model)) sb.append(" --model ").append(model);
        if (!out.equals(d.out)) sb.append(" --out ").append(out);
        if (!jmh) sb.append(" --no-jmh");
        return sb.toString();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int count(String s, String option, int min) {
        try {
            int v = Integer.parseInt(s.strip());
            if (v < min) throw new IllegalArgumentException(option + " must be at least " + min + ", not " + v);
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a whole number: " + s);
        }
    }

    private static int[] sizes(String s) {
        int[] v;
        try {
            v = Arrays.stream(s.split(",")).mapToInt(x -> Integer.parseInt(x.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--sizes: expected numbers separated by commas, e.g. 100,300,1000, not " + s);
        }
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 1 || (i > 0 && v[i] <= v[i - 1])) throw new IllegalArgumentException("--sizes must be ascending and positive: " + s);
        }
        return v;
    }
}
