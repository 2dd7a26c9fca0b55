package neuroscan.report;

import neuroscan.engine.Engine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engines open on demand, at most one per worker, are reused once released, and all close together. */
class ReportEnginesTest {
    /** An engine that only records whether it was closed. */
    static final class Fake implements Engine {
        final String name;
        boolean closed;

        Fake(String name) {
            this.name = name;
        }

        @Override
        public int neurons() {
            return 1;
        }

        @Override
        public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
            throw new UnsupportedOperationException();
        }

        @Override
        public float[] hookPost(int[] tokens) {
            return new float[tokens.length];
        }

        @Override
        public String describe() {
            return name;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void perWorkerOpensOnDemandReusesIdleEnginesAndClosesAll() {
        List<Fake> made = new ArrayList<>();
        ReportEngines engines = ReportEngines.perWorker(2, () -> {
            Fake f = new Fake("fake " + made.size());
            made.add(f);
            return f;
        });
        assertEquals(0, made.size(), "nothing opened before it is needed");
        assertEquals("fake 0, 2 workers", engines.describe());
        Engine a = engines.acquire(), b = engines.acquire();
        assertSame(made.get(0), a, "the engine describe() opened is reused");
        assertNotSame(a, b);
        assertThrows(IllegalStateException.class, engines::acquire, "a third engine at once");
        engines.release(b);
        assertSame(b, engines.acquire());
        assertEquals(2, made.size());
        engines.close();
        assertTrue(made.stream().allMatch(f -> f.closed));
    }

    @Test
    void singleIsOneEngineForOneWorker() {
        Fake gpu = new Fake("gpu");
        ReportEngines engines = ReportEngines.single(gpu);
        assertEquals(1, engines.workers());
        assertEquals("gpu", engines.describe());
        Engine e = engines.acquire();
        assertSame(gpu, e);
        assertThrows(IllegalStateException.class, engines::acquire);
        engines.release(e);
        engines.close();
        assertTrue(gpu.closed);
        assertThrows(IllegalArgumentException.class, () -> ReportEngines.perWorker(0, () -> gpu));
    }
}
