package neuroscan.hub;

import neuroscan.NeuroscanException;
import neuroscan.format.AtomicFiles;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One writer per blob: two downloads appending to the same {@code .incomplete} file would corrupt it.
 * A file lock keeps other processes out; it cannot exclude threads of this JVM (the JDK throws
 * OverlappingFileLockException instead), so an in-process lock per path comes first.
 */
final class BlobLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private BlobLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    static BlobLock acquire(Path lockFile) {
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        local.lock();
        FileChannel ch = null;
        try {
            Files.createDirectories(lockFile.getParent());
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new BlobLock(local, ch, ch.lock());
        } catch (IOException e) {
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // already failing
            }
            local.unlock();
            throw new NeuroscanException("cannot lock " + lockFile + ": " + AtomicFiles.describe(e), e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        } finally {
            local.unlock();
        }
    }
}
