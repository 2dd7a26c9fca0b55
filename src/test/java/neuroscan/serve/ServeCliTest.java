package neuroscan.serve;

import neuroscan.cli.CliFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code neuroscan serve} as a user runs it: its help, its one-line refusals, and Ctrl-C in a child JVM. */
class ServeCliTest {
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void makeRun() throws Exception {
        run = ServeFixtures.run(tmp);
    }

    @Test
    void helpSaysTheLimits() {
        var r = CliFixtures.run("serve", "--help");
        assertEquals(0, r.code(), r.err());
        String help = r.out().replaceAll("\\s+", " ");
        for (String s : new String[]{"--run", "--model", "--tokenizer", "--host", "--port", "127.0.0.1", "8424",
                "at most " + Limits.MAX_TEXT_BYTES + " bytes", "413 beyond", "(414)", "top at most " + Limits.MAX_TOP,
                "at most " + Limits.MAX_WAITING + " waiting", Limits.MAX_IN_FLIGHT + " requests at once (503 beyond)",
                "/api/trace?layer=L&neuron=N&text=T", "/api/neurons?text=T&top=K", "as site lays it out: /L/index.html", "Ctrl-C"}) {
            assertTrue(help.contains(s), "help says " + s + ": " + help);
        }
    }

    @Test
    void aPortInUseIsOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            var r = CliFixtures.run("serve", "--run", run.toString(), "--port", "" + port, "--backend", "reference");
            assertEquals(1, r.code(), r.out() + r.err());
            assertEquals("neuroscan: cannot listen on 127.0.0.1:" + port + ": the port is in use (pass another --port, "
                    + "or --port 0 for any free one)", r.err().strip());
            assertEquals("", r.out());
        }
    }

    @Test
    void badAddressesAreOneLine() {
        var port = CliFixtures.run("serve", "--run", run.toString(), "--port", "70000");
        assertEquals(1, port.code());
        assertEquals("neuroscan: --port 70000 is outside 0..65535", port.err().strip());
        var host = CliFixtures.run("serve", "--run", run.toString(), "--port", "0", "--host", "no-such-host.invalid", "--backend", "reference");
        assertEquals(1, host.code());
        assertEquals(1, host.err().strip().lines().count(), host.err());
        assertTrue(host.err().startsWith("neuroscan: --host no-such-host.invalid: not an address of this machine"), host.err());
        var noRun = CliFixtures.run("serve", "--run", tmp.resolve("nope").toString());
        assertEquals(1, noRun.code());
        assertTrue(noRun.err().strip().endsWith("nope: no such run directory"), noRun.err());
    }

    /**
     * Ctrl-C (SIGINT) on a serving child JVM: it answers until then, then stops, saying so in one line, and frees the port.
     * The child starts through perl with SIGINT at its default: a build started in the background (nohup, `cmd &`)
     * inherits SIGINT ignored, and a JVM that starts with it ignored rightly leaves it ignored, as a terminal's would not.
     */
    @Test
    void ctrlCStopsCleanly() throws Exception {
        List<String> cmd = List.of("perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", System.getProperty("java.class.path"), "neuroscan.cli.Main",
                "serve", "--run", run.toString(), "--port", "0", "--backend", "reference", "--threads", "1");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (var out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            Matcher m = Pattern.compile("^neuroscan: serving .* at (http://127\\.0\\.0\\.1:(\\d+)/) \\(try a text: \\1trace\\); Ctrl-C stops$")
                    .matcher(String.valueOf(first));
            assertTrue(m.matches(), first);
            URI base = URI.create(m.group(1));
            int port = Integer.parseInt(m.group(2));
            var r = ServeFixtures.get(base.resolve("/api/trace?neuron=3&text=hi"));
            assertEquals(200, r.statusCode(), r.body());
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s of SIGINT");
            assertEquals(130, p.exitValue(), "the exit status of a JVM stopped by SIGINT");
            String rest = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals("neuroscan: stopped after 1 request", rest.strip());
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "the port is free again");
        } finally {
            p.destroyForcibly();
        }
    }
}
