package neuroscan.cli;

import neuroscan.NeuroscanException;
import neuroscan.Progress;
import neuroscan.data.DocumentSource;
import neuroscan.data.DocumentSources;
import neuroscan.engine.Engine;
import neuroscan.format.Sha256;
import neuroscan.hub.Known;
import neuroscan.model.ModelLoader;
import neuroscan.scan.ScanListener;
import neuroscan.scan.ScanOptions;
import neuroscan.store.DocRange;
import neuroscan.store.Manifest;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything between the command line and {@link neuroscan.scan.Scanner}: resolve the artifacts
 * (downloading them if needed), describe them for the manifest, open the engine, show progress.
 * Shared by {@code scan} and the flagship {@code --neuron N}.
 */
final class ScanJob {
    /** @param tokensFrom a finished run whose token cache to reuse instead of tokenizing (null: tokenize) */
    record Request(String dataset, String column, int topK, DocRange range, boolean includePadding,
                   boolean resume, boolean quiet, int checkpointEvery, Path tokensFrom, boolean stats) {
    }

    record Result(Path dir, Manifest manifest, ModelOptions.Resolved inputs) {
    }

    /** The artifacts of a scan, resolved, and their identities for the manifest. */
    record Inputs(ModelOptions.Resolved model, Known.Resolved dataset, Manifest.Sources sources) {
    }

    static Inputs resolve(Known known, ModelOptions modelOptions, String datasetSpec) {
        ModelOptions.Resolved m = modelOptions.resolve(known);
        Known.Resolved ds = known.resolveDataset(datasetSpec);
        Path checkpoint = ModelLoader.findCheckpoint(m.model().dir());
        Path tokenizerJson = m.tokenizerSource().path().resolve(Known.TOKENIZER_FILE);
        var sources = new Manifest.Sources(
                new Manifest.Artifact(id(m.modelSource()), m.modelSource().commit(), Sha256.file(checkpoint)),
                new Manifest.Artifact(id(m.tokenizerSource()), m.tokenizerSource().commit(),
                        java.nio.file.Files.isRegularFile(tokenizerJson) ? Sha256.file(tokenizerJson) : Sha256.file(m.tokenizerSource().path())),
                new Manifest.Artifact(id(ds), ds.commit(), null));
        return new Inputs(m, ds, sources);
    }

    /** The alias or repo id as given; a local path made absolute so `show` finds it from anywhere. */
    static String id(Known.Resolved r) {
        return r.local() ? r.path().toAbsolutePath().normalize().toString() : r.spec();
    }

    static Result run(Inputs in, Path out, Request req, EngineOptions engineOptions) {
        var m = in.model();
        int nCtx = m.model().cfg().nCtx();
        List<Path> files = in.dataset().local() ? List.of(in.dataset().path()) : in.dataset().files();
        try (DocumentSource docs = DocumentSources.open(files, req.column());
             Engine engine = engineOptions.open(m.model().weights(), !req.quiet())) {
            var sources = new Manifest.Sources(in.sources().model(), in.sources().tokenizer(),
                    new Manifest.Artifact(in.sources().dataset().id(), in.sources().dataset().revision(), docs.contentId()));
            ScanOptions o = ScanOptions.defaults(out, nCtx)
                    .withTopK(req.topK())
                    .withRange(req.range())
                    .withPadding(req.includePadding(), m.tokenizer().padId())
                    .withResume(req.resume())
                    .withCheckpointEvery(req.checkpointEvery())
                    .withQuiet(req.quiet())
                    .withStats(req.stats())
                    .withHook(neuroscan.store.Hook.of(m.model().cfg()));
            long total = docs.count().isPresent()
                    ? Math.max(0, Math.min(req.range().end(), docs.count().getAsLong()) - req.range().start()) : -1;
            try (var listener = new ProgressListener(req.quiet(), total)) {
                var tokenizer = m.tokenizer();
                var scanner = new neuroscan.scan.Scanner(engine, o, listener);
                Manifest manifest = req.tokensFrom() != null ? scanner.scan(sources, req.tokensFrom())
                        : scanner.scan(sources, docs, text -> tokenizer.toTokens(text, nCtx));
                return new Result(out, manifest, m);
            }
        } catch (NeuroscanException e) {
            throw e;
        } catch (Exception e) {
            throw new NeuroscanException("scan failed: " + e.getMessage(), e);
        }
    }

    /** Draws the scan's progress bar (documents, tokens/s, ETA) and prints its notes on stderr. */
    static final class ProgressListener implements ScanListener, AutoCloseable {
        private final boolean quiet;
        private final long totalHint;
        private Progress bar;
        private long docs, tokens;

        ProgressListener(boolean quiet, long totalHint) {
            this.quiet = quiet;
            this.totalHint = totalHint;
        }

        @Override
        public void started(long docsDone, long tokensDone, long docsTotal) {
            long total = docsTotal > 0 ? docsTotal : totalHint;
            bar = Progress.start("scan", total, "docs", quiet ? Progress.Mode.QUIET : Progress.Mode.AUTO).secondary("tok");
            bar.skip(docsDone);
            docs = docsDone;
            tokens = tokensDone;
        }

        @Override
        public void progress(long docsDone, long tokensDone) {
            if (bar == null) return;
            bar.advance(docsDone - docs, tokensDone - tokens);
            docs = docsDone;
            tokens = tokensDone;
        }

        @Override
        public void note(String message) {
            if (bar != null) bar.done();
            bar = null;
            System.err.println("neuroscan: " + Printable.line(message));
        }

        @Override
        public void close() {
            if (bar != null) bar.done();
        }
    }
}
