package neuroscan;

import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected lines are worked out by hand from the injected clock (rates, percentages, ETAs). */
class ProgressTest {
    static final long S = 1_000_000_000L;

    final AtomicLong now = new AtomicLong();
    final StringWriter out = new StringWriter();

    Progress.Options opts(Progress.Mode mode, boolean color) {
        return new Progress.Options(mode, out, now::get, Duration.ofSeconds(5), color);
    }

    @Test
    void plainLinesEveryIntervalThenASummary() {
        Progress p = Progress.start("model_final.pth", 120_000_000, "B", opts(Progress.Mode.LINES, false));
        now.set(S);
        p.advance(10_000_000);
        assertEquals("", out.toString(), "nothing before the interval");
        now.set(5 * S);
        p.advance(35_200_000);
        now.set(7 * S);
        p.advance(1);
        now.set(10 * S);
        p.advance(74_799_999);
        p.done();
        p.done(); // once only
        assertEquals("""
                model_final.pth: 45.2 MB / 120.0 MB (37%), 9.0 MB/s, ETA 0:08
                model_final.pth: 120.0 MB / 120.0 MB (100%), 12.0 MB/s, ETA 0:00
                model_final.pth: 120.0 MB in 10.0 s (12.0 MB/s)
                """, out.toString());
    }

    @Test
    void barRedrawsOneLineWithCountsSecondaryRateAndExtra() {
        Progress p = Progress.start("scan", 10_000, "docs", opts(Progress.Mode.BAR, false)).secondary("tok");
        now.set(2 * S);
        p.advance(1234, 1_000_000);
        String first = "scan  12% [##----------------------] 1,234/10,000 docs  617.0 docs/s  500.0k tok/s  ETA 0:14";
        assertEquals("\r" + first, out.toString());

        now.set(2 * S + 50_000_000); // 50 ms later: too soon to redraw
        p.advance(0, 0);
        assertEquals("\r" + first, out.toString());

        p.setExtra("cpu x2");
        now.set(4 * S);
        p.advance(8766, 1_000_000);
        String second = "scan 100% [########################] 10,000/10,000 docs  2500.0 docs/s  500.0k tok/s  ETA 0:00  cpu x2";
        p.done();
        String summary = "scan: 10,000 docs in 4.0 s (2500.0 docs/s, 500.0k tok/s), cpu x2";
        // without colours there is no "erase line" escape: the shorter summary is padded over the bar
        assertEquals("\r" + first + "\r" + second + "\r" + summary + " ".repeat(second.length() - summary.length()) + "\n",
                out.toString());
        assertFalse(out.toString().contains("\033"));
    }

    @Test
    void coloursOnlyWhenAllowed() {
        Progress p = Progress.start("x", 100, "B", opts(Progress.Mode.BAR, true));
        now.set(S);
        p.advance(50);
        assertTrue(out.toString().contains("\033[32m############\033[0m------------]"), out.toString());
        assertTrue(out.toString().endsWith("\033[K"));

        assertFalse(Progress.colorAllowed(Map.of("NO_COLOR", "1")));
        assertTrue(Progress.colorAllowed(Map.of("NO_COLOR", "")), "no-color.org: only a non-empty value counts");
        assertTrue(Progress.colorAllowed(Map.of()));
    }

    @Test
    void quietPrintsNothing() {
        Progress p = Progress.start("x", 100, "B", opts(Progress.Mode.QUIET, true));
        now.set(100 * S);
        p.advance(100);
        p.done();
        assertEquals("", out.toString());
        assertEquals(100, p.count());
    }

    @Test
    void resumedBytesCountTowardsThePositionButNotTheRate() {
        Progress p = Progress.start("dl", 100_000_000, "B", opts(Progress.Mode.LINES, false).withInterval(Duration.ofSeconds(1)))
                .skip(50_000_000);
        now.set(2 * S);
        p.advance(10_000_000);
        assertEquals("dl: 60.0 MB / 100.0 MB (60%), 5.0 MB/s, ETA 0:08\n", out.toString());
    }

    @Test
    void unknownTotalShowsAmountAndRateOnly() {
        Progress p = Progress.start("dl", -1, "B", opts(Progress.Mode.LINES, false));
        now.set(5 * S);
        p.advance(5_000_000);
        assertEquals("dl: 5.0 MB, 1.0 MB/s\n", out.toString());
    }

    @Test
    void advanceIsThreadSafeWhileDrawing() throws InterruptedException {
        AtomicLong ticking = new AtomicLong();
        StringBuffer sink = new StringBuffer();
        var o = new Progress.Options(Progress.Mode.BAR, new java.io.Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                sink.append(c, off, len);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        }, () -> ticking.addAndGet(1_000_000), Duration.ofSeconds(5), false); // every read of the clock: +1 ms
        Progress p = Progress.start("w", 80_000, "docs", o);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) p.advance(1);
            }));
        }
        for (Thread t : threads) t.join();
        p.done();
        assertEquals(80_000, p.count());
        String all = sink.toString();
        assertTrue(all.contains("\rw: 80,000 docs in "), all.substring(Math.max(0, all.length() - 200)));
        assertTrue(all.endsWith("\n"));
        assertEquals(1, all.chars().filter(c -> c == '\n').count(), "one summary line");
    }

    @Test
    void formatting() {
        assertEquals("0 B", Progress.formatBytes(0));
        assertEquals("999 B", Progress.formatBytes(999));
        assertEquals("1.0 KB", Progress.formatBytes(1000));
        assertEquals("999.9 KB", Progress.formatBytes(999_949));
        assertEquals("1.0 MB", Progress.formatBytes(999_950)); // never "1000.0 KB"
        assertEquals("1.2 GB", Progress.formatBytes(1_234_567_890));
        assertEquals("12.3k docs/s", Progress.formatRate(12_345, "docs"));
        assertEquals("9999.9 docs/s", Progress.formatRate(9_999.9, "docs"));
        assertEquals("2.5M tok/s", Progress.formatRate(2.5e6, "tok"));
        assertEquals("12.3 MB/s", Progress.formatRate(12_345_678, "B"));
        assertEquals("1,234 docs", Progress.amount(1234, "docs"));
        assertEquals("0:07", Progress.formatDuration(7));
        assertEquals("12:34", Progress.formatDuration(754));
        assertEquals("1:02:03", Progress.formatDuration(3723));
        assertEquals("59.9 s", Progress.formatElapsed(59.94));
        assertEquals("1:15", Progress.formatElapsed(75));
        var p = Progress.start("d".repeat(30) + "/" + "f".repeat(30) + ".parquet", 10, "B", opts(Progress.Mode.LINES, false));
        p.done();
        assertEquals("…/" + "f".repeat(30) + ".parquet: 0 B in 0.0 s (0 B/s)\n", out.toString(), "long labels keep their end");
        // a label from a remote listing cannot drive the terminal
        assertEquals("a?[31mb?", Progress.printable("a\033[31mb\n"));
    }
}
