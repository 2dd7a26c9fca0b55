package neuroscan.model;

import neuroscan.NeuroscanException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The central directory of a zip file held in memory (memory-mapped), as torch.save writes it: every
 * entry stored uncompressed, so an entry's bytes are a slice of the file. java.util.zip cannot say
 * where an entry's data starts, which is exactly what zero-copy loading needs. Reads zip64 records too.
 */
final class ZipArchive {
    private ZipArchive() {
    }

    /** One stored entry: its data is {@code file[dataOffset, dataOffset + size)}. */
    record Entry(String name, long dataOffset, long size) {
    }

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int LOCAL = 0x04034b50, CENTRAL = 0x02014b50, EOCD = 0x06054b50,
            ZIP64_EOCD = 0x06064b50, ZIP64_LOCATOR = 0x07064b50;
    private static final int EOCD_SIZE = 22, MAX_COMMENT = 0xffff;
    private static final long U32_MAX = 0xffffffffL;

    /** Entries by name, in central-directory order. */
    static Map<String, Entry> entries(MemorySegment file, String source) {
        long size = file.byteSize();
        long eocd = findEndOfCentralDirectory(file);
        if (eocd < 0) {
            throw new NeuroscanException(source + ": not a zip archive, or truncated (no end of central directory)");
        }
        long count = u16(file, eocd + 10), cdSize = u32(file, eocd + 12), cdOffset = u32(file, eocd + 16);
        long cdEnd = eocd;
        if (eocd >= 20 && file.get(U32, eocd - 20) == ZIP64_LOCATOR) {
            long z = file.get(U64, eocd - 20 + 8);
            if (z < 0 || z > eocd - 20 - 56 || file.get(U32, z) != ZIP64_EOCD) {
                throw new NeuroscanException(source + ": corrupt zip64 end of central directory");
            }
            count = file.get(U64, z + 32);
            cdSize = file.get(U64, z + 40);
            cdOffset = file.get(U64, z + 48);
            cdEnd = z;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdEnd || cdSize > cdEnd - cdOffset || count < 0 || count > cdSize / 46) {
            throw new NeuroscanException(source + ": corrupt zip central directory (" + count + " entries, "
                    + cdSize + " bytes at " + cdOffset + ", file " + size + " bytes)");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long p = cdOffset;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cdOffset + cdSize || file.get(U32, p) != CENTRAL) {
                throw new NeuroscanException(source + ": corrupt zip central directory (entry " + i + ")");
            }
            int flags = u16(file, p + 8), method = u16(file, p + 10);
            long compressed = u32(file, p + 20), uncompressed = u32(file, p + 24), local = u32(file, p + 42);
            int nameLen = u16(file, p + 28), extraLen = u16(file, p + 30), commentLen = u16(file, p + 32);
            long next = p + 46 + nameLen + extraLen + commentLen;
            if (next > cdOffset + cdSize) throw new NeuroscanException(source + ": corrupt zip central directory (entry " + i + ")");
            String name = new String(file.asSlice(p + 46, nameLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            // zip64: the real values follow in extra field 0x0001, in this order, for each field that is 0xffffffff.
            for (long e = p + 46 + nameLen, end = e + extraLen; e + 4 <= end; ) {
                int id = u16(file, e), len = u16(file, e + 2);
                long v = e + 4;
                if (v + len > end) break;
                if (id == 0x0001) {
                    if (uncompressed == U32_MAX && v + 8 <= e + 4 + len) { uncompressed = file.get(U64, v); v += 8; }
                    if (compressed == U32_MAX && v + 8 <= e + 4 + len) { compressed = file.get(U64, v); v += 8; }
                    if (local == U32_MAX && v + 8 <= e + 4 + len) local = file.get(U64, v);
                }
                e += 4 + len;
            }
            if ((flags & 1) != 0) throw new NeuroscanException(source + ": zip entry " + name + " is encrypted");
            if (method != 0 || compressed != uncompressed) {
                throw new NeuroscanException(source + ": zip entry " + name + " is compressed (method " + method
                        + "); only stored entries are supported, as torch.save writes them");
            }
            if (local < 0 || local > size - 30 || file.get(U32, local) != LOCAL) {
                throw new NeuroscanException(source + ": corrupt zip: no local header for entry " + name);
            }
            long data = local + 30 + u16(file, local + 26) + u16(file, local + 28);
            if (compressed < 0 || compressed > size - data) {
                throw new NeuroscanException(source + ": truncated: zip entry " + name + " needs bytes " + data + ".."
                        + (data + compressed) + " of " + size);
            }
            if (entries.put(name, new Entry(name, data, compressed)) != null) {
                throw new NeuroscanException(source + ": zip has two entries named " + name);
            }
            p = next;
        }
        return entries;
    }

    /** Scans back over a possible archive comment for the end-of-central-directory signature. */
    private static long findEndOfCentralDirectory(MemorySegment file) {
        long last = file.byteSize() - EOCD_SIZE;
        for (long p = last; p >= 0 && p >= last - MAX_COMMENT; p--) {
            if (file.get(U32, p) == EOCD && p + EOCD_SIZE + u16(file, p + 20) == file.byteSize()) return p;
        }
        return -1;
    }

    private static int u16(MemorySegment s, long at) {
        return Short.toUnsignedInt(s.get(U16, at));
    }

    private static long u32(MemorySegment s, long at) {
        return Integer.toUnsignedLong(s.get(U32, at));
    }
}
