package neuroscan.hub;

import neuroscan.NeuroscanException;

import java.nio.file.Path;
import java.util.List;

/**
 * A file is not in the cache and the hub cannot be asked for it: no network, or {@code HF_HUB_OFFLINE}.
 * Callers that fetch several files catch it to name all of them in one message ({@link Known}).
 */
public class HubUnreachableException extends NeuroscanException {
    private final String endpoint;
    private final RepoType type;
    private final String repoId;
    private final boolean offline;
    private final String reason;
    private final Path cacheDir;

    HubUnreachableException(String endpoint, Path cacheDir, RepoType type, String repoId, List<String> files,
                            boolean offline, String reason, Throwable cause) {
        super(message(endpoint, cacheDir, type, repoId, files, offline, reason, "a local path"), cause);
        this.endpoint = endpoint;
        this.cacheDir = cacheDir;
        this.type = type;
        this.repoId = repoId;
        this.offline = offline;
        this.reason = reason;
    }

    /** True when HF_HUB_OFFLINE forbade the request, false when the network failed. */
    public boolean offline() {
        return offline;
    }

    public String endpoint() {
        return endpoint;
    }

    public RepoType type() {
        return type;
    }

    public String repoId() {
        return repoId;
    }

    /** Why the hub could not be reached ("connection refused", "unknown host huggingface.co"). */
    public String reason() {
        return reason;
    }

    /** The same failure, for all of {@code files}, telling how to pass them locally ({@code "--model /path/to/dir"}). */
    public NeuroscanException forFiles(List<String> files, String localHint) {
        return new NeuroscanException(message(endpoint, cacheDir, type, repoId, files, offline, reason, localHint), this);
    }

    static String message(String endpoint, Path cacheDir, RepoType type, String repoId, List<String> files,
                          boolean offline, String reason, String localHint) {
        String what = repoId + " (" + String.join(", ", files) + ")";
        // a single file name is "it"; several, or a description ("train split parquet files"), "them"
        String them = files.size() == 1 && !files.getFirst().contains(" ") ? "it" : "them";
        if (offline) {
            return "HF_HUB_OFFLINE is set and " + type.label() + " " + what + " is not in the cache " + cacheDir
                    + "; unset HF_HUB_OFFLINE, or download " + them + " elsewhere and pass " + localHint;
        }
        return "cannot reach " + endpoint + (reason == null ? "" : " (" + reason + ")") + " to fetch " + what
                + "; download " + them + " elsewhere and pass " + localHint;
    }
}
