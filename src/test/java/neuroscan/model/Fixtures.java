package neuroscan.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checkpoints weights/make_fixtures.py wrote with PyTorch, under src/test/resources/fixtures/models. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path path(String relative) {
        try {
            var url = Fixtures.class.getResource("/fixtures/models/" + relative);
            if (url == null) throw new IllegalStateException("missing fixture " + relative + "; run weights/make_fixtures.py");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Asserts {@code e} fails with a one-line NeuroscanException starting with {@code prefix}; returns the message. */
    static String refuses(String prefix, Executable e) {
        String m = assertThrows(NeuroscanException.class, e).getMessage();
        assertTrue(m.startsWith(prefix), () -> "message should start with '" + prefix + "': " + m);
        assertFalse(m.contains("\n"), () -> "message should be one line: " + m);
        return m;
    }
}
