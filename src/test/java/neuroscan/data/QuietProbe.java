package neuroscan.data;

import java.nio.file.Path;

/** Run in a fresh JVM by {@link QuietTest}: first use of DJL, SLF4J and Hardwood in the process. */
public final class QuietProbe {
    private QuietProbe() {
    }

    public static void main(String[] args) {
        long docs;
        try (Tokenizer tok = Tokenizer.load(TokenizerTest.FIXTURE);
             DocumentSource source = DocumentSources.open(DocumentSourcesTest.C4, "text")) {
            docs = source.stream().filter(d -> tok.toTokens(d.text(), 1024).length > 0).count();
        }
        System.out.println("documents " + docs);
    }
}
