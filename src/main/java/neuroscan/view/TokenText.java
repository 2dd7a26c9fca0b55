package neuroscan.view;

/**
 * How dataset text is shown: characters that would be invisible, would move the cursor or reorder the
 * line (controls, bidi overrides, zero-width spaces) become visible glyphs, so a reader sees what the
 * model saw and neither a browser nor a terminal interprets them. Newlines and tabs get a glyph and are
 * also kept, so the text keeps its shape.
 */
final class TokenText {
    private TokenText() {
    }

    /** The glyph shown for {@code cp}, or null when the character is shown as itself. */
    static String glyph(int cp) {
        if (cp >= 0x20 && cp < 0x7F) return null;            // printable ASCII: the common case
        if (cp == '\n') return "\u21B5";                      // ↵
        if (cp == '\t') return "\u21E5";                      // ⇥
        if (cp < 0x20) return C0[cp];                         // ⟨ESC⟩, ⟨CR⟩, ⟨NUL⟩: ASCII names read in any font
        if (cp == 0x7F) return "\u27E8DEL\u27E9";
        if (cp < 0xA0) return codeName(cp);                   // C1 controls, e.g. CSI 0x9B
        if (cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E)
                || (cp >= 0x2066 && cp <= 0x2069)) {
            return codeName(cp);                              // bidi marks, embeddings, overrides, isolates
        }
        if (cp == 0x2028 || cp == 0x2029 || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF) return codeName(cp);
        if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) return "\uFFFD"; // lone surrogate
        return null;
    }

    private static final String[] C0 = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF",
            "VT", "FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB",
            "ESC", "FS", "GS", "RS", "US"};

    static {
        for (int i = 0; i < C0.length; i++) C0[i] = "\u27E8" + C0[i] + "\u27E9";
    }

    /** Newlines and tabs are shown as a glyph and kept as themselves after it. */
    static boolean keep(int cp) {
        return cp == '\n' || cp == '\t';
    }

    private static String codeName(int cp) {
        String hex = Integer.toHexString(cp).toUpperCase(java.util.Locale.ROOT);
        return "\u27E8U+" + "0000".substring(Math.min(4, hex.length())) + hex + "\u27E9"; // ⟨U+202E⟩
    }

    /** The token as one line of plain text, every special character replaced by its glyph. */
    static String visible(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            String g = glyph(cp);
            if (g != null) {
                if (sb == null) sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                sb.append(g);
            } else if (sb != null) {
                sb.appendCodePoint(cp);
            }
            i += n;
        }
        return sb == null ? s : sb.toString();
    }

    /** True when the string has at least one letter and no lower-case letter: " THE", "NASA", "U.S.". */
    static boolean allCaps(String s) {
        boolean upper = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isLetter(cp)) {
                if (!Character.isUpperCase(cp) && !Character.isTitleCase(cp)) return false;
                upper = true;
            }
            i += Character.charCount(cp);
        }
        return upper;
    }
}
