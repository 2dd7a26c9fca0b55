package neuroscan.store;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs a Python snippet with numpy (the independent reader of our files); skips where there is none. */
final class PythonCheck {
    private PythonCheck() {
    }

    /** The reader documented in StoreFile: numpy only, no safetensors package. */
    static final String READER = """
            import json, sys, numpy as np
            def load(path):
                b = open(path, "rb").read(); n = int.from_bytes(b[:8], "little"); h = json.loads(b[8:8 + n])
                t = lambda k: np.frombuffer(b, {"F32": "<f4", "I32": "<i4", "I64": "<i8"}[h[k]["dtype"]], int(np.prod(h[k]["shape"])), 8 + n + h[k]["data_offsets"][0]).reshape(h[k]["shape"])
                return t, h.get("__metadata__", {})
            """;

    static String run(Path dir, String script) throws IOException, InterruptedException {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Path f = dir.resolve("check.py");
        Files.writeString(f, READER + script);
        Process p;
        try {
            p = new ProcessBuilder(python, f.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 not available: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        Assumptions.assumeFalse(out.contains("No module named 'numpy'"), "numpy not installed; skipping the Python check");
        if (p.exitValue() != 0) throw new AssertionError("python failed:\n" + out);
        return out.strip();
    }
}
