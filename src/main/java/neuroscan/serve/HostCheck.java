package neuroscan.serve;

import java.net.InetAddress;
import java.util.Locale;

/**
 * Refuses requests whose {@code Host} header names another site, when we listen on loopback only: a page
 * on evil.example whose name is made to resolve to 127.0.0.1 (DNS rebinding) must not read the run.
 * Listening on another address is the user's explicit choice, and then any name is served.
 */
final class HostCheck {
    private final boolean loopback;

    HostCheck(InetAddress bound) {
        this.loopback = bound.isLoopbackAddress();
    }

    void check(String host) throws HttpError {
        if (!loopback) return;
        if (host == null) throw HttpError.badRequest("no Host header");
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            h = end < 0 ? h : h.substring(0, end + 1);
        } else if (h.indexOf(':') >= 0) {
            h = h.substring(0, h.indexOf(':'));
        }
        if (h.equals("localhost") || h.equals("[::1]") || h.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}")) return;
        throw new HttpError(403, "Host " + Params.quote(host) + " is not this server's (it serves localhost only)");
    }
}
