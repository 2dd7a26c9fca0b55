package neuroscan.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What a reader needs to judge the numbers: the CPU, cores, memory, OS, JDK, commit, date and load. */
public record Machine(String cpu, int cores, String memory, String os, String jdk, String commit, String date, String load) {

    /** The machine now; fields that cannot be read say "unknown". */
    public static Machine now() {
        return new Machine(readCpu(), Runtime.getRuntime().availableProcessors(), readMemory(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " + Runtime.version(),
                readCommit(), ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")), readLoad());
    }

    /** "AMD EPYC (family 26, model 2), AVX-512" from /proc/cpuinfo: the model name alone can be that vague under a hypervisor. */
    static String readCpu() {
        List<String> lines = lines(Path.of("/proc/cpuinfo"));
        String name = field(lines, "model name"), family = field(lines, "cpu family"), model = field(lines, "model"),
                flags = field(lines, "flags");
        if (name == null) return System.getProperty("os.arch") + " (unknown model)";
        String simd = flags == null ? "" : (" " + flags + " ").contains(" avx512f ") ? ", AVX-512"
                : (" " + flags + " ").contains(" avx2 ") ? ", AVX2" : "";
        return name + (family != null ? " (family " + family + ", model " + model + ")" : "") + simd;
    }

    /** The 1-, 5- and 15-minute load averages: how busy the (possibly shared) machine was. */
    public static String readLoad() {
        List<String> l = lines(Path.of("/proc/loadavg"));
        if (l.isEmpty()) return "unknown";
        String[] f = l.get(0).split(" ");
        return f.length >= 3 ? f[0] + " / " + f[1] + " / " + f[2] : "unknown";
    }

    static String readMemory() {
        String total = field(lines(Path.of("/proc/meminfo")), "MemTotal");
        if (total == null) return "unknown";
        try {
            return String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(total.replace("kB", "").strip()) / 1048576.0);
        } catch (NumberFormatException e) {
            return total;
        }
    }

    /** {@code git describe --always --dirty} of the working directory, or "unknown" outside a checkout. */
    static String readCommit() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty", "--abbrev=12").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty() || out.contains("\n")) return "unknown";
            return out;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String field(List<String> lines, String key) {
        for (String l : lines) {
            int c = l.indexOf(':');
            if (c > 0 && l.substring(0, c).strip().equals(key)) return l.substring(c + 1).strip();
        }
        return null;
    }
}
