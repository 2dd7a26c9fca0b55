package neuroscan.serve;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bound on forward passes: {@code slots} run at once (one per engine worker), up to {@code maxWaiting}
 * more wait (fairly, in arrival order) at most {@code waitMillis}, and anything beyond is refused at once
 * with 503, so a burst of typing or a client in a loop cannot pile up work or threads.
 */
final class Gate {
    private final Semaphore slots;
    private final int maxWaiting;
    private final long waitMillis;
    private final AtomicInteger waiting = new AtomicInteger();

    Gate(int slots, int maxWaiting, long waitMillis) {
        this.slots = new Semaphore(slots, true);
        this.maxWaiting = maxWaiting;
        this.waitMillis = waitMillis;
    }

    /** Work that needs a slot. */
    interface Work<T> {
        T run() throws HttpError;
    }

    <T> T run(Work<T> work) throws HttpError {
        if (!slots.tryAcquire()) {
            if (waiting.incrementAndGet() > maxWaiting) {
                waiting.decrementAndGet();
                throw HttpError.busy("busy: every forward pass is taken and " + maxWaiting + " requests wait; try again");
            }
            try {
                if (!slots.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
                    throw HttpError.busy("busy: no forward pass free within " + waitMillis + " ms; try again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw HttpError.busy("the server is stopping");
            } finally {
                waiting.decrementAndGet();
            }
        }
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    /** Requests waiting for a slot now (for tests and the log). */
    int waiting() {
        return waiting.get();
    }
}
