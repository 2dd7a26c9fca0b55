package neuroscan.view;

import java.util.Map;

/**
 * Terminal colours: whether to use them, and the escape sequences for an activation's background.
 * Colours go on only when stdout is a terminal, {@code NO_COLOR} is unset or empty
 * (<a href="https://no-color.org">no-color.org</a>) and {@code TERM} is not {@code dumb}.
 */
public final class Colors {
    private Colors() {
    }

    /** How many colours the terminal gets. */
    public enum Mode { NONE, ANSI256, TRUECOLOR }

    /** Positive activations: blue; negative: red (the page's colours, see page.css). */
    static final int[] POS = {47, 111, 237};
    static final int[] NEG = {229, 72, 77};

    /**
     * Whether to colour the output.
     *
     * @param isTerminal whether stdout is a terminal (see {@link #stdoutIsTerminal()})
     * @param env        the environment, normally {@link System#getenv()}
     */
    public static boolean enabled(boolean isTerminal, Map<String, String> env) {
        if (!isTerminal) return false;
        String noColor = env.get("NO_COLOR");
        if (noColor != null && !noColor.isEmpty()) return false;
        return !"dumb".equals(env.get("TERM"));
    }

    /** {@link #enabled} for this process: stdout and {@link System#getenv()}. */
    public static boolean enabled() {
        return enabled(stdoutIsTerminal(), System.getenv());
    }

    /** 24-bit colour where the terminal says so ({@code COLORTERM=truecolor|24bit}), else 256 colours. */
    public static Mode mode(boolean isTerminal, Map<String, String> env) {
        if (!enabled(isTerminal, env)) return Mode.NONE;
        String ct = env.getOrDefault("COLORTERM", "");
        return ct.equalsIgnoreCase("truecolor") || ct.equalsIgnoreCase("24bit") ? Mode.TRUECOLOR : Mode.ANSI256;
    }

    /** Whether this JVM's standard output is an interactive terminal (JDK 22+ {@code Console.isTerminal}). */
    public static boolean stdoutIsTerminal() {
        var c = System.console();
        return c != null && c.isTerminal();
    }

    static final String RESET = "\u001b[0m";
    static final String DIM = "\u001b[2m";
    static final String BOLD = "\u001b[1m";
    static final String UNDERLINE = "\u001b[4m";

    /** The blend of white and the activation's colour at {@code intensity} (0..1). */
    static int[] rgb(double intensity, boolean negative) {
        int[] c = negative ? NEG : POS;
        int[] out = new int[3];
        for (int k = 0; k < 3; k++) out[k] = (int) Math.round(255 + (c[k] - 255) * intensity);
        return out;
    }

    /**
     * Appends the SGR sequence for a token coloured at {@code intensity}: its background, and black or
     * white text, whichever reads better on it.
     */
    static StringBuilder token(StringBuilder sb, Mode mode, double intensity, boolean negative) {
        int[] bg = rgb(intensity, negative);
        boolean dark = luminance(bg) < 0.179; // where white and black text contrast equally
        if (mode == Mode.TRUECOLOR) {
            sb.append("\u001b[48;2;").append(bg[0]).append(';').append(bg[1]).append(';').append(bg[2]);
            sb.append(dark ? ";38;2;255;255;255m" : ";38;2;0;0;0m");
        } else {
            sb.append("\u001b[48;5;").append(cube(bg)).append(dark ? ";38;5;231m" : ";38;5;16m");
        }
        return sb;
    }

    /** The nearest colour of xterm's 6x6x6 colour cube (indices 16..231). */
    static int cube(int[] rgb) {
        int[] levels = {0, 95, 135, 175, 215, 255};
        int idx = 16;
        int[] mul = {36, 6, 1};
        for (int k = 0; k < 3; k++) {
            int best = 0;
            for (int l = 1; l < 6; l++) {
                if (Math.abs(levels[l] - rgb[k]) < Math.abs(levels[best] - rgb[k])) best = l;
            }
            idx += mul[k] * best;
        }
        return idx;
    }

    /** Relative luminance (sRGB, WCAG). */
    static double luminance(int[] rgb) {
        double l = 0;
        double[] w = {0.2126, 0.7152, 0.0722};
        for (int k = 0; k < 3; k++) {
            double c = rgb[k] / 255.0;
            c = c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
            l += w[k] * c;
        }
        return l;
    }
}
