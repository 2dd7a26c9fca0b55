package neuroscan.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GPU scheduling as on a cluster: local-cluster[1,2,2048], one worker (a host) whose fake GPU discovery script
 * offers GPUs 0 and 1, two executors (separate JVMs) of one core and one GPU each, one GPU per task: each shard's
 * task gets its own GPU address as --device (the scan runs on the CPU engine, which ignores it), and the run is
 * still one scan's. (Two workers on one host would each discover, and hand out, the same GPU 0.)
 */
class SparkGpuTest {
    @TempDir
    static Path tmp;
    static JavaSparkContext sc;

    @BeforeAll
    static void start() throws IOException {
        SparkScanTest.tmp = tmp;
        SparkScanTest.model = Files.createDirectories(tmp.resolve("model"));
        SparkScanTest.demoModel(SparkScanTest.model);
        Path script = tmp.resolve("gpus.sh");
        Files.writeString(script, "#!/usr/bin/env bash\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        SparkConf conf = SparkScan.conf("local-cluster[1,2,2048]")
                .set("spark.executor.cores", "1")
                .set("spark.executor.memory", "768m")
                .set("spark.worker.resource.gpu.amount", "2")
                .set("spark.worker.resource.gpu.discoveryScript", script.toString())
                .set("spark.executor.resource.gpu.amount", "1")
                .set("spark.task.resource.gpu.amount", "1")
                // the executors are separate JVMs: this JVM's classpath (neuroscan, its test classes, Spark) and flags
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "
                        + "-Dlog4j2.configurationFile=" + Path.of("spark/log4j2.properties").toAbsolutePath());
        // A local-cluster worker builds its executors' command from a Spark home: spark.test.home (read while
        // spark.testing is set), whose jars/ may be empty (the classpath is extraClassPath) and whose
        // launcher/target/scala-2.13 names the Scala version. Both properties only while the workers start.
        Path home = tmp.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", home.toString());
        try {
            sc = new JavaSparkContext(conf);
        } finally {
            System.clearProperty("spark.testing");
            System.clearProperty("spark.test.home");
        }
        // both executors up before the job, else the first one takes both tasks (and its one GPU twice)
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (sc.statusTracker().getExecutorInfos().length < 3 && System.nanoTime() < deadline) {   // + the driver
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
    }

    @Test
    void eachTaskGetsItsOwnGpuAsDevice() throws IOException {
        assertEquals(0, SparkScanTest.scan("single", "--doc-range", "0:60").code());
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = SparkScan.run(sc, SparkScanTest.common("gpu", "--doc-range", "0:60", "--shards", "2").toArray(String[]::new),
                new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, rc, e.toString());
        var m = Pattern.compile("neuroscan-spark: devices: shard 1/2 \\(documents 0:30\\) --device ([01]); "
                + "shard 2/2 \\(documents 30:60\\) --device ([01])").matcher(e.toString());
        assertTrue(m.find(), e.toString());
        assertNotEquals(m.group(1), m.group(2), "each task its own GPU: " + e);
        SparkScanTest.assertSameRun("single", "gpu");
        assertEquals(2, List.of(e.toString().split("\n")).stream().filter(l -> l.contains(" done in ")).count(), e.toString());
    }
}
