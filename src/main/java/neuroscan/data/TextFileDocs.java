package neuroscan.data;

import neuroscan.NeuroscanException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** One .txt file is one document: its whole content, strict UTF-8, without a byte order mark. */
final class TextFileDocs implements FileSequence.FileDocs {
    private final Path file;
    private boolean done;
    private String text;

    TextFileDocs(Path file) {
        this.file = file;
    }

    @Override
    public boolean advance() {
        if (done) {
            return false;
        }
        done = true;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NeuroscanException(file + ": no such file");
        } catch (IOException e) {
            throw new NeuroscanException(file + ": cannot read: " + e.getMessage(), e);
        }
        String s = new Utf8().decodeFile(bytes, file);
        text = s.startsWith("\uFEFF") ? s.substring(1) : s;
        return true;
    }

    @Override
    public String text() {
        return text;
    }

    @Override
    public void close() {
        text = null;
    }
}
