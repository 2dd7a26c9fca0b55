package neuroscan.view;

import java.util.List;

/**
 * Token boxes in HTML, rendered on the server so a page reads without JavaScript. One box per token:
 * its background is the activation on the page's {@link Scale} ({@code --a} is the intensity, left out
 * below {@link Scale#VISIBLE}; class {@code n} marks a negative value, {@code mx} the max-activating
 * token), its title the value (and, in the window, the token). Markup is kept small: a site holds tens of millions of tokens.
 */
final class TokenHtml {
    private TokenHtml() {
    }

    /**
     * Appends a {@code <div class="toks">} with tokens {@code [from, to)}.
     *
     * @param maxPos   the token to highlight, or -1
     * @param withText whether titles repeat the token (window) or only give the value (full text)
     */
    static void boxes(StringBuilder sb, List<String> tokens, float[] acts, int from, int to, int maxPos,
                      Scale scale, boolean withText, String extraClass) {
        boxes(sb, tokens, acts, from, to, maxPos, scale, withText, extraClass, 0);
    }

    /** {@code offset}: the position of {@code tokens[0]} in its document, for the tooltip's "token n". */
    static void boxes(StringBuilder sb, List<String> tokens, float[] acts, int from, int to, int maxPos,
                      Scale scale, boolean withText, String extraClass, int offset) {
        sb.append("<div class=\"toks");
        if (extraClass != null) sb.append(' ').append(extraClass);
        sb.append("\" data-start=\"").append(offset + from).append("\">");
        if (from > 0) sb.append("<i class=\"more\" title=\"").append(from).append(" tokens before\">\u2026</i>");
        for (int i = from; i < to; i++) box(sb, tokens.get(i), acts[i], i == maxPos, scale, withText);
        if (to < tokens.size()) {
            sb.append("<i class=\"more\" title=\"").append(tokens.size() - to).append(" tokens after\">\u2026</i>");
        }
        sb.append("</div>");
    }

    static void box(StringBuilder sb, String token, float v, boolean max, Scale scale, boolean withText) {
        sb.append("<span");
        double a = scale.intensity(v);
        boolean coloured = a >= Scale.VISIBLE, neg = coloured && v < 0;
        if (neg || max) sb.append(neg ? (max ? " class=\"n mx\"" : " class=\"n\"") : " class=\"mx\"");
        if (coloured) {
            sb.append(" style=\"--a:");
            Fmt.alpha(sb, a);
            sb.append('"');
        }
        sb.append(" title=\"");
        Fmt.fixed(sb, v, 4);
        if (withText) {
            sb.append("  \u201C");
            Html.attr(sb, token);
            sb.append('\u201D');
        }
        sb.append("\">");
        int newlines = content(sb, token);
        sb.append("</span>");
        for (int i = 0; i < newlines; i++) sb.append('\n');
    }

    /**
     * A token's text: escaped, special characters as faint glyphs, tabs kept. Returns the number of
     * newlines, which the caller breaks the line for after the box, so a box never spans two lines.
     */
    static int content(StringBuilder sb, String s) {
        int newlines = 0;
        for (int i = 0, n = s.length(); i < n; ) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                switch (c) {
                    case '&' -> sb.append("&amp;");
                    case '<' -> sb.append("&lt;");
                    case '>' -> sb.append("&gt;");
                    default -> sb.append(c);
                }
                i++;
                continue;
            }
            int cp = s.codePointAt(i);
            String g = TokenText.glyph(cp);
            if (g == null) sb.appendCodePoint(cp);
            else {
                sb.append("<span class=\"ws\">").append(g).append("</span>");
                if (c == '\n') newlines++;
                else if (TokenText.keep(cp)) sb.append(c);
            }
            i += Character.charCount(cp);
        }
        return newlines;
    }

    /** A token shown on its own (logit lists, tables): a neutral box with visible whitespace. */
    static void chip(StringBuilder sb, String token) {
        sb.append("<span class=\"tok\" title=\"\u201C");
        Html.attr(sb, token);
        sb.append("\u201D\">");
        chipContent(sb, token);
        sb.append("</span>");
    }

    /** Like {@link #content} but on one line: a newline is only its glyph, and spaces show as ␣ at the ends. */
    static void chipContent(StringBuilder sb, String s) {
        if (s.isEmpty()) {
            sb.append("<span class=\"ws\">\u2205</span>"); // ∅
            return;
        }
        for (int i = 0, n = s.length(); i < n; ) {
            int cp = s.codePointAt(i);
            String g = TokenText.glyph(cp);
            if (g != null) sb.append("<span class=\"ws\">").append(g).append("</span>");
            else if (cp == ' ') sb.append("<span class=\"ws\">\u2423</span>"); // ␣: a lone token's space matters
            else if (cp == '&') sb.append("&amp;");
            else if (cp == '<') sb.append("&lt;");
            else if (cp == '>') sb.append("&gt;");
            else sb.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
    }
}
