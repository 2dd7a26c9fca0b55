package neuroscan.data;

import java.util.ServiceLoader;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the libraries under neuroscan.data offline and silent. Without this, DJL's tokenizer
 * factory calls the EC2 metadata endpoint (169.254.169.254, two 1 s timeouts) to send telemetry,
 * SLF4J prints a three-line "no providers" warning, and Hardwood logs "SIMD support: enabled"
 * through java.util.logging; on a machine with an NVIDIA GPU, DJL would look for a CUDA build of its
 * tokenizer library, which the jar does not ship. Each knob is set only when the user has not set it, so
 * {@code -Dslf4j.provider=...} or a logging config still win.
 */
final class Quiet {
    // java.util.logging holds loggers weakly: keep a reference or the level is forgotten.
    private static final Logger HARDWOOD = Logger.getLogger("dev.hardwood");

    static {
        setIfAbsent("OPT_OUT_TRACKING", "true"); // ai.djl.util.Ec2Utils.callHome
        setIfAbsent("offline", "true");          // DJL: never download anything
        // DJL picks a CUDA build of its tokenizer library when it sees a GPU, and none ships in the jar;
        // tokenizing is CPU work either way
        setIfAbsent("RUST_FLAVOR", "cpu");
        if (System.getProperty("slf4j.provider") == null && noSlf4jProvider()) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            setIfAbsent("slf4j.internal.verbosity", "WARN"); // else SLF4J announces the choice above
        }
        if (System.getProperty("java.util.logging.config.file") == null
                && System.getProperty("java.util.logging.config.class") == null) {
            HARDWOOD.setLevel(Level.WARNING);
        }
    }

    private Quiet() {
    }

    /** Runs the static initializer once; call before the first use of DJL, SLF4J or Hardwood. */
    static void ensure() {
        // the work happens in the static initializer
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static boolean noSlf4jProvider() {
        try {
            Class<?> spi = Class.forName("org.slf4j.spi.SLF4JServiceProvider");
            return ServiceLoader.load(spi, Quiet.class.getClassLoader()).findFirst().isEmpty();
        } catch (ClassNotFoundException | java.util.ServiceConfigurationError e) {
            return true;
        }
    }
}
