package neuroscan.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the hub is and where its cache lives, read from the same environment variables as
 * huggingface_hub (constants.py and utils/_auth.py), so both share one cache and one login.
 *
 * @param endpoint base URL without trailing slash, e.g. {@code https://huggingface.co}
 * @param cacheDir the hub cache ({@code HF_HUB_CACHE}), holding {@code models--org--name/} folders
 * @param token    bearer token, or null
 * @param offline  {@code HF_HUB_OFFLINE}: never touch the network
 */
public record HubSettings(String endpoint, Path cacheDir, String token, boolean offline) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        endpoint = stripTrailingSlashes(endpoint);
    }

    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** Reads the given variables instead of the process environment; {@code home} stands for {@code ~}. */
    public static HubSettings fromEnvironment(Map<String, String> env, Path home) {
        String xdg = env.getOrDefault("XDG_CACHE_HOME", home.resolve(".cache").toString());
        Path hfHome = Path.of(expand(env.getOrDefault("HF_HOME", Path.of(xdg, "huggingface").toString()), env, home));
        String legacyCache = env.getOrDefault("HUGGINGFACE_HUB_CACHE", hfHome.resolve("hub").toString());
        Path cache = Path.of(expand(env.getOrDefault("HF_HUB_CACHE", legacyCache), env, home));

        String endpoint = nonEmpty(env.get("HF_ENDPOINT"));
        if (endpoint == null) endpoint = DEFAULT_ENDPOINT;

        String token = clean(nonEmpty(env.get("HF_TOKEN")) != null ? env.get("HF_TOKEN") : env.get("HUGGING_FACE_HUB_TOKEN"));
        if (token == null) {
            Path tokenFile = Path.of(expand(env.getOrDefault("HF_TOKEN_PATH", hfHome.resolve("token").toString()), env, home));
            token = readToken(tokenFile);
        }

        String offlineVar = nonEmpty(env.get("HF_HUB_OFFLINE")) != null ? env.get("HF_HUB_OFFLINE") : env.get("TRANSFORMERS_OFFLINE");
        boolean offline = offlineVar != null && TRUE_VALUES.contains(offlineVar.toUpperCase(Locale.ROOT));
        return new HubSettings(endpoint, cache, token, offline);
    }

    public HubSettings withEndpoint(String e) {
        return new HubSettings(e, cacheDir, token, offline);
    }

    public HubSettings withToken(String t) {
        return new HubSettings(endpoint, cacheDir, t, offline);
    }

    public HubSettings withOffline(boolean o) {
        return new HubSettings(endpoint, cacheDir, token, o);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", cacheDir=" + cacheDir + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }

    private static String readToken(Path file) {
        try {
            return clean(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            return null; // no login: anonymous access, as huggingface_hub does
        }
    }

    private static String clean(String token) {
        if (token == null) return null;
        String t = token.strip();
        return t.isEmpty() ? null : t;
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static String stripTrailingSlashes(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') end--;
        return s.substring(0, end);
    }

    private static final Pattern VAR = Pattern.compile("\\$(?:\\{(\\w+)}|(\\w+))");

    /** Python's expanduser + expandvars: "~" and "$VAR"/"${VAR}" (unknown variables are left as written). */
    static String expand(String path, Map<String, String> env, Path home) {
        if (path.equals("~")) path = home.toString();
        else if (path.startsWith("~/")) path = home + path.substring(1);
        Matcher m = VAR.matcher(path);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            String value = env.get(name);
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }
}
