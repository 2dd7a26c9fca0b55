package neuroscan.format;

import neuroscan.NeuroscanException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 of files, for manifests and content ids. */
public final class Sha256 {
    private Sha256() {
    }

    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /**
     * The file's sha256 as lowercase hex. A file in the Hugging Face cache is a symlink to
     * {@code blobs/<sha256>} when it is an LFS file whose hash the download already verified, so that
     * name is used instead of reading 200 MB again.
     */
    public static String file(Path file) {
        try {
            if (Files.isSymbolicLink(file)) {
                String blob = Files.readSymbolicLink(file).getFileName().toString();
                Path parent = file.toRealPath().getParent();
                if (HEX64.matcher(blob).matches() && parent != null && parent.getFileName().toString().equals("blobs")) {
                    return blob;
                }
            }
            MessageDigest md = digest();
            byte[] buf = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new NeuroscanException(file + ": cannot read: " + AtomicFiles.describe(e), e);
        }
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
