package neuroscan.hub;

import neuroscan.NeuroscanException;

import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/** Turns what went wrong talking to the hub into one line a user can act on. */
final class HubErrors {
    private HubErrors() {
    }

    /** The hub answered with an error status; X-Error-Code says which kind of 404 it is. */
    static final class HttpFailure extends RuntimeException {
        final int status;
        final String url;
        final String errorCode;
        final String errorMessage;
        final String commit;

        HttpFailure(URI url, int status, HttpHeaders h) {
            super("HTTP " + status + " from " + url, null, false, false);
            this.status = status;
            this.url = url.toString();
            this.errorCode = h.firstValue("X-Error-Code").orElse(null);
            this.errorMessage = h.firstValue("X-Error-Message").orElse(null);
            this.commit = h.firstValue("X-Repo-Commit").orElse(null);
        }
    }

    /** "unknown host huggingface.co", "connection refused", "timed out" rather than an exception class. */
    static String networkReason(Throwable e, URI url) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) return "unknown host " + url.getHost();
            if (t instanceof HttpConnectTimeoutException) return "connection timed out";
            if (t instanceof HttpTimeoutException) return "timed out";
            if (t instanceof ConnectException) return "connection refused";
            if (t instanceof SSLException) return "TLS error: " + t.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** @param filename null for a listing */
    static NeuroscanException userError(HttpFailure f, HubSettings settings, RepoType type, String repoId, String revision,
                                        String filename) {
        String repo = type.label() + " repo " + repoId;
        if (f.status == 401 || f.status == 403) {
            if (settings.token() == null) {
                // the hub answers 401 for a repo that does not exist too, so as not to reveal private ones
                String maybe = "RepoNotFound".equals(f.errorCode) ? " (or does not exist)" : "";
                return new NeuroscanException(repo + " requires authentication" + maybe
                        + ": set HF_TOKEN (or run `huggingface-cli login`)");
            }
            return new NeuroscanException("access to " + repo + " denied with the given token (HTTP " + f.status + ")"
                    + (f.errorMessage == null ? "" : " (" + oneLine(f.errorMessage) + ")")
                    + "; check HF_TOKEN and, for a gated repo, accept its terms on the hub");
        }
        if (f.status == 404) {
            String why = switch (f.errorCode == null ? "" : f.errorCode) {
                case "EntryNotFound" -> " (no such file at that revision)";
                case "RevisionNotFound" -> " (no such revision)";
                case "RepoNotFound" -> " (no such repo)";
                default -> "";
            };
            return new NeuroscanException("not found on " + settings.endpoint() + ": " + repo
                    + (filename == null ? "" : " / file " + filename) + " / revision " + revision + why);
        }
        return new NeuroscanException("HTTP " + f.status + " from " + f.url
                + (f.errorMessage == null ? "" : ": " + oneLine(f.errorMessage)));
    }

    /** Server text may hold newlines; the CLI prints one line. */
    static String oneLine(String s) {
        String t = s.replaceAll("\\s+", " ").strip();
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }
}
