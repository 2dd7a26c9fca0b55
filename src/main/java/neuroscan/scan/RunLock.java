package neuroscan.scan;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One scan per run directory: an OS file lock on {@code .lock} in it, taken without waiting, holding
 * the holder's pid. The OS drops the lock with the process, so a {@code kill -9} leaves nothing to
 * clean up (the file stays; its content is only a hint for the refusal message). A JVM cannot take an
 * OS lock twice on one file, so scans of one process are excluded by a set of held directories first.
 */
public final class RunLock implements AutoCloseable {
    public static final String NAME = ".lock";
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks {@code dir} (which exists) or refuses in one line naming the scan that holds it. */
    public static RunLock acquire(Path dir) {
        Path key = dir.toAbsolutePath().normalize();
        Path file = dir.resolve(NAME);
        if (!HELD.add(key)) throw busy(dir, ProcessHandle.current().pid() + ", this process");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                String holder = holder(ch);
                ch.close();
                HELD.remove(key);
                throw busy(dir, holder);
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
            return new RunLock(key, ch, l);
        } catch (IOException e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            HELD.remove(key);
            throw new NeuroscanException(file + ": cannot lock the run directory: " + AtomicFiles.describe(e), e);
        }
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
            return s.matches("[0-9]{1,19}") ? s : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static NeuroscanException busy(Path dir, String pid) {
        return new NeuroscanException(dir + ": another scan or merge (pid " + pid + ") is writing this run directory; "
                + "wait for it to finish or choose another --out");
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        } finally {
            HELD.remove(dir);
        }
    }
}
