package neuroscan.store;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code tokens.safetensors}: the tokenized documents of a run (BOS included, truncated to n_ctx, no
 * padding), so pages render and re-scans skip tokenization. {@code tokens} I32 [n_tokens] is every
 * document's tokens back to back; {@code offsets} I64 [n_docs + 1] has document {@code doc_start + i} at
 * {@code tokens[offsets[i]:offsets[i+1]]}. Metadata {@code doc_start}, {@code doc_end} are global document
 * indices. Memory-mapped for random access; written atomically, so a reader never sees half a file.
 */
public final class TokenCache {
    public static final String NAME = "tokens.safetensors";
    public static final String FORMAT = "neuroscan-tokens/1";
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DocRange docs;
    private final long[] offsets;
    private final MemorySegment tokens;

    private TokenCache(DocRange docs, long[] offsets, MemorySegment tokens) {
        this.docs = docs;
        this.offsets = offsets;
        this.tokens = tokens;
    }

    /** Opens (memory-maps) and checks a token cache. */
    public static TokenCache open(Path file) {
        String name = file.toString();
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> m = c.metadata();
        if (!FORMAT.equals(m.get("format"))) {
            throw new NeuroscanException(name + ": not a neuroscan token cache (metadata format is " + m.get("format") + ", expected " + FORMAT + ")");
        }
        int start = StoreFile.intMeta(name, m, "doc_start"), end = StoreFile.intMeta(name, m, "doc_end");
        if (start < 0 || end < start) throw new NeuroscanException(name + ": bad document range " + start + ":" + end);
        Safetensors.Entry tok = c.tensors().get("tokens"), off = c.tensors().get("offsets");
        if (tok == null || off == null) throw new NeuroscanException(name + ": missing tensor " + (tok == null ? "tokens" : "offsets"));
        if (!tok.dtype().equals("I32") || tok.shape().length != 1) throw new NeuroscanException(name + ": tensor tokens must be I32 [n_tokens]");
        int n = end - start;
        if (!off.dtype().equals("I64") || off.shape().length != 1 || off.shape()[0] != n + 1L) {
            throw new NeuroscanException(name + ": tensor offsets must be I64 [" + (n + 1) + "] for documents " + start + ":" + end);
        }
        long[] offsets = off.data().toArray(I64);   // toArray honours the layout's byte order
        for (int i = 0; i < n; i++) {
            if (offsets[i] > offsets[i + 1]) throw new NeuroscanException(name + ": offsets decrease at document " + (start + i));
        }
        if (offsets[0] != 0 || offsets[n] != tok.shape()[0]) {
            throw new NeuroscanException(name + ": offsets span " + offsets[0] + ".." + offsets[n] + " but there are " + tok.shape()[0] + " tokens");
        }
        return new TokenCache(new DocRange(start, end), offsets, tok.data());
    }

    /** Writes documents {@code docStart, docStart+1, ...} atomically. */
    public static void write(Path file, int docStart, List<int[]> docs) {
        long[] offsets = new long[docs.size() + 1];
        for (int i = 0; i < docs.size(); i++) offsets[i + 1] = offsets[i] + docs.get(i).length;
        int[] flat = new int[Math.toIntExact(offsets[docs.size()])];
        for (int i = 0; i < docs.size(); i++) System.arraycopy(docs.get(i), 0, flat, (int) offsets[i], docs.get(i).length);
        write(file, new DocRange(docStart, docStart + docs.size()), offsets, MemorySegment.ofArray(flat));
    }

    /** Concatenates caches of adjacent ranges, in order, into one cache of their union. */
    public static void concat(Path file, List<TokenCache> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("nothing to concatenate");
        long total = 0;
        int nDocs = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0 && parts.get(i).docs.start() != parts.get(i - 1).docs.end()) {
                throw new IllegalArgumentException("token caches " + parts.get(i - 1).docs + " and " + parts.get(i).docs + " are not adjacent");
            }
            total += parts.get(i).nTokens();
            nDocs += parts.get(i).nDocs();
        }
        long[] offsets = new long[nDocs + 1];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flat = arena.allocate(total * 4, 4);
            long at = 0;
            int d = 0;
            for (TokenCache p : parts) {
                MemorySegment.copy(p.tokens, 0, flat, at * 4, p.nTokens() * 4);
                for (int i = 1; i <= p.nDocs(); i++) offsets[d + i] = at + p.offsets[i];
                at += p.nTokens();
                d += p.nDocs();
            }
            write(file, new DocRange(parts.getFirst().docs.start(), parts.getLast().docs.end()), offsets, flat);
        }
    }

    private static void write(Path file, DocRange docs, long[] offsets, MemorySegment flat) {
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        t.put("tokens", new Safetensors.Entry("I32", new long[]{flat.byteSize() / 4}, flat));
        t.put("offsets", new Safetensors.Entry("I64", new long[]{offsets.length}, MemorySegment.ofArray(offsets)));
        Map<String, String> meta = new TreeMap<>();
        meta.put("format", FORMAT);
        meta.put("doc_start", Integer.toString(docs.start()));
        meta.put("doc_end", Integer.toString(docs.end()));
        Safetensors.write(file, t, meta);
    }

    /** The global document indices held. */
    public DocRange docs() {
        return docs;
    }

    public int nDocs() {
        return offsets.length - 1;
    }

    public long nTokens() {
        return offsets[offsets.length - 1];
    }

    public boolean contains(int doc) {
        return docs.contains(doc);
    }

    /** Number of tokens of global document {@code doc}. */
    public int length(int doc) {
        int i = local(doc);
        return (int) (offsets[i + 1] - offsets[i]);
    }

    /** The tokens (BOS first) of global document {@code doc}. */
    public int[] doc(int doc) {
        int i = local(doc);
        return tokens.asSlice(offsets[i] * 4, (offsets[i + 1] - offsets[i]) * 4).toArray(I32);
    }

    private int local(int doc) {
        if (!docs.contains(doc)) throw new IndexOutOfBoundsException("document " + doc + " is not in this token cache (" + docs + ")");
        return doc - docs.start();
    }
}
