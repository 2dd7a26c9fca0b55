package neuroscan.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 16.6: silent or surprising behaviour made explicit. */
class SmallReliabilityTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void model() throws Exception {
        model = CliFixtures.demoModel(tmp.resolve("model"));
    }

    record Captured(CliFixtures.Result result, String stderr) {
    }

    /** The scan's notes go to System.err; the CLI's errors to the result's err. */
    static Captured withStderr(Supplier<CliFixtures.Result> run) {
        var buf = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            return new Captured(run.get(), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    static CliFixtures.Result scan(String out, String... more) {
        String[] base = {"scan", "--model", model.toString(), "--dataset", CliFixtures.PARQUET.toString(),
                "--out", tmp.resolve(out).toString(), "--quiet", "--backend", "cpu", "--top-k", "2"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliFixtures.run(all);
    }

    @Test
    void negativeMaxDocsIsRefused() {
        var r = scan("neg", "--max-docs", "-1");
        assertEquals(1, r.code());
        assertEquals("neuroscan: --max-docs must be 0 or more, got -1 (leave it out to scan every document)\n", r.err());
    }

    @Test
    void aRangePastTheEndOrAnEmptyRangeWarns() {
        var past = withStderr(() -> scan("past", "--doc-range", "1000000:1000010"));
        assertEquals(0, past.result().code(), past.result().err());
        assertTrue(past.stderr().contains("warning: no documents were scanned: the dataset has "), past.stderr());
        assertTrue(past.stderr().contains("the requested range is 1000000:1000010"), past.stderr());
        var none = withStderr(() -> scan("zero", "--max-docs", "0"));
        assertEquals(0, none.result().code(), none.result().err());
        assertTrue(none.stderr().contains("warning: no documents were scanned: the requested range 0:0 is empty"), none.stderr());
    }

    @Test
    void aCheckpointIntervalBelowTheWindowSaysSo() {
        var c = withStderr(() -> scan("ckpt", "--max-docs", "10", "--checkpoint-every", "100"));
        assertEquals(0, c.result().code(), c.result().err());
        assertTrue(c.stderr().contains("note: --checkpoint-every 100 is below the scan's 1024-document window; "
                + "checkpoints are taken once per window (every 1024 documents)"), c.stderr());
    }

    @Test
    void traceSaysWhenItTruncates() {
        String longText = "word ".repeat(500);
        var r = CliFixtures.run("trace", "--model", model.toString(), "--neuron", "0", "--text", longText, "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: the text is longer than the model's context; only its first 48 tokens (BOS included) are traced"),
                r.err());
        var shortText = CliFixtures.run("trace", "--model", model.toString(), "--neuron", "0", "--text", "a b", "--backend", "cpu");
        assertEquals("", shortText.err());
    }

    @Test
    void siteRefusesToOverwriteAForeignIndexButRewritesItsOwn() throws Exception {
        Path run = tmp.resolve("site-run");
        assertEquals(0, scan("site-run", "--max-docs", "10").code());
        Path foreign = tmp.resolve("foreign");
        Files.createDirectories(foreign);
        Files.writeString(foreign.resolve("index.html"), "<html>my homepage</html>");
        var r = CliFixtures.run("site", "--run", run.toString(), "--out", foreign.toString(), "--backend", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("index.html: exists and was not written by neuroscan site; choose an empty or new --out"), r.err());
        assertEquals("<html>my homepage</html>", Files.readString(foreign.resolve("index.html")));
        Path ours = tmp.resolve("ours");
        assertEquals(0, CliFixtures.run("site", "--run", run.toString(), "--out", ours.toString(), "--backend", "cpu").code());
        var again = CliFixtures.run("site", "--run", run.toString(), "--out", ours.toString(), "--backend", "cpu");
        assertEquals(0, again.code(), again.err());
    }

    @Test
    void usageErrorsAreOneLineAndExitTwo() {
        var r = CliFixtures.run("scan", "--no-such-option");
        assertEquals(Main.USAGE, r.code());
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("neuroscan: ") && r.err().contains("(see `neuroscan scan --help`)"), r.err());
        var bad = CliFixtures.run("show", "--neuron", "abc");
        assertEquals(2, bad.code());
        assertEquals(1, bad.err().lines().count(), bad.err());
    }
}
