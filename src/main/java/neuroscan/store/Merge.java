package neuroscan.store;

import neuroscan.NeuroscanException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Merges finished runs of adjacent, disjoint document ranges (shards of one scan) into the run of
 * their union. The top k of a union is the top k of the shards' top k's, and {@link TopK} is
 * independent of merge order, so the merged {@code store.safetensors} is byte-identical to one scan of
 * the union; token caches are concatenated the same way, and the shards' {@link NeuronStats} add up to
 * the union's (sums, and bottom-m samples of disjoint sets).
 */
public final class Merge {
    private Merge() {
    }

    private record Run(Path dir, Manifest manifest) {
        String label() {
            return dir + " (" + manifest.docs() + ")";
        }
    }

    /** Merges {@code runs} (any order) into a new run directory {@code out}; returns its manifest. */
    public static Manifest merge(List<Path> runs, Path out) {
        if (runs.isEmpty()) throw new NeuroscanException("merge: no runs given");
        List<Run> rs = new ArrayList<>();
        for (Path p : runs) {
            Manifest m = Manifest.read(p);
            if (!m.complete()) throw new NeuroscanException(p + ": the scan is not finished; resume it first");
            if (sameDir(p, out)) throw new NeuroscanException(out + ": the output must be a new directory, not one of the runs");
            rs.add(new Run(p, m));
        }
        if (Manifest.exists(out)) throw new NeuroscanException(out + ": already holds a run; choose another --out");
        Run first = rs.getFirst();
        Manifest f = first.manifest();
        for (Run r : rs.subList(1, rs.size())) {
            Manifest m = r.manifest();
            String why = !m.model().sameAs(f.model()) ? "different models (" + f.model() + " vs " + m.model() + ")"
                    : !m.tokenizer().sameAs(f.tokenizer()) ? "different tokenizers (" + f.tokenizer() + " vs " + m.tokenizer() + ")"
                    : !m.dataset().sameAs(f.dataset()) ? "different datasets (" + f.dataset() + " vs " + m.dataset() + ")"
                    : m.topK() != f.topK() ? "different top_k (" + f.topK() + " vs " + m.topK() + ")"
                    : m.includePadding() != f.includePadding() ? "one includes padding and the other does not"
                    : !String.valueOf(m.hook()).equals(String.valueOf(f.hook())) || !m.nLayers().equals(f.nLayers())
                            || m.dMlp() != f.dMlp() || m.nCtx() != f.nCtx()
                    ? "different hooks or model shapes" : null;
            if (why != null) throw new NeuroscanException(first.dir() + " and " + r.dir() + ": cannot merge: " + why);
        }
        rs.sort(Comparator.comparingInt((Run r) -> r.manifest().docStart()).thenComparingInt(r -> r.manifest().docEnd()));
        for (int i = 1; i < rs.size(); i++) {
            Manifest a = rs.get(i - 1).manifest(), b = rs.get(i).manifest();
            if (b.docStart() < a.docEnd()) {
                throw new NeuroscanException(rs.get(i - 1).label() + " and " + rs.get(i).label() + " overlap at documents "
                        + b.docStart() + ":" + Math.min(a.docEnd(), b.docEnd()) + "; merge needs disjoint ranges");
            }
            if (b.docStart() > a.docEnd()) {
                throw new NeuroscanException(rs.get(i - 1).label() + " and " + rs.get(i).label() + " leave documents "
                        + a.docEnd() + ":" + b.docStart() + " unscanned; merge needs adjacent ranges");
            }
        }

        TopK topK = null;
        NeuronStats stats = null;
        boolean allStats = true;   // a shard from before the statistics leaves the union without them
        List<TokenCache> caches = new ArrayList<>();
        long nDocs = 0, nTokens = 0;
        Manifest.Timings timings = Manifest.Timings.ZERO;
        Manifest.Screening screening = null;
        Set<String> backends = new LinkedHashSet<>(), topkMerges = new LinkedHashSet<>();
        for (Run r : rs) {
            Manifest m = r.manifest();
            StoreFile s = StoreFile.read(r.dir().resolve(StoreFile.NAME));
            if (!s.docs().equals(m.docs()) || s.topK().k() != m.topK() || !s.hook().equals(m.layers())
                    || s.includePadding() != m.includePadding()) {
                throw new NeuroscanException(r.dir().resolve(StoreFile.NAME) + ": store (documents " + s.docs() + ", top_k "
                        + s.topK().k() + ") disagrees with " + Manifest.NAME + " (documents " + m.docs() + ", top_k " + m.topK() + ")");
            }
            TokenCache c = TokenCache.open(r.dir().resolve(TokenCache.NAME));
            if (!c.docs().equals(m.docs())) {
                throw new NeuroscanException(r.dir().resolve(TokenCache.NAME) + ": holds documents " + c.docs() + ", "
                        + Manifest.NAME + " says " + m.docs());
            }
            TopK shard = s.topK();
            if (m.nanNeurons() != null) m.nanNeurons().forEach((n, cnt) -> { if (n >= 0 && n < m.neurons() && cnt > 0) shard.addNanCount(n, cnt); });
            if (topK == null) topK = shard;
            else topK.merge(shard);
            allStats &= s.stats() != null;
            if (allStats && stats == null) stats = s.stats();
            else if (allStats) {
                if (stats.samples() != s.stats().samples()) {
                    throw new NeuroscanException(r.dir().resolve(StoreFile.NAME) + ": keeps " + s.stats().samples()
                            + " sample documents per bin, the other shards " + stats.samples() + "; cannot merge");
                }
                stats.merge(s.stats());
            }
            caches.add(c);
            nDocs += m.nDocs();
            nTokens += m.nTokens();
            if (m.timings() != null) timings = timings.plus(m.timings());
            screening = Manifest.Screening.plus(screening, m.screening());
            backends.add(m.backend());
            topkMerges.add(m.topkMerge());
        }

        Manifest lo = rs.getFirst().manifest(), hi = rs.getLast().manifest();
        DocRange docs = new DocRange(lo.docStart(), hi.docEnd());
        String requested = new DocRange(lo.docStart(), DocRange.parse(hi.requestedRange()).end()).toString();
        TokenCache.concat(out.resolve(TokenCache.NAME), caches);
        new StoreFile(topK, docs, lo.includePadding(), lo.layers(), allStats ? stats : null).write(out.resolve(StoreFile.NAME));
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Manifest merged = new Manifest(Manifest.FORMAT, Manifest.version(), true, lo.model(), lo.tokenizer(), lo.dataset(),
                lo.hook(), lo.nLayers(), lo.dMlp(), lo.nCtx(), lo.topK(), lo.includePadding(), lo.padToken(), requested, docs.start(), docs.end(),
                hi.datasetExhausted(), nDocs, nTokens, topK.nanSkipped(), topK.nanNeurons(), String.join(", ", backends), String.join(", ", topkMerges),
                timings, now, now, screening);
        merged.write(out);
        return merged;
    }

    private static boolean sameDir(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
