package neuroscan.data;

import neuroscan.NeuroscanException;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Strict UTF-8 decoding for dataset text. Dataset bytes are untrusted: silently turning invalid
 * bytes into U+FFFD would scan text that is not in the file, so we stop and say where.
 */
final class Utf8 {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private int badAt;

    /** Decodes one line ({@code line} counts from 1) or fails naming file, line and byte. */
    String decodeLine(byte[] bytes, int offset, int length, Path file, long line) {
        String s = decode(bytes, offset, length);
        if (s == null) {
            throw invalid(file, line, bytes[badAt], badAt - offset + 1);
        }
        return s;
    }

    /** Decodes a whole file or fails naming the line of the bad byte and its place in that line. */
    String decodeFile(byte[] bytes, Path file) {
        String s = decode(bytes, 0, bytes.length);
        if (s == null) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < badAt; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw invalid(file, line, bytes[badAt], badAt - lineStart + 1);
        }
        return s;
    }

    private static NeuroscanException invalid(Path file, long line, byte b, int byteInLine) {
        return new NeuroscanException(String.format("%s:%d: invalid UTF-8 (byte 0x%02X at byte %d of the line)",
                file, line, b & 0xFF, byteInLine));
    }

    /** The text, or null with {@link #badAt} set to the index of the first invalid byte. */
    private String decode(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, length);
        CharBuffer out = CharBuffer.allocate(length); // UTF-8 never gives more UTF-16 units than bytes
        decoder.reset();
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            badAt = in.position();
            return null;
        }
        return out.flip().toString();
    }
}
