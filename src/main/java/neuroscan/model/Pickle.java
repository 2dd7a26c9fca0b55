package neuroscan.model;

import neuroscan.NeuroscanException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safe reader for the subset of Python's pickle format (protocols 2 to 5) that state dicts use. It
 * builds plain Java data (String, Long, Double, Boolean, null, {@link Tuple}, ArrayList, LinkedHashMap)
 * and never runs anything: a global is only a name, which the {@link Globals} given by the caller turns
 * into a harmless {@link Callable} or refuses, and REDUCE can only call such a Callable.
 */
final class Pickle {

    /** A Python tuple (immutable; may be a dict key, unlike a list). */
    record Tuple(List<Object> items) {
        Object get(int i) {
            return items.get(i);
        }

        int size() {
            return items.size();
        }
    }

    /** A function the caller allowed a global to stand for; REDUCE applies it to the argument tuple. */
    @FunctionalInterface
    interface Callable {
        Object call(Tuple args);
    }

    /** Resolves {@code module.name} to an allowed object, or throws to refuse it. */
    @FunctionalInterface
    interface Globals {
        Object resolve(String module, String name);
    }

    /** Turns a persistent id (BINPERSID) into an object, e.g. torch's storage references. */
    @FunctionalInterface
    interface PersistentLoader {
        Object load(Object pid);
    }

    private static final Object MARK = new Object();

    private final byte[] b;
    private final String source;
    private final Globals globals;
    private final PersistentLoader persistent;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int pos;

    private Pickle(byte[] b, String source, Globals globals, PersistentLoader persistent) {
        this.b = b;
        this.source = source;
        this.globals = globals;
        this.persistent = persistent;
    }

    /**
     * Unpickles {@code bytes}. Every problem, including a truncated or corrupt stream, is a
     * {@link NeuroscanException} whose message starts with {@code source}.
     */
    static Object load(byte[] bytes, String source, Globals globals, PersistentLoader persistent) {
        return new Pickle(bytes, source, globals, persistent).run();
    }

    private Object run() {
        while (true) {
            int at = pos, op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v < 2 || v > 5) throw corrupt("unsupported pickle protocol " + v);
                }
                case 0x95 -> take(8);                                           // FRAME: a length hint only
                case '.' -> {                                                   // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw corrupt("malformed pickle (stack at STOP)");
                    return stack.getFirst();
                }
                case '(' -> { marks.add(stack.size()); stack.add(MARK); }       // MARK
                case ')' -> push(new Tuple(List.of()));                         // EMPTY_TUPLE
                case ']' -> push(new ArrayList<>());                            // EMPTY_LIST
                case '}' -> push(new LinkedHashMap<>());                        // EMPTY_DICT
                case 'N' -> push(null);                                         // NONE
                case 0x88 -> push(Boolean.TRUE);                                // NEWTRUE
                case 0x89 -> push(Boolean.FALSE);                               // NEWFALSE
                case 'K' -> push((long) u8());                                  // BININT1
                case 'M' -> push((long) (u8() | u8() << 8));                    // BININT2
                case 'J' -> push((long) le(4).getInt());                        // BININT
                case 0x8a -> push(longN(u8()));                                 // LONG1
                case 0x8b -> push(longN(length(le(4).getInt())));               // LONG4
                case 'G' -> push(ByteBuffer.wrap(take(8)).getDouble());         // BINFLOAT (big-endian)
                case 'X' -> push(utf8(length(le(4).getInt())));                 // BINUNICODE
                case 0x8c -> push(utf8(u8()));                                  // SHORT_BINUNICODE
                case 0x8d -> push(utf8(length(le(8).getLong())));               // BINUNICODE8
                case 'C' -> push(take(u8()));                                   // SHORT_BINBYTES
                case 'B' -> push(take(length(le(4).getInt())));                 // BINBYTES
                case 0x8e -> push(take(length(le(8).getLong())));               // BINBYTES8
                case 'c' -> push(global(line(), line()));                       // GLOBAL "module\nname\n"
                case 0x93 -> {                                                  // STACK_GLOBAL
                    Object name = pop(), module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw corrupt("STACK_GLOBAL needs two strings at byte " + at);
                    }
                    push(global(m, n));
                }
                case 'R' -> {                                                   // REDUCE
                    Object args = pop(), f = pop();
                    if (!(f instanceof Callable c)) throw corrupt("REDUCE on something not callable at byte " + at);
                    if (!(args instanceof Tuple t)) throw corrupt("REDUCE without an argument tuple at byte " + at);
                    push(c.call(t));
                }
                case 'b' -> {                                                   // BUILD
                    pop();                        // state: an OrderedDict's attributes (_metadata); not needed
                    if (!(peek() instanceof Map)) throw corrupt("BUILD on something other than a dict at byte " + at);
                }
                case 'Q' -> push(persistent.load(pop()));                       // BINPERSID
                case 't' -> push(new Tuple(popMark()));                         // TUPLE
                case 0x85 -> push(tuple(1));                                    // TUPLE1
                case 0x86 -> push(tuple(2));                                    // TUPLE2
                case 0x87 -> push(tuple(3));                                    // TUPLE3
                case 'l' -> push(new ArrayList<>(popMark()));                   // LIST
                case 'd' -> push(setItems(new LinkedHashMap<>(), popMark()));   // DICT
                case 's' -> {                                                   // SETITEM
                    Object v = pop(), k = pop();
                    setItems(dict(peek()), Arrays.asList(k, v));
                }
                case 'u' -> { List<Object> kv = popMark(); setItems(dict(peek()), kv); }   // SETITEMS
                case 'a' -> { Object v = pop(); list(peek()).add(v); }          // APPEND
                case 'e' -> { List<Object> vs = popMark(); list(peek()).addAll(vs); }      // APPENDS
                case '0' -> pop();                                              // POP
                case '1' -> popMark();                                          // POP_MARK
                case '2' -> push(peek());                                       // DUP
                case 'q' -> memo.put((long) u8(), peek());                      // BINPUT
                case 'r' -> memo.put(Integer.toUnsignedLong(le(4).getInt()), peek());  // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek());              // MEMOIZE
                case 'h' -> push(memoGet(u8(), at));                            // BINGET
                case 'j' -> push(memoGet(Integer.toUnsignedLong(le(4).getInt()), at));  // LONG_BINGET
                default -> throw corrupt(String.format("unsupported pickle opcode 0x%02x at byte %d", op, at));
            }
        }
    }

    private Object global(String module, String name) {
        Object g = globals.resolve(module, name);
        if (g == null) throw new IllegalStateException("Globals.resolve returned null for " + module + "." + name);
        return g;
    }

    private Tuple tuple(int n) {
        if (stack.size() - n < (marks.isEmpty() ? 0 : marks.getLast() + 1)) throw corrupt("pickle stack underflow");
        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return new Tuple(java.util.Collections.unmodifiableList(items));
    }

    private Map<Object, Object> setItems(Map<Object, Object> d, List<Object> kv) {
        if (kv.size() % 2 != 0) throw corrupt("odd number of items for a dict");
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!hashable(k, 0)) throw corrupt("unhashable dict key");
            d.put(k, kv.get(i + 1));
        }
        return d;
    }

    /** Only values Python could hash (no lists or dicts, which may contain themselves), and not absurdly deep. */
    private static boolean hashable(Object k, int depth) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Double || k instanceof Boolean) return true;
        if (k instanceof Tuple t && depth < 32) {
            for (Object o : t.items()) if (!hashable(o, depth + 1)) return false;
            return true;
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof LinkedHashMap<?, ?> m) return (Map<Object, Object>) m;
        throw corrupt("SETITEM on something other than a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?> l) return (List<Object>) l;
        throw corrupt("APPEND on something other than a list");
    }

    private Object memoGet(long key, int at) {
        if (!memo.containsKey(key)) throw corrupt("pickle refers to memo entry " + key + " that was never stored (byte " + at + ")");
        return memo.get(key);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object peek() {
        if (stack.isEmpty() || stack.getLast() == MARK) throw corrupt("pickle stack underflow");
        return stack.getLast();
    }

    private Object pop() {
        Object o = peek();
        stack.removeLast();
        return o;
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw corrupt("pickle has no MARK to pop to");
        int m = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private int u8() {
        if (pos >= b.length) throw corrupt("pickle ends unexpectedly (truncated data.pkl)");
        return b[pos++] & 0xff;
    }

    private byte[] take(int n) {
        if (n < 0 || n > b.length - pos) throw corrupt("pickle ends unexpectedly (truncated data.pkl)");
        byte[] r = Arrays.copyOfRange(b, pos, pos + n);
        pos += n;
        return r;
    }

    private ByteBuffer le(int n) {
        return ByteBuffer.wrap(take(n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A length read from the stream; anything beyond the remaining bytes is truncation or corruption. */
    private int length(long n) {
        if (n < 0 || n > b.length - pos) throw corrupt("pickle ends unexpectedly (truncated data.pkl)");
        return (int) n;
    }

    /** LONG1/LONG4: little-endian two's complement; torch's sizes and offsets always fit in a long. */
    private Long longN(int n) {
        if (n > 8) throw corrupt("integer of " + n + " bytes is too large");
        byte[] v = take(n);
        long r = 0;
        for (int i = n - 1; i >= 0; i--) r = r << 8 | (v[i] & 0xff);
        if (n > 0 && n < 8 && v[n - 1] < 0) r -= 1L << (8 * n);
        return r;
    }

    private String utf8(int n) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(take(n))).toString();
        } catch (CharacterCodingException e) {
            throw corrupt("string in pickle is not valid UTF-8");
        }
    }

    /** One newline-terminated ASCII line, as GLOBAL spells module and name. */
    private String line() {
        int start = pos;
        while (pos < b.length && b[pos] != '\n') {
            if (b[pos] < 0x20) throw corrupt("malformed GLOBAL name");
            pos++;
        }
        if (pos >= b.length) throw corrupt("pickle ends unexpectedly (truncated data.pkl)");
        return new String(b, start, pos++ - start, StandardCharsets.US_ASCII);
    }

    private NeuroscanException corrupt(String what) {
        return new NeuroscanException(source + ": " + what);
    }
}
