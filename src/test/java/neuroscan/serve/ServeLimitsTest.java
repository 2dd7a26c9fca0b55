package neuroscan.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.engine.Engine;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static neuroscan.serve.ServeFixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounds on work: engines that block until the test lets them go show how many forward passes run
 * at once, how many requests wait, and that everything past that is refused at once with 503.
 */
class ServeLimitsTest {
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void makeRun() throws Exception {
        run = ServeFixtures.run(tmp);
    }

    /** A reference engine whose forward passes wait for {@code go} and are counted while they run. */
    static final class Held implements Engine {
        final Engine inner;
        final Shared shared;

        Held(Engine inner, Shared shared) {
            this.inner = inner;
            this.shared = shared;
        }

        @Override
        public int neurons() {
            return inner.neurons();
        }

        @Override
        public void docMax(List<int[]> docs, float[] max, int[] argmax, int[] positive) {
            inner.docMax(docs, max, argmax, positive);
        }

        @Override
        public float[] hookPost(int[] tokens) {
            int now = shared.running.incrementAndGet();
            shared.most.accumulateAndGet(now, Math::max);
            shared.entered.release();
            try {
                if (!shared.go.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never let go");
                return inner.hookPost(tokens);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                shared.running.decrementAndGet();
            }
        }

        @Override
        public String describe() {
            return "held " + inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static final class Shared {
        final AtomicInteger running = new AtomicInteger(), most = new AtomicInteger();
        final Semaphore entered = new Semaphore(0);
        final CountDownLatch go = new CountDownLatch(1);
    }

    static CompletableFuture<HttpResponse<String>> async(ServeFixtures.Served s, String target) {
        return ServeFixtures.HTTP.sendAsync(HttpRequest.newBuilder(s.uri(target)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static void waitFor(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); !c.getAsBoolean(); Thread.sleep(10)) {
            assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
        }
    }

    @Test
    void forwardPassesAtOnceAndWaitingAreBounded() throws Exception {
        Shared shared = new Shared();
        ObjectMapper json = new ObjectMapper();
        try (var s = ServeFixtures.serve(run, 2, e -> new Held(e, shared), l -> l.withQueue(2, 2, 60_000).withoutTextCache())) {
            List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
            for (int i = 0; i < 2; i++) admitted.add(async(s, "/api/trace?neuron=1&text=" + q("running " + i)));
            assertTrue(shared.entered.tryAcquire(2, 30, TimeUnit.SECONDS), "two forward passes started");
            for (int i = 0; i < 2; i++) admitted.add(async(s, "/api/neurons?top=3&text=" + q("waiting " + i)));
            waitFor(() -> s.server().waiting() == 2, "two requests waiting");
            for (int i = 0; i < 4; i++) {   // a full queue: refused at once, while the others still hold
                var r = ServeFixtures.get(s.uri("/api/trace?neuron=1&text=" + q("refused " + i)));
                assertEquals(503, r.statusCode(), r.body());
                assertEquals("1", r.headers().firstValue("Retry-After").orElseThrow());
                assertTrue(json.readTree(r.body()).get("error").asText().startsWith("busy: "), r.body());
            }
            // the page of a neuron needs a forward pass too, and is refused the same way
            assertEquals(503, ServeFixtures.get(s.uri("/5.html")).statusCode());
            assertEquals(2, shared.running.get());
            shared.go.countDown();
            for (var f : admitted) {
                var r = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
            }
            assertEquals(2, shared.most.get(), "never more forward passes at once than engine workers");
            JsonNode ok = json.readTree(ServeFixtures.get(s.uri("/api/trace?neuron=1&text=" + q("after"))).body());
            assertTrue(ok.get("activations").size() > 1);
        }
    }

    @Test
    void requestsInProgressAreBounded() throws Exception {
        Shared shared = new Shared();
        try (var s = ServeFixtures.serve(run, 1, e -> new Held(e, shared), l -> new Limits(l.maxTextBytes(), l.maxUriChars(), l.maxTop(),
                1, 10, 60_000, 3, l.pageCacheBytes(), 0, l.debounceMs()))) {
            List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
            held.add(async(s, "/api/trace?neuron=0&text=a"));
            assertTrue(shared.entered.tryAcquire(1, 30, TimeUnit.SECONDS));
            held.add(async(s, "/api/trace?neuron=0&text=b"));
            held.add(async(s, "/api/trace?neuron=0&text=c"));
            waitFor(() -> s.server().waiting() == 2, "two requests waiting");
            var r = ServeFixtures.get(s.uri("/api/nope"));   // even a cheap request: three are in progress
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("3 requests in progress"), r.body());
            shared.go.countDown();
            for (var f : held) assertEquals(200, f.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(404, ServeFixtures.get(s.uri("/api/nope")).statusCode());
            assertEquals(1, shared.most.get());
        }
    }
}
