package neuroscan.data;

import dev.hardwood.HardwoodContext;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * Opens a dataset for streaming: parquet (Hugging Face's format, read with Hardwood), JSON Lines
 * ({@code .jsonl}, {@code .jsonl.gz}) or plain text ({@code .txt}, one document per file).
 */
public final class DocumentSources {
    /** The column used when none is given, as in Hugging Face datasets. */
    public static final String DEFAULT_COLUMN = "text";

    private enum Format {
        PARQUET("parquet"), JSONL("jsonl"), TXT("txt");

        final String name;

        Format(String name) {
            this.name = name;
        }

        static Format of(Path file) {
            String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".parquet")) {
                return PARQUET;
            }
            if (n.endsWith(".jsonl") || n.endsWith(".jsonl.gz")) {
                return JSONL;
            }
            return n.endsWith(".txt") ? TXT : null;
        }
    }

    private DocumentSources() {
    }

    /**
     * A dataset file, or a directory holding one: its {@code .parquet} files if it has any, else its
     * {@code .jsonl}/{@code .jsonl.gz} files, else its {@code .txt} files, sorted by name (only the
     * directory itself, not subdirectories; hidden files are skipped).
     */
    public static DocumentSource open(Path path, String column) {
        if (Files.isDirectory(path)) {
            List<Path> all = list(path);
            for (Format format : Format.values()) {
                List<Path> files = all.stream().filter(f -> Format.of(f) == format).toList();
                if (!files.isEmpty()) {
                    return open(files, column);
                }
            }
            throw new NeuroscanException(path + ": no .parquet, .jsonl, .jsonl.gz or .txt files in this directory");
        }
        if (!Files.exists(path)) {
            throw new NeuroscanException(path + ": no such file or directory");
        }
        return open(List.of(path), column);
    }

    /**
     * Dataset files read in the order given, documents numbered from 0 across them; all must have
     * the same format. Every parquet file's footer is checked (column present and of string type)
     * before this returns, so a bad shard fails at once rather than mid-scan.
     */
    public static DocumentSource open(List<Path> files, String column) {
        if (files.isEmpty()) {
            throw new NeuroscanException("no dataset files given");
        }
        String col = column == null || column.isEmpty() ? DEFAULT_COLUMN : column;
        Format format = null;
        for (Path f : files) {
            Format ff = Format.of(f);
            if (ff == null) {
                throw new NeuroscanException(f + ": unknown dataset format (expected .parquet, .jsonl, .jsonl.gz or .txt)");
            }
            if (format != null && ff != format) {
                throw new NeuroscanException(f + ": is " + ff.name + " but " + files.getFirst() + " is "
                        + format.name + "; a dataset has one format");
            }
            format = ff;
            if (!Files.isRegularFile(f)) {
                throw new NeuroscanException(f + (Files.exists(f) ? ": not a regular file" : ": no such file"));
            }
        }
        return switch (format) {
            case PARQUET -> parquet(files, col);
            case JSONL -> new FileSequence("jsonl", files, col, OptionalLong.empty(), f -> new JsonlDocs(f, col), null);
            case TXT -> new FileSequence("txt", files, DEFAULT_COLUMN, OptionalLong.of(files.size()),
                    TextFileDocs::new, null);
        };
    }

    private static DocumentSource parquet(List<Path> files, String column) {
        Quiet.ensure();
        HardwoodContext context = HardwoodContext.create();
        try {
            long rows = 0;
            for (Path f : files) {
                rows += ParquetDocs.check(f, column, context);
            }
            return new FileSequence("parquet", files, column, OptionalLong.of(rows),
                    f -> new ParquetDocs(f, column, context), context);
        } catch (RuntimeException e) {
            context.close();
            throw e;
        }
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(f -> f.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            throw new NeuroscanException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }
}
