package neuroscan.view;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Headless Chromium for page tests: one launch per call, a fresh profile each time, no network. */
public final class Chromium {
    private Chromium() {
    }

    /** {@code NEUROSCAN_CHROMIUM}, else the usual Debian/Ubuntu locations. */
    public static Optional<Path> find() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("NEUROSCAN_CHROMIUM");
        if (env != null && !env.isBlank()) candidates.add(env);
        candidates.addAll(List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"));
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** ChromeDriver for Selenium: {@code NEUROSCAN_CHROMEDRIVER}, else Debian's chromium-driver package. */
    public static Optional<Path> findDriver() {
        List<String> candidates = new ArrayList<>();
        String env = System.getenv("NEUROSCAN_CHROMEDRIVER");
        if (env != null && !env.isBlank()) candidates.add(env);
        candidates.addAll(List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"));
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** What a launch printed: stdout (e.g. the dumped DOM) and the log, console messages included. */
    record Run(int exit, String stdout, String log) {
        /** The page's console messages ("INFO:CONSOLE" lines of the log). */
        List<String> console() {
            return log.lines().filter(l -> l.contains(":CONSOLE")).toList();
        }
    }

    /**
     * Runs Chromium on {@code url} with the isolation flags and {@code extra} (e.g. --dump-dom or
     * --screenshot=...), in {@code work} (profile and output files live there).
     */
    static Run run(Path exe, Path work, String url, String... extra) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(work, "profile");
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0"));
        cmd.addAll(List.of(extra));
        cmd.add(url);
        Path out = work.resolve("stdout-" + profile.getFileName()), err = work.resolve("stderr-" + profile.getFileName());
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        Path.of("/dev/null").toFile())).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("chromium did not finish within 90 s: " + Files.readString(err));
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly); // nothing may outlive the test
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
