import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.data.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Tokenizer throughput on a generated c4-like corpus (10,000 documents of ~2,000 characters, ~450
 * tokens each, the shape of c4-10k) with a generated gpt-neox-style byte-level BPE tokenizer of
 * ~48k tokens. Not a unit test and not JMH (no JMH harness in the build yet): a stand-alone
 * program, run from the repository root after `mvn -q compile`:
 *
 *   mvn -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java --enable-native-access=ALL-UNNAMED -cp target/classes:$(cat target/cp.txt) bench/TokenizerThroughput.java [threads]
 */
public class TokenizerThroughput {
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        Random random = new Random(1);
        List<String> words = new ArrayList<>(new LinkedHashSet<>(pseudoWords(random, 20_000)));
        Path dir = Files.createTempDirectory("tokbench");
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(words));
        List<String> docs = corpus(random, words, 10_000);
        long chars = docs.stream().mapToLong(String::length).sum();

        try (Tokenizer tok = Tokenizer.load(dir)) {
            System.out.printf("vocab %d, %d documents, %.1f MB of text, %d threads%n", tok.vocabSize(), docs.size(),
                    chars / 1e6, threads);
            for (int rep = 0; rep < 3; rep++) { // the first repetition warms up JIT and the BPE cache
                long t0 = System.nanoTime();
                long tokens = 0;
                for (String d : docs) {
                    tokens += tok.toTokens(d, 1024).length;
                }
                report("single thread, toTokens", docs.size(), tokens, t0);

                t0 = System.nanoTime();
                tokens = 0;
                for (int i = 0; i < docs.size(); i += 256) {
                    for (int[] t : tok.toTokensBatch(docs.subList(i, Math.min(docs.size(), i + 256)), 1024)) {
                        tokens += t.length;
                    }
                }
                report("toTokensBatch(256)", docs.size(), tokens, t0);

                t0 = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                List<Future<Long>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int first = t;
                    parts.add(pool.submit(() -> {
                        long n = 0;
                        for (int i = first; i < docs.size(); i += threads) {
                            n += tok.toTokens(docs.get(i), 1024).length;
                        }
                        return n;
                    }));
                }
                tokens = 0;
                for (Future<Long> f : parts) {
                    tokens += f.get();
                }
                pool.shutdown();
                report(threads + " threads, toTokens", docs.size(), tokens, t0);
            }
        }
    }

    static void report(String what, int docs, long tokens, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-28s %8.0f docs/s %10.0f tokens/s  (%d tokens, %.2f s)%n", what, docs / s, tokens / s, tokens, s);
    }

    static List<String> pseudoWords(Random r, int n) {
        String[] syllables = {"th", "e", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed",
                "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co",
                "me", "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si"};
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            StringBuilder w = new StringBuilder();
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                w.append(syllables[r.nextInt(syllables.length)]);
            }
            out.add(w.toString());
        }
        return out;
    }

    /** Words drawn with a Zipf-like law, some capitalised or in capitals, digits, punctuation, newlines. */
    static List<String> corpus(Random r, List<String> words, int n) {
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            StringBuilder sb = new StringBuilder();
            int target = 500 + r.nextInt(3000);
            while (sb.length() < target) {
                String w = words.get((int) Math.min(words.size() - 1, Math.exp(r.nextDouble() * Math.log(words.size()))));
                int style = r.nextInt(40);
                if (style == 0) {
                    w = w.toUpperCase();
                } else if (style < 5) {
                    w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                } else if (style == 5) {
                    w = Integer.toString(r.nextInt(3000));
                }
                sb.append(w).append(switch (r.nextInt(30)) {
                    case 0 -> ". ";
                    case 1 -> ", ";
                    case 2 -> "\n";
                    default -> " ";
                });
            }
            docs.add(sb.toString());
        }
        return docs;
    }

    /** Byte-level BPE whose merges build each word (and " word") left to right, ~48k tokens in all. */
    static String tokenizerJson(List<String> words) throws Exception {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<|endoftext|>", 0);
        vocab.put("<|BOS|>", 1);
        vocab.put("<|PAD|>", 2);
        char[] byteChar = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            byteChar[b] = printable ? (char) b : (char) (256 + n++);
        }
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(byteChar[b]), 3 + b);
        }
        List<String> merges = new ArrayList<>();
        for (int len = 2; vocab.size() < 48_000 && len < 16; len++) {
            for (String w : words) {
                for (String form : new String[]{w, byteChar[' '] + w, Character.toUpperCase(w.charAt(0)) + w.substring(1)}) {
                    if (form.length() >= len && vocab.size() < 48_000) {
                        String left = form.substring(0, len - 1);
                        String piece = form.substring(0, len);
                        if (vocab.containsKey(left) && !vocab.containsKey(piece)) {
                            vocab.put(piece, vocab.size());
                            merges.add(left + " " + form.charAt(len - 1));
                        }
                    }
                }
            }
        }
        Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true,
                "use_regex", true);
        List<Map<String, Object>> added = new ArrayList<>();
        for (String s : List.of("<|endoftext|>", "<|BOS|>", "<|PAD|>")) {
            added.add(Map.of("id", vocab.get(s), "content", s, "single_word", false, "lstrip", false, "rstrip", false,
                    "normalized", false, "special", true));
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "NFC"));
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers",
                List.of(Map.of("type", "Digits", "individual_digits", true), byteLevel)));
        root.put("post_processor", byteLevel);
        root.put("decoder", byteLevel);
        root.put("model", model);
        return new ObjectMapper().writeValueAsString(root);
    }
}
