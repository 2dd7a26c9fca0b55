package neuroscan.serve;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A request's query string, decoded ({@code application/x-www-form-urlencoded}: what forms and
 * {@code URLSearchParams} send) and checked: only the names a route knows, each at most once, and typed
 * getters that turn a bad value into a 400 naming the parameter.
 */
final class Params {
    private final Map<String, String> values;

    private Params(Map<String, String> values) {
        this.values = values;
    }

    static Params parse(String rawQuery, Set<String> allowed) throws HttpError {
        Map<String, String> m = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) return new Params(m);
        for (String pair : rawQuery.split("&", -1)) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq)), value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!allowed.contains(name)) {
                throw HttpError.badRequest("unknown parameter " + quote(name) + " (this path takes " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
            if (m.put(name, value) != null) throw HttpError.badRequest("parameter " + name + " given twice");
        }
        return new Params(m);
    }

    private static String decode(String s) throws HttpError {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("malformed URL encoding in the query");
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name) throws HttpError {
        String v = values.get(name);
        if (v == null) throw HttpError.badRequest("missing parameter " + name);
        return v;
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** A whole number in {@code [min, max]}; {@code fallback} when absent, or a 400 when that is null. */
    int integer(String name, Integer fallback, int min, int max) throws HttpError {
        String v = values.get(name);
        if (v == null) {
            if (fallback == null) throw HttpError.badRequest("missing parameter " + name);
            return fallback;
        }
        long n;
        if (!v.matches("-?[0-9]{1,10}")) throw HttpError.badRequest(name + " must be a whole number, not " + quote(v));
        n = Long.parseLong(v);
        if (n < min || n > max) throw HttpError.badRequest(name + " " + n + " is outside " + min + ".." + max);
        return (int) n;
    }

    /** A value as it goes into an error message: quoted, and cut, as it may be as long as the request. */
    static String quote(String v) {
        return "\"" + (v.length() > 40 ? v.substring(0, 40) + "\u2026" : v) + "\"";
    }
}
