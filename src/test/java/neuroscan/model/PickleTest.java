package neuroscan.model;

import neuroscan.NeuroscanException;
import neuroscan.model.Pickle.Tuple;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@link Pickle} on hand-assembled opcode streams; the expected values are what Python's pickle.loads gives. */
class PickleTest {

    /** No globals allowed, no persistent ids. */
    private static Object load(byte[] b) {
        return Pickle.load(b, "t.pkl",
                (m, n) -> { throw new NeuroscanException("t.pkl: pickle names global " + m + "." + n); },
                pid -> { throw new NeuroscanException("t.pkl: no persistent ids"); });
    }

    /** Bytes from chars (opcodes) and ints. */
    private static byte[] ops(Object... parts) {
        var out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            else out.write((Integer) p);
        }
        return out.toByteArray();
    }

    @Test
    void protocol2Values() {
        // pickle.dumps({'a': 1, 'b': 1.5, 'c': [None, True], 'd': (-1, 300, 70000)}, protocol=2), memo and all
        byte[] b = ops(0x80, 2, "}q", 0, "(X", 1, 0, 0, 0, "aK", 1, "X", 1, 0, 0, 0, "bG?", 0xf8, 0, 0, 0, 0, 0, 0,
                "X", 1, 0, 0, 0, "c]q", 1, "(N", 0x88, "eX", 1, 0, 0, 0, "dJ", 0xff, 0xff, 0xff, 0xff, "M", 0x2c, 1,
                "J", 0x70, 0x11, 1, 0, 0x87, "q", 2, "u.");
        Map<?, ?> d = (Map<?, ?>) load(b);
        assertEquals(1L, d.get("a"));
        assertEquals(1.5, d.get("b"));
        assertEquals(Arrays.asList(null, true), d.get("c"));
        assertEquals(new Tuple(List.of(-1L, 300L, 70000L)), d.get("d"));
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(d.keySet()));
    }

    @Test
    void longsAndMemo() {
        // [LONG1 -32768, LONG1 0, LONG1 2**40, the same list object again via BINGET]
        byte[] b = ops(0x80, 2, "]q", 7, "(", 0x8a, 2, 0x00, 0x80, 0x8a, 0, 0x8a, 6, 0, 0, 0, 0, 0, 1, "eh", 7, 0x86, ".");
        Tuple t = (Tuple) load(b);
        assertEquals(List.of(-32768L, 0L, 1L << 40), t.get(0));
        assertSame(t.get(0), t.get(1));
    }

    @Test
    void protocol4FramesAndStackGlobal() {
        List<String> asked = new ArrayList<>();
        byte[] b = ops(0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, 0x8c, 11, "collections", 0x94, 0x8c, 11, "OrderedDict",
                0x94, 0x93, 0x94, ")R", 0x94, ".");
        Object r = Pickle.load(b, "t.pkl", (m, n) -> {
            asked.add(m + "." + n);
            return (Pickle.Callable) args -> new java.util.LinkedHashMap<>();
        }, pid -> null);
        assertEquals(List.of("collections.OrderedDict"), asked);
        assertEquals(Map.of(), r);
    }

    @Test
    void refusals() {
        assertEquals("t.pkl: pickle names global os.system", assertThrows(NeuroscanException.class,
                () -> load(ops(0x80, 2, "cos\nsystem\nX", 2, 0, 0, 0, "ls", 0x85, "R."))).getMessage());
        assertEquals("t.pkl: unsupported pickle opcode 0x69 at byte 2",                  // INST
                assertThrows(NeuroscanException.class, () -> load(ops(0x80, 2, "ios\nsystem\n."))).getMessage());
        assertEquals("t.pkl: unsupported pickle opcode 0x81 at byte 3",                  // NEWOBJ
                assertThrows(NeuroscanException.class, () -> load(ops(0x80, 2, "N", 0x81, "."))).getMessage());
        assertEquals("t.pkl: pickle stack underflow", assertThrows(NeuroscanException.class, () -> load(ops("a."))).getMessage());
        assertEquals("t.pkl: pickle refers to memo entry 5 that was never stored (byte 0)",
                assertThrows(NeuroscanException.class, () -> load(ops("h", 5, "."))).getMessage());
        assertEquals("t.pkl: REDUCE on something not callable at byte 2",
                assertThrows(NeuroscanException.class, () -> load(ops("N)R."))).getMessage());
        assertEquals("t.pkl: malformed pickle (stack at STOP)", assertThrows(NeuroscanException.class, () -> load(ops("NN."))).getMessage());
        assertEquals("t.pkl: unsupported pickle protocol 9", assertThrows(NeuroscanException.class, () -> load(ops(0x80, 9, "N."))).getMessage());
        assertEquals("t.pkl: BUILD on something other than a dict at byte 2",
                assertThrows(NeuroscanException.class, () -> load(ops("]Nb."))).getMessage());
    }

    /** A list holding itself is fine as a value (Python allows it) but may not become a dict key. */
    @Test
    void selfReferenceIsNotAKey() {
        List<?> l = (List<?>) load(ops("]q", 0, "h", 0, "a."));
        assertSame(l, l.getFirst());
        assertEquals("t.pkl: unhashable dict key", assertThrows(NeuroscanException.class,
                () -> load(ops("}]q", 0, "h", 0, "aK", 1, "s."))).getMessage());
        byte[] deep = new byte[5000];
        Arrays.fill(deep, (byte) 0x85);                                 // 5000 nested 1-tuples as a key
        var b = new ByteArrayOutputStream();
        b.writeBytes(ops("}N"));
        b.writeBytes(deep);
        b.writeBytes(ops("Ns."));
        assertEquals("t.pkl: unhashable dict key", assertThrows(NeuroscanException.class, () -> load(b.toByteArray())).getMessage());
    }

    /** Every prefix of a valid stream is a truncated file: always a NeuroscanException, never an index error. */
    @Test
    void everyTruncationIsExplained() {
        byte[] b = ops(0x80, 2, "}q", 0, "(X", 1, 0, 0, 0, "aK", 1, "X", 1, 0, 0, 0, "bG?", 0xf8, 0, 0, 0, 0, 0, 0,
                "X", 1, 0, 0, 0, "c]q", 1, "(N", 0x88, "eu.");
        for (int n = 0; n < b.length; n++) {
            byte[] cut = Arrays.copyOf(b, n);
            try {
                load(cut);
                fail("prefix of " + n + " bytes loaded");
            } catch (NeuroscanException e) {
                assertTrue(e.getMessage().startsWith("t.pkl: "), e.getMessage());
            }
        }
        assertEquals(3, ((Map<?, ?>) load(b)).size());
    }
}
