package neuroscan.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** One line on stderr per finished (or failed) shard of one SparkScan job, identified by a local property. */
final class ShardProgress extends SparkListener {
    static final String PROPERTY = "neuroscan.spark.run";

    private final String runId;
    private final List<Shard> shards;
    private final PrintWriter err;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final Set<Integer> finished = ConcurrentHashMap.newKeySet();
    private final AtomicInteger done = new AtomicInteger();
    private final CountDownLatch all;

    ShardProgress(String runId, List<Shard> shards, PrintWriter err) {
        this.runId = runId;
        this.shards = shards;
        this.err = err;
        this.all = new CountDownLatch(shards.size());
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted e) {
        var p = e.properties();
        if (p != null && runId.equals(p.getProperty(PROPERTY))) stages.add(e.stageInfo().stageId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!stages.contains(e.stageId())) return;
        var info = e.taskInfo();
        int i = info.index();
        if (i < 0 || i >= shards.size()) return;
        Shard s = shards.get(i);
        if (info.successful()) {
            if (!finished.add(i)) return;
            int n = done.incrementAndGet();
            err.printf("neuroscan-spark: %s done in %.1f s on executor %s [%d/%d]%n", s.label(), info.duration() / 1e3,
                    info.executorId(), n, shards.size());
            all.countDown();
        } else if (info.failed()) {
            String why = e.reason() instanceof org.apache.spark.TaskFailedReason f ? f.toErrorString() : String.valueOf(e.reason());
            String first = why == null ? "" : why.strip().lines().findFirst().orElse("");
            String own = ShardFailure.class.getName() + ": " + s.label() + ": ";
            if (first.contains(own)) first = first.substring(first.indexOf(own) + own.length());
            err.printf("neuroscan-spark: %s attempt %d failed: %s%n",
                    s.label(), info.attemptNumber() + 1, first);
        }
    }

    /** Listener events arrive asynchronously: wait (briefly) for the last shards' lines before the summary. */
    void awaitLines() {
        try {
            all.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
