package neuroscan;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Progress of one long task (a download, a scan) on stderr. On a terminal: one line redrawn in place
 * ({@code \r}) with a bar, rate and ETA. Elsewhere (CI logs, pipes): a plain line every few seconds,
 * so logs stay readable. Both end with one summary line. {@link #advance} may be called from many
 * threads; it never blocks on drawing (a thread that finds the drawer busy just skips the redraw).
 */
public final class Progress implements AutoCloseable {

    public enum Mode {
        /** BAR when stderr is a terminal, else LINES. */
        AUTO,
        /** One line redrawn in place. */
        BAR,
        /** A plain line every {@link Options#interval}, then a final line. */
        LINES,
        /** Nothing at all. */
        QUIET
    }

    /**
     * Where and how to draw; tests inject the writer and the clock.
     *
     * @param color   ANSI colours in BAR mode; false prints no escape sequence at all (NO_COLOR)
     * @param interval LINES mode: time between two lines
     */
    public record Options(Mode mode, Writer out, LongSupplier nanoClock, Duration interval, boolean color) {
        public Options {
            if (mode == Mode.AUTO) mode = stderrIsTerminal() ? Mode.BAR : Mode.LINES;
        }

        /** stderr, the system clock, a line every 5 s, colours unless NO_COLOR is set. */
        public static Options defaults(Mode mode) {
            return new Options(mode, new PrintWriter(System.err, true), System::nanoTime, Duration.ofSeconds(5),
                    colorAllowed(System.getenv()));
        }

        public static Options quiet() {
            return new Options(Mode.QUIET, Writer.nullWriter(), System::nanoTime, Duration.ofSeconds(5), false);
        }

        public Options withInterval(Duration d) {
            return new Options(mode, out, nanoClock, d, color);
        }
    }

    /** https://no-color.org: any non-empty NO_COLOR disables colours. */
    public static boolean colorAllowed(Map<String, String> env) {
        String v = env.get("NO_COLOR");
        return v == null || v.isEmpty();
    }

    static boolean stderrIsTerminal() {
        // System.console() is non-null when stdin and stdout are the terminal; isTerminal() checks more
        // precisely since Java 22. Neither looks at stderr alone, which is the best the JDK offers.
        // The launcher filters stderr through a pipe and says whether it was a terminal.
        String tty = System.getenv("NEUROSCAN_STDERR_TTY");
        if (tty != null) return tty.equals("1");
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    private static final long BAR_REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 24;
    private static final int MAX_LABEL = 40;

    private final String label;
    private final long total;
    private final String unit;
    private final Options opt;
    private final long startNanos;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong secondary = new AtomicLong();
    private final ReentrantLock drawing = new ReentrantLock();
    private volatile long skipped;
    private volatile String secondaryUnit;
    private volatile String extra;
    private volatile long lastDrawNanos;
    private int lastWidth;
    private boolean finished;

    private Progress(String label, long total, String unit, Options opt) {
        String l = printable(label);
        // a bar longer than the terminal wraps, and "\r" then redraws only its last part
        this.label = l.length() > MAX_LABEL ? "…" + l.substring(l.length() - MAX_LABEL + 1) : l;
        this.total = total;
        this.unit = unit;
        this.opt = opt;
        this.startNanos = opt.nanoClock().getAsLong();
        this.lastDrawNanos = startNanos;
    }

    /**
     * @param total the amount expected, or &lt;= 0 when unknown (then no percentage, bar or ETA)
     * @param unit  "B" formats bytes (KB, MB, GB; powers of 1000), anything else counts ("docs")
     */
    public static Progress start(String label, long total, String unit, Mode mode) {
        return start(label, total, unit, mode == Mode.QUIET ? Options.quiet() : Options.defaults(mode));
    }

    public static Progress start(String label, long total, String unit, Options options) {
        return new Progress(label, total, unit, options);
    }

    /** Counts n units as done before this run (a resumed download): shown, but not in the rate. */
    public Progress skip(long n) {
        skipped += n;
        count.addAndGet(n);
        return this;
    }

    /** Also report the rate of a second quantity, e.g. {@code "tok"} for tokens/s during a scan. */
    public Progress secondary(String unit) {
        this.secondaryUnit = unit;
        return this;
    }

    /** Free text shown after the rates, e.g. the backend in use. Null clears it. */
    public void setExtra(String text) {
        this.extra = text == null ? null : printable(text);
    }

    public void advance(long n) {
        advance(n, 0);
    }

    /** Adds n units of the main quantity and s of the {@link #secondary} one. Thread-safe. */
    public void advance(long n, long s) {
        count.addAndGet(n);
        if (s != 0) secondary.addAndGet(s);
        if (opt.mode() == Mode.QUIET) return;
        long now = opt.nanoClock().getAsLong();
        long due = opt.mode() == Mode.BAR ? BAR_REDRAW_NANOS : opt.interval().toNanos();
        if (now - lastDrawNanos >= due) tryDraw(now);
    }

    public long count() {
        return count.get();
    }

    /** Prints the summary line (once); later calls do nothing. */
    public void done() {
        if (opt.mode() == Mode.QUIET) return;
        drawing.lock();
        try {
            if (finished) return;
            finished = true;
            long now = opt.nanoClock().getAsLong();
            String line = summaryLine(now);
            if (opt.mode() == Mode.BAR) write("\r" + padOver(line) + "\n");
            else write(line + "\n");
        } finally {
            drawing.unlock();
        }
    }

    @Override
    public void close() {
        done();
    }

    private void tryDraw(long now) {
        if (!drawing.tryLock()) return;
        try {
            // another thread may have drawn between our check and the lock
            if (finished || now - lastDrawNanos < (opt.mode() == Mode.BAR ? BAR_REDRAW_NANOS : opt.interval().toNanos())) {
                return;
            }
            lastDrawNanos = now;
            if (opt.mode() == Mode.BAR) write("\r" + padOver(barLine(now)));
            else write(plainLine(now) + "\n");
        } finally {
            drawing.unlock();
        }
    }

    /** Without colours we cannot send "erase to end of line", so a shorter line is padded with spaces. */
    private String padOver(String line) {
        int visible = visibleLength(line);
        String pad = opt.color() ? "\033[K" : " ".repeat(Math.max(0, lastWidth - visible));
        lastWidth = visible;
        return line + pad;
    }

    private void write(String s) {
        try {
            opt.out().write(s);
            opt.out().flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the lines (package-private for tests) ----

    String barLine(long now) {
        long done = count.get();
        StringBuilder b = new StringBuilder(label);
        if (total > 0) {
            double frac = Math.min(1.0, (double) done / total);
            int filled = (int) Math.floor(frac * BAR_WIDTH);
            b.append(String.format(Locale.ROOT, " %3d%% [", (int) Math.floor(frac * 100)));
            String bar = "#".repeat(filled);
            if (opt.color() && filled > 0) bar = "\033[32m" + bar + "\033[0m";
            b.append(bar).append("-".repeat(BAR_WIDTH - filled)).append("] ");
            b.append(amountOfTotal(done));
        } else {
            b.append(' ').append(amount(done, unit));
        }
        b.append("  ").append(rates(now, "  "));
        if (total > 0) b.append("  ETA ").append(eta(now, done));
        appendExtra(b, "  ");
        return b.toString();
    }

    String plainLine(long now) {
        long done = count.get();
        StringBuilder b = new StringBuilder(label).append(": ");
        if (total > 0) {
            b.append(amountOfTotal(done))
                    .append(String.format(Locale.ROOT, " (%d%%)", (int) Math.floor(Math.min(1.0, (double) done / total) * 100)));
        } else {
            b.append(amount(done, unit));
        }
        b.append(", ").append(rates(now, ", "));
        if (total > 0) b.append(", ETA ").append(eta(now, done));
        appendExtra(b, ", ");
        return b.toString();
    }

    String summaryLine(long now) {
        double secs = elapsedSeconds(now);
        StringBuilder b = new StringBuilder(label).append(": ").append(amount(count.get(), unit))
                .append(" in ").append(formatElapsed(secs)).append(" (").append(rates(now, ", "))
                .append(')');
        appendExtra(b, ", ");
        return b.toString();
    }

    private void appendExtra(StringBuilder b, String sep) {
        String e = extra;
        if (e != null && !e.isEmpty()) b.append(sep).append(e);
    }

    private String amountOfTotal(long done) {
        if (unit.equals("B")) return formatBytes(done) + " / " + formatBytes(total);
        return String.format(Locale.ROOT, "%,d/%,d %s", done, total, unit);
    }

    private String rates(long now, String sep) {
        double secs = elapsedSeconds(now);
        String r = formatRate(secs > 0 ? (count.get() - skipped) / secs : 0, unit);
        String su = secondaryUnit;
        if (su != null) r += sep + formatRate(secs > 0 ? secondary.get() / secs : 0, su);
        return r;
    }

    private String eta(long now, long done) {
        double secs = elapsedSeconds(now);
        double rate = secs > 0 ? (done - skipped) / secs : 0;
        if (done >= total) return formatDuration(0);
        if (rate <= 0) return "?";
        return formatDuration((total - done) / rate);
    }

    private double elapsedSeconds(long now) {
        return (now - startNanos) / 1e9;
    }

    // ---- formatting ----

    /** "999 B", "12.3 KB", "45.2 MB", "1.2 GB" (powers of 1000). */
    public static String formatBytes(long n) {
        if (n < 1000) return n + " B";
        String[] units = {"KB", "MB", "GB", "TB", "PB"};
        double v = n;
        int i = -1;
        do {
            v /= 1000;
            i++;
        } while (v >= 999.95 && i < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    /** An amount with its unit: bytes formatted, counts with thousands separators ("1,234 docs"). */
    public static String amount(long n, String unit) {
        return unit.equals("B") ? formatBytes(n) : String.format(Locale.ROOT, "%,d %s", n, unit);
    }

    /** "12.3 MB/s", "52.3 docs/s", "45.1k tok/s". */
    public static String formatRate(double perSecond, String unit) {
        if (unit.equals("B")) return formatBytes(Math.round(perSecond)) + "/s";
        if (perSecond >= 1e9) return String.format(Locale.ROOT, "%.1fG %s/s", perSecond / 1e9, unit);
        if (perSecond >= 1e6) return String.format(Locale.ROOT, "%.1fM %s/s", perSecond / 1e6, unit);
        if (perSecond >= 1e4) return String.format(Locale.ROOT, "%.1fk %s/s", perSecond / 1e3, unit);
        return String.format(Locale.ROOT, "%.1f %s/s", perSecond, unit);
    }

    /** "0:07", "12:34", "1:02:03". */
    public static String formatDuration(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s >= 3600) return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** "9.8 s" under a minute, else as {@link #formatDuration}. */
    public static String formatElapsed(double seconds) {
        return seconds < 60 ? String.format(Locale.ROOT, "%.1f s", seconds) : formatDuration(seconds);
    }

    /** Labels may come from a remote listing: control characters would drive the terminal. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    private static int visibleLength(String s) {
        return s.replaceAll("\033\\[[0-9;]*[A-Za-z]", "").length();
    }
}
