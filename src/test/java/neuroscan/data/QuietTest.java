package neuroscan.data;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading a tokenizer and reading parquet in a fresh JVM prints nothing: no SLF4J "no providers"
 * banner, no Hardwood "SIMD support" line, no DJL telemetry notice. (Only a fresh JVM shows it: the
 * messages come once per process.)
 */
class QuietTest {
    @Test
    void freshJvmPrintsNothingButItsResult() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), QuietProbe.class.getName()))
                .redirectErrorStream(false)
                .start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)
                // the JVM's own notice for --add-modules jdk.incubator.vector; the launcher handles it
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        assertEquals("", err);
        assertEquals("documents 4500\n", out);
        assertEquals(0, p.exitValue());
    }
}
