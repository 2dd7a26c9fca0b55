package neuroscan.hub;

import java.net.URI;
import java.net.http.HttpHeaders;
import java.util.Optional;

/**
 * What a HEAD on {@code /resolve/} tells, read as huggingface_hub's {@code get_hf_file_metadata} does:
 * the commit (X-Repo-Commit), the blob name (X-Linked-Etag for LFS files, else ETag), the size
 * (X-Linked-Size, else Content-Length unless redirected) and where to GET it.
 *
 * @param size     bytes, or -1 when the hub did not say
 * @param location the URL to download from: the CDN for LFS files, else the resolve URL
 */
record FileMetadata(String commit, String etag, long size, URI location) {

    /** The hub answered, but not with what a Hugging Face hub sends (wrong HF_ENDPOINT, a proxy page). */
    static final class BadMetadata extends RuntimeException {
        BadMetadata(String message) {
            super(message, null, false, false);
        }
    }

    static FileMetadata parse(URI url, HttpHeaders h, URI location, boolean redirected) {
        String commit = h.firstValue("X-Repo-Commit").orElse(null);
        if (commit == null || !HubCache.isCommit(commit)) {
            throw new BadMetadata("response from " + url + " lacks the X-Repo-Commit header, so it is not a Hugging Face"
                    + " hub; check HF_ENDPOINT and any proxy");
        }
        String etag = normalizeEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(null));
        if (etag == null) throw new BadMetadata("response from " + url + " has no ETag, so the file cannot be cached");
        HubCache.checkEtag(url.toString(), etag);
        Optional<String> size = h.firstValue("X-Linked-Size");
        if (size.isEmpty() && !redirected) size = h.firstValue("Content-Length");
        long n = -1;
        try {
            if (size.isPresent()) n = Long.parseLong(size.get().strip());
        } catch (NumberFormatException e) {
            n = -1; // unknown: the end of the GET tells
        }
        return new FileMetadata(commit, etag, n, location);
    }

    /** {@code W/"abc"} or {@code "abc"} -> {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e.isEmpty() ? null : e;
    }
}
