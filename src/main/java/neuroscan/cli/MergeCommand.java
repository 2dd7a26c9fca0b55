package neuroscan.cli;

import neuroscan.store.Manifest;
import neuroscan.store.Merge;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code neuroscan merge RUN_A RUN_B ... --out RUN}: shards of one scan into the run of their union. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge finished runs of adjacent document ranges (e.g. --doc-range 0:5000 and 5000:) into one run.",
                "The merged store is byte-identical to one scan of all their documents. Runs must share model, "
                        + "tokenizer, dataset, --top-k and --include-padding."})
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..*", paramLabel = "RUN", description = "Run directories to merge, in any order.")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "The new run directory.")
    Path out;

    @Override
    public Integer call() {
        boolean existed = java.nio.file.Files.exists(out);
        try {
            java.nio.file.Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new neuroscan.NeuroscanException(out + ": cannot create the run directory: "
                    + neuroscan.format.AtomicFiles.describe(e), e);
        }
        Manifest m;
        try (neuroscan.scan.RunLock lock = neuroscan.scan.RunLock.acquire(out)) {   // no scan or merge writes it meanwhile
            m = Merge.merge(runs, out);
        } catch (RuntimeException e) {
            if (!existed) removeEmpty(out);   // a refused merge leaves nothing behind
            throw e;
        }
        spec.commandLine().getOut().printf("merged %d runs into %s: documents %s, %d tokens, top_k %d%n",
                runs.size(), out, m.docs(), m.nTokens(), m.topK());
        return 0;
    }

    /** Deletes the directory this command created if it holds nothing but the lock file. */
    private static void removeEmpty(Path dir) {
        try {
            java.nio.file.Files.deleteIfExists(dir.resolve(neuroscan.scan.RunLock.NAME));
            java.nio.file.Files.deleteIfExists(dir);
        } catch (java.io.IOException ignored) {
            // not empty, or gone: leave it
        }
    }
}
