package neuroscan.data;

import dev.hardwood.HardwoodContext;
import dev.hardwood.InputFile;
import dev.hardwood.metadata.LogicalType;
import dev.hardwood.metadata.PhysicalType;
import dev.hardwood.reader.ColumnReader;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.reader.Validity;
import dev.hardwood.schema.SchemaNode;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One parquet file's string column, read with Hardwood in batches so that only a batch of texts
 * (and the pages behind it) is in memory at a time, however large the row groups.
 */
final class ParquetDocs implements FileSequence.FileDocs {
    private static final int BATCH = 1024;

    private final Path file;
    private final ParquetFileReader reader;
    private final ColumnReader column;
    private String[] texts = new String[0];
    private Validity validity = Validity.NO_NULLS;
    private int size;
    private int pos = -1;

    ParquetDocs(Path file, String columnName, HardwoodContext context) {
        this.file = file;
        this.reader = open(file, context);
        try {
            int index = stringColumn(file, reader, columnName);
            this.column = reader.buildColumnReader(index).batchSize(BATCH).build();
        } catch (RuntimeException e) {
            closeQuietly(reader);
            throw e;
        }
    }

    /**
     * Checks that the file is parquet with a flat string column {@code columnName}, before any
     * document is read; returns its row count from the footer.
     */
    static long check(Path file, String columnName, HardwoodContext context) {
        try (ParquetFileReader r = open(file, context)) {
            stringColumn(file, r, columnName);
            return r.getFileMetaData().numRows();
        } catch (IOException e) {
            throw new NeuroscanException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean advance() {
        try {
            while (pos + 1 >= size) {
                if (!column.nextBatch()) {
                    return false;
                }
                texts = column.getStrings();
                validity = column.getLeafValidity();
                size = column.getRecordCount();
                pos = -1;
            }
        } catch (NeuroscanException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new NeuroscanException(file + ": cannot read column '" + column.getColumnSchema().name()
                    + "': " + message(e), e);
        }
        pos++;
        return true;
    }

    @Override
    public String text() {
        return validity.isNull(pos) ? null : texts[pos];
    }

    @Override
    public void close() {
        closeQuietly(column);
        closeQuietly(reader);
    }

    private static ParquetFileReader open(Path file, HardwoodContext context) {
        if (!Files.isRegularFile(file)) {
            throw new NeuroscanException(file + (Files.exists(file) ? ": not a regular file" : ": no such file"));
        }
        try {
            return ParquetFileReader.open(InputFile.of(file), context);
        } catch (IOException | RuntimeException e) {
            throw new NeuroscanException(file + ": not a readable parquet file: " + message(e), e);
        }
    }

    /** The leaf index of the top-level string column, or a one-line error naming the file. */
    private static int stringColumn(Path file, ParquetFileReader reader, String name) {
        List<SchemaNode> fields = reader.getFileSchema().getRootNode().children();
        SchemaNode field = fields.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
        if (field == null) {
            throw new NeuroscanException(file + ": no column '" + name + "' (columns: "
                    + String.join(", ", fields.stream().map(SchemaNode::name).toList()) + ")");
        }
        String problem;
        if (field instanceof SchemaNode.PrimitiveNode leaf) {
            boolean string = leaf.type() == PhysicalType.BYTE_ARRAY && leaf.logicalType() instanceof LogicalType.StringType;
            if (string && leaf.maxRepetitionLevel() == 0) {
                return leaf.columnIndex();
            }
            problem = leaf.maxRepetitionLevel() > 0 ? "a repeated field"
                    : leaf.type() == PhysicalType.BYTE_ARRAY ? "binary (BYTE_ARRAY without a string annotation)"
                    : leaf.type().name() + (leaf.logicalType() == null ? "" : " (" + leaf.logicalType() + ")");
        } else {
            SchemaNode.GroupNode group = (SchemaNode.GroupNode) field;
            problem = group.isList() ? "a list" : group.isMap() ? "a map" : "a struct";
        }
        throw new NeuroscanException(file + ": column '" + name + "' is " + problem + ", not a string column");
    }

    /** The exception's first line, and the root cause's where Hardwood wraps it (OOM, codec...). */
    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = firstLine(e);
        return root == e || m.contains(firstLine(root)) ? m
                : m + " (" + root.getClass().getSimpleName() + ": " + firstLine(root) + ")";
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // reading only: nothing to lose
            }
        }
    }
}
