package neuroscan.cli;

import neuroscan.engine.ReferenceEngine;
import neuroscan.scan.ScanFixtures;
import neuroscan.scan.ScanListener;
import neuroscan.scan.ScanOptions;
import neuroscan.scan.Scanner;
import neuroscan.store.DocRange;
import neuroscan.store.StoreFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class MergeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void mergesRunsAndReportsErrorsOnOneLine() throws Exception {
        var w = ScanFixtures.model(1);
        List<String> texts = ScanFixtures.corpus(2, 20);
        for (String[] run : new String[][]{{"whole", "0:"}, {"a", "0:8"}, {"b", "8:"}}) {
            ScanOptions o = ScanOptions.defaults(tmp.resolve(run[0]), ScanFixtures.N_CTX).withTopK(3)
                    .withRange(DocRange.parse(run[1])).withThreads(1).withQuiet(true);
            new Scanner(new ReferenceEngine(w), o, ScanListener.NONE).scan(ScanFixtures.SOURCES, ScanFixtures.documents(texts), ScanFixtures::tokenize);
        }
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = Main.run(new String[]{"merge", tmp.resolve("b").toString(), tmp.resolve("a").toString(), "--out", tmp.resolve("m").toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, rc, err.toString());
        assertTrue(out.toString().startsWith("merged 2 runs into " + tmp.resolve("m") + ": documents 0:20, "), out.toString());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("whole").resolve(StoreFile.NAME)), Files.readAllBytes(tmp.resolve("m").resolve(StoreFile.NAME)));

        StringWriter err2 = new StringWriter();
        rc = Main.run(new String[]{"merge", tmp.resolve("a").toString(), tmp.resolve("whole").toString(), "--out", tmp.resolve("m2").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err2, true));
        assertEquals(1, rc);
        assertEquals("neuroscan: " + tmp.resolve("a") + " (0:8) and " + tmp.resolve("whole")
                + " (0:20) overlap at documents 0:8; merge needs disjoint ranges", err2.toString().strip());

        assertFalse(Files.exists(tmp.resolve("m2")), "a refused merge leaves no directory behind");

        // a merge into a directory another scan or merge holds is refused, naming the holder
        Files.createDirectories(tmp.resolve("busy"));
        try (var lock = neuroscan.scan.RunLock.acquire(tmp.resolve("busy"))) {
            StringWriter err3 = new StringWriter();
            rc = Main.run(new String[]{"merge", tmp.resolve("a").toString(), tmp.resolve("b").toString(), "--out", tmp.resolve("busy").toString()},
                    new PrintWriter(new StringWriter(), true), new PrintWriter(err3, true));
            assertEquals(1, rc);
            assertEquals("neuroscan: " + tmp.resolve("busy") + ": another scan or merge (pid " + ProcessHandle.current().pid()
                    + ", this process) is writing this run directory; wait for it to finish or choose another --out", err3.toString().strip());
            assertFalse(Files.exists(tmp.resolve("busy").resolve("manifest.json")));
        }

        rc = Main.run(new String[]{"merge", tmp.resolve("a").toString(), "--out", tmp.resolve("m3").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true));
        assertEquals(2, rc, "one run is a usage error");
    }
}
