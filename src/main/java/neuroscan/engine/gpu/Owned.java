package neuroscan.engine.gpu;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Device objects (buffers, streams, programs, pinned memory, ...) an engine holds, released in the
 * reverse order of acquisition: what was made from something is released before it. Releasing goes on
 * past a failure, so one bad handle does not leak the rest.
 */
public final class Owned implements AutoCloseable {
    private final Deque<AutoCloseable> stack = new ArrayDeque<>();

    /** Takes {@code o} into the set and returns it. */
    public <T extends AutoCloseable> T add(T o) {
        stack.push(o);
        return o;
    }

    @Override
    public void close() {
        while (!stack.isEmpty()) {
            try {
                stack.pop().close();
            } catch (Exception ignored) {
                // keep releasing the rest
            }
        }
    }
}
