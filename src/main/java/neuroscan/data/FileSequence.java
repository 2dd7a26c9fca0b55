package neuroscan.data;

import neuroscan.NeuroscanException;
import neuroscan.format.Sha256;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;

/** A {@link DocumentSource} over files of one format, read one after the other. */
final class FileSequence implements DocumentSource {

    /** The documents of one file. */
    interface FileDocs extends AutoCloseable {
        /** Moves to the next document of the file; false at its end. */
        boolean advance();

        /** The current document's text (null for a NULL value). */
        String text();

        @Override
        void close();
    }

    @FunctionalInterface
    interface Opener {
        FileDocs open(Path file);
    }

    private final String format;
    private final List<Path> files;
    private final String column;
    private final OptionalLong count;
    private final Opener opener;
    private final AutoCloseable shared;
    private int fileIndex = -1;
    private FileDocs current;
    private boolean ready;
    private boolean closed;
    private int nextIndex;
    private String contentId;

    FileSequence(String format, List<Path> files, String column, OptionalLong count, Opener opener,
                 AutoCloseable shared) {
        this.format = format;
        this.files = List.copyOf(files);
        this.column = column;
        this.count = count;
        this.opener = opener;
        this.shared = shared;
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            throw new IllegalStateException("document source is closed");
        }
        while (!ready) {
            if (current != null) {
                if (current.advance()) {
                    ready = true;
                    break;
                }
                current.close();
                current = null;
            }
            if (fileIndex + 1 >= files.size()) {
                return false;
            }
            current = opener.open(files.get(++fileIndex));
        }
        return true;
    }

    @Override
    public Document next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ready = false;
        return new Document(nextIndex++, current.text());
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public List<Path> files() {
        return files;
    }

    @Override
    public String column() {
        return column;
    }

    @Override
    public OptionalLong count() {
        return count;
    }

    @Override
    public synchronized String contentId() {
        if (contentId == null) {
            if (files.size() == 1) {
                contentId = Sha256.file(files.getFirst());
            } else {
                StringBuilder listing = new StringBuilder();
                for (Path f : files) {
                    listing.append(Sha256.file(f)).append("  ").append(f.getFileName()).append('\n');
                }
                contentId = Sha256.of(listing.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return contentId;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (current != null) {
                current.close();
                current = null;
            }
        } finally {
            if (shared != null) {
                try {
                    shared.close();
                } catch (Exception e) {
                    // nothing was written; a failure to release a reader pool is not the user's problem
                }
            }
        }
    }
}
