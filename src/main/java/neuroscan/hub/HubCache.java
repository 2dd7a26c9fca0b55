package neuroscan.hub;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The huggingface_hub cache layout, so files fetched by Python are reused here and ours serve Python:
 * <pre>
 * {cache}/models--org--name/blobs/{etag}                 the bytes (etag: sha256 for LFS, git sha1 otherwise)
 *                          /snapshots/{commit}/{file}    relative symlink to ../../blobs/{etag}
 *                          /refs/{revision}              the commit a branch or tag pointed to last time
 *                          /.no_exist/{commit}/{file}    empty: the file is known not to exist there
 * {cache}/.locks/models--org--name/{etag}.lock
 * </pre>
 */
final class HubCache {
    static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    /** huggingface_hub's REPO_ID_REGEX: optional namespace, name of [\w.-], no leading/trailing - or . */
    private static final Pattern REPO_ID = Pattern.compile("(\\b[\\w\\-.]{1,96}\\b/)?\\b[\\w\\-.]{1,96}\\b");
    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_\\-]{1,128}");

    private final Path root;

    HubCache(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isValidRepoId(String repoId) {
        return repoId != null && REPO_ID.matcher(repoId).matches() && !repoId.contains("--") && !repoId.contains("..")
                && !repoId.endsWith(".git");
    }

    static void checkRepoId(String repoId) {
        if (!isValidRepoId(repoId)) {
            throw new NeuroscanException("invalid Hugging Face repo id '" + repoId
                    + "': expected 'name' or 'org/name' of letters, digits, '-', '_' and '.'");
        }
    }

    /** Paths inside a repo become paths on disk: refuse anything that could leave the cache folder. */
    static void checkRelative(String what, String path) {
        boolean bad = path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\")
                || path.chars().anyMatch(Character::isISOControl);
        if (!bad) {
            for (String part : path.split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..")) bad = true;
            }
        }
        if (bad) throw new NeuroscanException("invalid " + what + " '" + path + "'");
    }

    /** The server names the blob: accept only what a sha can look like. */
    static void checkEtag(String url, String etag) {
        if (!ETAG.matcher(etag).matches()) {
            throw new NeuroscanException(url + ": unexpected ETag '" + etag + "' (not a file hash)");
        }
    }

    Path repoFolder(RepoType type, String repoId) {
        return root.resolve(type.plural() + "--" + repoId.replace("/", "--"));
    }

    Path blob(RepoType type, String repoId, String etag) {
        return repoFolder(type, repoId).resolve("blobs").resolve(etag);
    }

    Path snapshot(RepoType type, String repoId, String commit) {
        return repoFolder(type, repoId).resolve("snapshots").resolve(commit);
    }

    Path pointer(RepoType type, String repoId, String commit, String filename) {
        return snapshot(type, repoId, commit).resolve(filename);
    }

    Path noExist(RepoType type, String repoId, String commit, String filename) {
        return repoFolder(type, repoId).resolve(".no_exist").resolve(commit).resolve(filename);
    }

    Path lockFile(RepoType type, String repoId, String etag) {
        return root.resolve(".locks").resolve(repoFolder(type, repoId).getFileName()).resolve(etag + ".lock");
    }

    /** The commit a revision means locally: itself when it is one, else what refs/{revision} recorded. */
    Optional<String> commitFor(RepoType type, String repoId, String revision) {
        if (isCommit(revision)) return Optional.of(revision);
        Path ref = repoFolder(type, repoId).resolve("refs").resolve(revision);
        try {
            String c = Files.readString(ref, StandardCharsets.UTF_8).strip();
            return isCommit(c) ? Optional.of(c) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The cached file of repo@revision, if present. */
    Optional<Path> cachedPointer(RepoType type, String repoId, String revision, String filename) {
        return commitFor(type, repoId, revision)
                .map(c -> pointer(type, repoId, c, filename))
                .filter(Files::exists);
    }

    boolean knownMissing(RepoType type, String repoId, String revision, String filename) {
        return commitFor(type, repoId, revision).map(c -> Files.exists(noExist(type, repoId, c, filename))).orElse(false);
    }

    /** Records refs/{revision} = commit (no newline, as Python writes it) when it is new or changed. */
    void writeRef(RepoType type, String repoId, String revision, String commit) {
        if (revision.equals(commit)) return;
        Path ref = repoFolder(type, repoId).resolve("refs").resolve(revision);
        try {
            if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit)) return;
        } catch (IOException e) {
            // unreadable: rewrite it
        }
        AtomicFiles.writeString(ref, commit);
    }

    /** Best effort, like Python: a read-only cache must not fail a download that already succeeded. */
    void markMissing(RepoType type, String repoId, String commit, String filename) {
        Path p = noExist(type, repoId, commit, filename);
        try {
            Files.createDirectories(p.getParent());
            if (!Files.exists(p)) Files.createFile(p);
        } catch (IOException e) {
            // only an optimisation for later offline runs
        }
    }

    /**
     * snapshots/{commit}/{filename} -> ../../blobs/{etag} (one more ../ per folder in filename). Relative,
     * so the cache can be moved. Where symlinks are refused, the blob is copied, as Python does.
     */
    void link(Path blob, Path pointer) {
        try {
            Files.createDirectories(pointer.getParent());
            Files.deleteIfExists(pointer);
            Path target = pointer.getParent().toAbsolutePath().relativize(blob.toAbsolutePath());
            try {
                Files.createSymbolicLink(pointer, target);
            } catch (FileAlreadyExistsException e) {
                // another process linked it between delete and create: fine if it points to our blob
                if (!Files.isSameFile(pointer, blob)) throw e;
            } catch (UnsupportedOperationException | SecurityException e) {
                Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new NeuroscanException("cannot write " + pointer + ": " + AtomicFiles.describe(e), e);
        }
    }

    /** Every file of a cached snapshot, as repo paths ("data/train-0.parquet"), sorted; empty if absent. */
    List<String> listSnapshot(RepoType type, String repoId, String commit) {
        Path dir = snapshot(type, repoId, commit);
        if (!Files.isDirectory(dir)) return List.of();
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile) // follows the symlink: a dangling pointer is not a cached file
                    .forEach(p -> out.add(dir.relativize(p).toString().replace('\\', '/')));
        } catch (IOException e) {
            throw new NeuroscanException("cannot read " + dir + ": " + AtomicFiles.describe(e), e);
        }
        out.sort(null);
        return out;
    }
}
