package neuroscan.store;

import neuroscan.NeuroscanException;
import neuroscan.format.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TokenCacheTest {
    @TempDir
    Path tmp;

    static final List<int[]> DOCS = List.of(new int[]{1, 5, 6}, new int[]{1}, new int[]{1, 9, 9, 9, 4}, new int[]{1, 7});

    @Test
    void randomAccessByGlobalIndex() {
        TokenCache.write(tmp.resolve("t.safetensors"), 40, DOCS);
        TokenCache c = TokenCache.open(tmp.resolve("t.safetensors"));
        assertEquals(new DocRange(40, 44), c.docs());
        assertEquals(4, c.nDocs());
        assertEquals(11, c.nTokens());
        for (int i = 0; i < 4; i++) assertArrayEquals(DOCS.get(i), c.doc(40 + i));
        assertEquals(5, c.length(42));
        assertThrows(IndexOutOfBoundsException.class, () -> c.doc(39));
        assertThrows(IndexOutOfBoundsException.class, () -> c.doc(44));
    }

    @Test
    void concatOfAdjacentPartsEqualsOneWrite() throws Exception {
        TokenCache.write(tmp.resolve("a"), 40, DOCS.subList(0, 1));
        TokenCache.write(tmp.resolve("b"), 41, DOCS.subList(1, 1));   // empty part
        TokenCache.write(tmp.resolve("c"), 41, DOCS.subList(1, 4));
        TokenCache.concat(tmp.resolve("abc"), List.of(TokenCache.open(tmp.resolve("a")), TokenCache.open(tmp.resolve("b")),
                TokenCache.open(tmp.resolve("c"))));
        TokenCache.write(tmp.resolve("whole"), 40, DOCS);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("whole")), Files.readAllBytes(tmp.resolve("abc")));
        var e = assertThrows(IllegalArgumentException.class, () -> TokenCache.concat(tmp.resolve("x"),
                List.of(TokenCache.open(tmp.resolve("c")), TokenCache.open(tmp.resolve("a")))));
        assertTrue(e.getMessage().contains("not adjacent"));
    }

    @Test
    void pythonReadsDocuments() throws Exception {
        TokenCache.write(tmp.resolve("tokens.safetensors"), 7, DOCS);
        String out = PythonCheck.run(tmp, """
                t, meta = load(sys.argv[0].replace("check.py", "tokens.safetensors"))
                o = t("offsets"); i = 9 - int(meta["doc_start"])
                print(list(t("tokens")[o[i]:o[i + 1]]), list(o))
                """);
        assertEquals("[1, 9, 9, 9, 4] [0, 3, 4, 9, 11]", out);
    }

    @Test
    void corruptOffsetsAreRefused() {
        Path f = tmp.resolve("bad.safetensors");
        Map<String, Safetensors.Entry> t = new LinkedHashMap<>();
        t.put("tokens", Safetensors.Entry.i32(new int[]{1, 2, 3}, 3));
        t.put("offsets", new Safetensors.Entry("I64", new long[]{3}, MemorySegment.ofArray(new long[]{0, 2, 5})));
        Safetensors.write(f, t, Map.of("format", TokenCache.FORMAT, "doc_start", "0", "doc_end", "2"));
        var e = assertThrows(NeuroscanException.class, () -> TokenCache.open(f));
        assertEquals(f + ": offsets span 0..5 but there are 3 tokens", e.getMessage());
        Safetensors.write(f, t, Map.of("format", TokenCache.FORMAT, "doc_start", "0", "doc_end", "3"));
        e = assertThrows(NeuroscanException.class, () -> TokenCache.open(f));
        assertEquals(f + ": tensor offsets must be I64 [4] for documents 0:3", e.getMessage());
    }
}
