package neuroscan.view;

/**
 * Escaping for the three places untrusted text lands in our pages: element text, attribute values
 * (always double-quoted by us) and JSON inside a {@code <script>} element. Special characters become
 * their visible {@link TokenText#glyph glyphs} first, so controls never reach the HTML parser.
 */
public final class Html {
    private Html() {
    }

    /** Appends {@code s} as element text; newlines and tabs are kept after their glyph. */
    static StringBuilder text(StringBuilder sb, String s) {
        return escape(sb, s, false);
    }

    static String text(String s) {
        return text(new StringBuilder(s.length() + 16), s).toString();
    }

    /** Appends {@code s} for use inside a double-quoted attribute value; newlines become glyphs only. */
    static StringBuilder attr(StringBuilder sb, String s) {
        return escape(sb, s, true);
    }

    public static String attr(String s) {
        return attr(new StringBuilder(s.length() + 16), s).toString();
    }

    private static StringBuilder escape(StringBuilder sb, String s, boolean attribute) {
        for (int i = 0, n = s.length(); i < n; ) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c >= 0x20 && c < 0x7F) {
                        sb.append(c);
                    } else {
                        int cp = s.codePointAt(i);
                        String g = TokenText.glyph(cp);
                        if (g == null) sb.appendCodePoint(cp);
                        else {
                            sb.append(g);
                            if (!attribute && TokenText.keep(cp)) sb.append(c);
                        }
                        i += Character.charCount(cp);
                        continue;
                    }
                }
            }
            i++;
        }
        return sb;
    }

    /**
     * Makes JSON safe inside {@code <script type="application/json">}: no {@code </script>}, no
     * {@code <!--}, no HTML entity, and no U+2028/U+2029 (line terminators in older JavaScript). These
     * characters only occur inside JSON strings, where the {@code \}{@code uXXXX} form means the same.
     */
    static String scriptJson(String json) {
        StringBuilder sb = null;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            String r = switch (c) {
                case '<' -> "\\u003c";
                case '>' -> "\\u003e";
                case '&' -> "\\u0026";
                case '\u2028' -> "\\u2028";
                case '\u2029' -> "\\u2029";
                default -> null;
            };
            if (r != null && sb == null) sb = new StringBuilder(json.length() + 32).append(json, 0, i);
            if (sb != null) {
                if (r != null) sb.append(r);
                else sb.append(c);
            }
        }
        return sb == null ? json : sb.toString();
    }
}
