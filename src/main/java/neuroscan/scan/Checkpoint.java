package neuroscan.scan;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;
import neuroscan.store.DocRange;
import neuroscan.store.Hook;
import neuroscan.store.Manifest;
import neuroscan.store.StoreFile;
import neuroscan.store.TokenCache;
import neuroscan.store.TopK;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoint/} folder of an unfinished run: {@code state.safetensors} (the store and statistics
 * of documents [start, next), in one file so they cannot disagree, with counters in its metadata) and token chunks {@code tokens-A-B.safetensors}, one per
 * checkpoint. Every file is written atomically and a chunk always before the state that counts it, so
 * whatever instant a kill lands on, the state on disk names a store and a tiling of chunks that are all
 * complete; chunks past the state's {@code next} are leftovers and are deleted on resume.
 */
final class Checkpoint {
    static final String DIR = "checkpoint";
    private static final String STATE = "state.safetensors";
    private static final Pattern TEMP = Pattern.compile("\\..+\\.\\d+\\.tmp");
    private static final Pattern CHUNK = Pattern.compile("tokens-(\\d+)-(\\d+)\\.safetensors");

    private final Path dir;

    Checkpoint(Path runDir) {
        this.dir = runDir.resolve(DIR);
    }

    /** What a checkpoint restores. {@code store.docs()} is [range start, next). */
    record State(StoreFile store, long nTokens, Manifest.Timings timings, Manifest.Screening screening) {
        int next() {
            return store.docs().end();
        }
    }

    /** The saved state, or null when there is none (a fresh scan, or a kill before the first checkpoint). */
    State load(int rangeStart, int topK, Hook hook, boolean includePadding) {
        Path f = dir.resolve(STATE);
        if (!Files.isRegularFile(f)) return null;
        StoreFile s = StoreFile.read(f);
        TopK t = s.topK();
        if (t.k() != topK || !s.hook().equals(hook) || s.includePadding() != includePadding || s.docs().start() != rangeStart) {
            throw new NeuroscanException(f + ": checkpoint is for top_k " + t.k() + ", " + describe(s.hook()) + ", documents "
                    + s.docs() + "; expected top_k " + topK + ", " + describe(hook) + " from document " + rangeStart
                    + " (delete " + dir + " to start over)");
        }
        Map<String, String> m = s.extra();
        Manifest.Timings timings = new Manifest.Timings(d(m, "tokenize_s"), d(m, "wait_s"), d(m, "compute_s"), d(m, "topk_s"),
                d(m, "checkpoint_s"), d(m, "total_s"), (int) d(m, "sessions"));
        try {
            t.addNanNeurons(m.get("nan_neurons"));
        } catch (IllegalArgumentException e) {
            throw new NeuroscanException(f + ": corrupt checkpoint: nan_neurons: " + e.getMessage() + " (delete " + dir + " to start over)");
        }
        Manifest.Screening screening = null;
        if (m.containsKey("screen_pairs")) {
            try {
                long pairs = Long.parseLong(m.get("screen_pairs")), recomputed = Long.parseLong(m.getOrDefault("screen_recomputed", "0"));
                if (pairs < 0 || recomputed < 0 || recomputed > pairs) throw new NumberFormatException(recomputed + " of " + pairs);
                screening = Manifest.Screening.of(pairs, recomputed);
            } catch (NumberFormatException e) {
                throw new NeuroscanException(f + ": corrupt checkpoint: screen counters: " + e.getMessage() + " (delete " + dir + " to start over)");
            }
        }
        return new State(s, Long.parseLong(m.getOrDefault("n_tokens", "0")), timings, screening);
    }

    private static String describe(Hook h) {
        return h.nLayers() == 1 && h.name().equals(Hook.POST) ? "d_mlp " + h.dMlp() : h.nLayers() + " layers of " + h.dMlp() + " " + h.name();
    }

    private static double d(Map<String, String> m, String key) {
        return Double.parseDouble(m.getOrDefault(key, "0"));
    }

    /**
     * Saves the token chunk of documents [chunkStart, chunkStart + tokens.size()) and then the state of
     * documents [start, next). Nothing is written when tokens is empty and state is null.
     */
    void save(int chunkStart, List<int[]> tokens, StoreFile state, long nTokens, Manifest.Timings timings) {
        save(chunkStart, tokens, state, nTokens, timings, null);
    }

    /** As above, with the screen's counters so far (null: nothing screened). */
    void save(int chunkStart, List<int[]> tokens, StoreFile state, long nTokens, Manifest.Timings timings, Manifest.Screening screening) {
        if (!tokens.isEmpty()) writeChunk(chunkStart, tokens);
        if (state == null) return;
        Map<String, String> m = new HashMap<>();
        m.put("n_tokens", Long.toString(nTokens));
        m.put("nan_skipped", Long.toString(state.topK().nanSkipped()));
        m.put("nan_neurons", state.topK().formatNanNeurons());
        m.put("tokenize_s", Double.toString(timings.tokenizeS()));
        m.put("wait_s", Double.toString(timings.waitS()));
        m.put("compute_s", Double.toString(timings.computeS()));
        m.put("topk_s", Double.toString(timings.topkS()));
        m.put("checkpoint_s", Double.toString(timings.checkpointS()));
        m.put("total_s", Double.toString(timings.totalS()));
        m.put("sessions", Integer.toString(timings.sessions()));
        if (screening != null) {
            m.put("screen_pairs", Long.toString(screening.pairsScreened()));
            m.put("screen_recomputed", Long.toString(screening.candidatesRecomputed()));
        }
        new StoreFile(state.topK(), state.docs(), state.includePadding(), m, state.hook(), state.stats()).write(dir.resolve(STATE));
    }

    void writeChunk(int chunkStart, List<int[]> tokens) {
        int end = chunkStart + tokens.size();
        TokenCache.write(dir.resolve("tokens-" + chunkStart + "-" + end + ".safetensors"), chunkStart, tokens);
    }

    /**
     * Opens the chunks tiling [start, next), deleting any chunk outside that tiling (written just before a
     * kill, or left from an earlier attempt). A gap means someone edited the folder: a clear error.
     */
    List<TokenCache> chunks(int start, int next) {
        record Chunk(int from, int to, Path file) {
        }
        List<Chunk> all = new ArrayList<>();
        for (Path p : list()) {
            Matcher m = CHUNK.matcher(p.getFileName().toString());
            if (m.matches()) all.add(new Chunk(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), p));
        }
        all.sort(Comparator.comparingInt(Chunk::from).thenComparingInt(Chunk::to));
        List<TokenCache> out = new ArrayList<>();
        int at = start;
        for (Chunk c : all) {
            if (c.from == at && c.to <= next && c.to > c.from) {
                TokenCache t = TokenCache.open(c.file);
                if (!t.docs().equals(new DocRange(c.from, c.to))) {
                    throw new NeuroscanException(c.file + ": holds documents " + t.docs() + ", its name says " + c.from + ":" + c.to);
                }
                out.add(t);
                at = c.to;
            } else {
                delete(c.file);
            }
        }
        if (at != next) {
            throw new NeuroscanException(dir + ": token chunks cover documents " + start + ":" + at + " but the checkpoint needs "
                    + start + ":" + next + " (delete " + dir + " to start over)");
        }
        return out;
    }

    /** Removes every checkpoint file (after the finished run is on disk, or when starting afresh). */
    void clear() {
        for (Path p : list()) delete(p);
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a non-empty folder (someone's file) is left alone
        }
    }

    /** Deletes temp files of writes a kill interrupted (AtomicFiles names them {@code .NAME.*.tmp}). */
    static void removeStaleTemps(Path folder) {
        if (!Files.isDirectory(folder)) return;
        try (Stream<Path> s = Files.list(folder)) {
            s.filter(p -> TEMP.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))
                    .forEach(Checkpoint::delete);
        } catch (IOException e) {
            // harmless: hidden temp files only cost space
        }
    }

    private List<Path> list() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new NeuroscanException(dir + ": cannot list: " + AtomicFiles.describe(e));
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new NeuroscanException("cannot delete " + p + ": " + AtomicFiles.describe(e));
        }
    }

    Path dir() {
        return dir;
    }
}
