package neuroscan.bench;

import neuroscan.store.TopK;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scans prefixes of one corpus with every contender, size by size (so load changes hit all of them alike),
 * and checks each checked contender's store against its reference from the same size before its time
 * counts. References run first at each size: neuroscan's CPU engine (default semantics) and, where the
 * seed pipeline runs, the CPU engine on documents padded to n_ctx (the seed's semantics).
 */
public final class Sweep {
    /** Which store a contender is checked against; NONE: it is a reference. */
    public enum Ref { NONE, CPU, CPU_PADDED }

    @FunctionalInterface
    public interface Scan {
        TopK run(List<int[]> docs, int k);
    }

    /**
     * One system of the report.
     *
     * @param key         stable id (json, file names)
     * @param label       name in tables and charts
     * @param how         one line on what it runs
     * @param maxDocs     largest corpus size it scans
     * @param padded      whether it is fed the documents padded to n_ctx
     * @param ref         the store it must equal
     * @param positions   whether argmax positions are compared too (the seed keeps none)
     * @param chart       whether it is drawn in the charts
     * @param produces    the reference it provides (NONE: not a reference)
     */
    public record Contender(String key, String label, String how, int maxDocs, boolean padded, Ref ref, boolean positions,
                            boolean chart, Ref produces, Scan scan) {
    }

    /** One timed scan of the first {@code docs} documents; verdict null for references. */
    public record Run(int docs, long tokens, double seconds, StoreCheck.Verdict verdict) {
        /** A time is reported only once the store was found equal to its reference. */
        public boolean reported() {
            return verdict == null || verdict.equal();
        }
    }

    private Sweep() {
    }

    /** Runs every contender on corpus.subList(0, n) for each size n it reaches; runs per contender key, in order. */
    public static Map<String, List<Run>> run(List<Contender> contenders, List<int[]> corpus, int[] sizes, int nCtx, int k, PrintStream log) {
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        for (Contender c : contenders) runs.put(c.key(), new ArrayList<>());
        // JIT, LibTorch's allocator and thread pool, OpenCL's kernel compilation: once, before any timing.
        List<int[]> few = corpus.subList(0, Math.min(4, corpus.size()));
        for (Contender c : contenders) {
            if (c.maxDocs() >= sizes[0]) c.scan().run(c.padded() ? Corpus.padded(few, nCtx) : few, k);
        }
        for (int n : sizes) {
            List<int[]> docs = corpus.subList(0, n);
            List<int[]> padded = null;
            long tokens = Corpus.tokens(docs);
            Map<Ref, TopK> refs = new EnumMap<>(Ref.class);
            for (Contender c : contenders) {
                if (n > c.maxDocs()) continue;
                if (c.padded() && padded == null) padded = Corpus.padded(docs, nCtx);
                List<int[]> input = c.padded() ? padded : docs;
                System.gc();                                   // garbage of the previous contender is not this one's cost
                long t0 = System.nanoTime();
                TopK store = c.scan().run(input, k);
                double s = (System.nanoTime() - t0) / 1e9;
                StoreCheck.Verdict v = null;
                if (c.ref() != Ref.NONE) {
                    TopK want = refs.get(c.ref());
                    if (want == null) throw new IllegalStateException(c.label() + " at " + n + " documents: its reference " + c.ref() + " did not run");
                    v = StoreCheck.check(c.label() + ", " + n + " docs", store, want, c.positions(), log);
                }
                if (c.produces() != Ref.NONE) refs.put(c.produces(), store);
                Run r = new Run(n, tokens, s, v);
                runs.get(c.key()).add(r);
                log.printf("%,7d docs  %-34s %s%n", n, c.label(), r.reported()
                        ? String.format("%8.2f s %9.0f tokens/s%s", s, tokens / s, v == null ? "" : "  store " + v.describe())
                        : "store " + v.describe() + " (time not reported)");
            }
        }
        return runs;
    }
}
