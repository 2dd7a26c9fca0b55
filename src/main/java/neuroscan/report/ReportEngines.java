package neuroscan.report;

import neuroscan.engine.Engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Supplier;

/**
 * The engines a run's reports recompute activations on: the backend the user chose, as at most
 * {@link #workers} engines used by one thread each. The CPU engines run one document's forward pass on one
 * core, so there is one single-threaded engine per worker ({@link #perWorker}); a GPU is one engine for one
 * worker ({@link #single}). Engines are opened when first needed and all closed with this.
 */
public final class ReportEngines implements AutoCloseable {
    private final int workers;
    private final Supplier<Engine> open;
    private final Deque<Engine> idle = new ArrayDeque<>();
    private final List<Engine> opened = new ArrayList<>();

    private ReportEngines(int workers, Supplier<Engine> open) {
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        this.workers = workers;
        this.open = open;
    }

    /** Up to {@code workers} engines, each from {@code open}, each used by one thread at a time. */
    public static ReportEngines perWorker(int workers, Supplier<Engine> open) {
        return new ReportEngines(workers, open);
    }

    /** One engine, already open (a GPU), used by one thread. */
    public static ReportEngines single(Engine engine) {
        return new ReportEngines(1, () -> engine);
    }

    public int workers() {
        return workers;
    }

    /** The engine's own description (opening the first one), and how many may run at once: "reference, 4 workers". */
    public String describe() {
        Engine e = acquire();
        try {
            return e.describe() + (workers == 1 ? "" : ", " + workers + " workers");
        } finally {
            release(e);
        }
    }

    /** An engine for the calling thread until {@link #release}: an idle one, else a new one. */
    synchronized Engine acquire() {
        if (!idle.isEmpty()) return idle.pop();
        if (opened.size() == workers) throw new IllegalStateException("all " + workers + " engines are in use");
        Engine e = open.get();
        opened.add(e);
        return e;
    }

    synchronized void release(Engine e) {
        idle.push(e);
    }

    @Override
    public synchronized void close() {
        opened.forEach(Engine::close);
        opened.clear();
        idle.clear();
    }
}
