package neuroscan.bench;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A short JMH run of {@code FmaPeakBench} and {@code OpsBench} (bench/README.md) through JMH's API, for
 * the report: GFLOP/s of each CPU-engine kernel and of the FMA peak they are quoted against. Short on
 * purpose (1 fork, 1 warm-up and 2 measured iterations of 1 s); the full runs are in bench/README.md.
 */
public final class KernelBench {
    /** One benchmark: its short name ("OpsBench.gemmBiasQkv"), threads, and FLOP/s with JMH's error. */
    public record Kernel(String name, int threads, double gflops, double error) {
    }

    private KernelBench() {
    }

    /** {@code quick}: three benchmarks, one 100 ms iteration each, no warm-up (a smoke test of the same path, not a measurement). */
    public static List<Kernel> run(boolean quick) throws RunnerException {
        Options opt = new OptionsBuilder()
                .include(quick ? "^neuroscan\\.engine\\.cpu\\.(FmaPeakBench\\.(oneCore|allCores)|OpsBench\\.gemmBiasQkv)$"
                        : "^neuroscan\\.engine\\.cpu\\.(FmaPeakBench|OpsBench)\\.")
                .warmupIterations(quick ? 0 : 1).warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 1 : 2).measurementTime(quick ? TimeValue.milliseconds(100) : TimeValue.seconds(1))
                .forks(1)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        List<Kernel> out = new ArrayList<>();
        for (RunResult r : new Runner(opt).run()) {
            String full = r.getParams().getBenchmark();
            Result<?> flop = r.getSecondaryResults().get("flop");
            if (flop == null) throw new IllegalStateException(full + " reported no flop counter");
            String name = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
            double err = flop.getScoreError();
            out.add(new Kernel(name, r.getParams().getThreads(), flop.getScore() / 1e9, Double.isNaN(err) ? Double.NaN : err / 1e9));
        }
        out.sort(Comparator.comparing((Kernel k) -> !k.name().startsWith("FmaPeak")).thenComparing(Kernel::name));
        return out;
    }
}
