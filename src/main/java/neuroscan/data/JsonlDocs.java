package neuroscan.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * JSON Lines (optionally gzip-compressed): one JSON object per line, the text under {@code column}.
 * Blank lines are skipped; an explicit {@code null} is a document; a line without the key, a
 * non-string value or malformed JSON is an error naming file:line.
 */
final class JsonlDocs implements FileSequence.FileDocs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String column;
    private final InputStream in;
    private final Utf8 utf8 = new Utf8();
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] line = new byte[1 << 12];
    private long lineNumber;
    private String text;

    JsonlDocs(Path file, String column) {
        this.file = file;
        this.column = column;
        InputStream raw = null;
        try {
            raw = Files.newInputStream(file);
            this.in = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")
                    ? new GZIPInputStream(raw, 1 << 16) : raw;
        } catch (NoSuchFileException e) {
            throw new NeuroscanException(file + ": no such file");
        } catch (IOException e) {
            closeQuietly(raw);
            throw new NeuroscanException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean advance() {
        try {
            while (true) {
                int length = readLine();
                if (length < 0) {
                    return false;
                }
                int start = 0;
                if (lineNumber == 1 && length >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB
                        && (line[2] & 0xFF) == 0xBF) {
                    start = 3; // a UTF-8 byte order mark is an encoding artifact, not content
                }
                if (length > start && line[length - 1] == '\r') {
                    length--;
                }
                if (isBlank(start, length)) {
                    continue;
                }
                text = parse(utf8.decodeLine(line, start, length - start, file, lineNumber));
                return true;
            }
        } catch (IOException e) {
            throw new NeuroscanException(file + ":" + (lineNumber + 1) + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public String text() {
        return text;
    }

    @Override
    public void close() {
        closeQuietly(in);
    }

    private String parse(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new NeuroscanException(file + ":" + lineNumber + ": malformed JSON: "
                    + e.getOriginalMessage().replace('\n', ' '), e);
        }
        if (!node.isObject()) {
            throw new NeuroscanException(file + ":" + lineNumber + ": expected a JSON object, found " + kind(node));
        }
        JsonNode value = node.get(column);
        if (value == null) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            throw new NeuroscanException(file + ":" + lineNumber + ": no key '" + column + "' (keys: "
                    + String.join(", ", keys) + ")");
        }
        if (value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new NeuroscanException(file + ":" + lineNumber + ": '" + column + "' is " + kind(value)
                    + ", not a string");
        }
        return value.textValue();
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case STRING -> "a string";
            default -> "null";
        };
    }

    /** Reads the next line's bytes (without '\n') into {@link #line}; -1 at the end of the file. */
    private int readLine() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        lineNumber++;
        int n = 0;
        while (true) {
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            int chunk = pos - start;
            if (n + chunk > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, n + chunk));
            }
            System.arraycopy(buf, start, line, n, chunk);
            n += chunk;
            if (pos < limit) { // at '\n'
                pos++;
                return n;
            }
            if (!fill()) {
                return n; // last line without a final newline
            }
        }
    }

    private boolean fill() throws IOException {
        int got;
        do {
            got = in.read(buf, 0, buf.length);
        } while (got == 0);
        pos = 0;
        limit = Math.max(got, 0);
        return got > 0;
    }

    private boolean isBlank(int start, int end) {
        for (int i = start; i < end; i++) {
            byte c = line[i];
            if (c != ' ' && c != '\t' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // read-only file: nothing to lose
            }
        }
    }
}
