package neuroscan.data;

import ai.djl.engine.EngineException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import neuroscan.NeuroscanException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL, with
 * TransformerLens' {@code to_tokens} semantics.
 *
 * <p>Thread-safe: one instance serves every scan thread. The Rust encoder is immutable after
 * construction (encode takes {@code &self}; its BPE cache is behind a lock), and this class never
 * changes truncation or padding after loading, which is the only mutation that races.
 *
 * <p>Display strings are what TransformerLens' {@code to_str_tokens} (and so neuroscope.io) shows:
 * each token decoded on its own by the tokenizer's decoder. For byte-level BPE that maps
 * {@code Ġ} back to a space and {@code Ċ} to a newline and decodes the bytes as UTF-8 the way Rust's
 * {@code from_utf8_lossy} does: a token holding only part of a multi-byte character shows each
 * maximal invalid byte run as one U+FFFD. We keep U+FFFD rather than {@code \xE2}-style escapes so
 * our token strings equal neuroscope's, which {@code compare} matches token by token.
 */
public final class Tokenizer implements AutoCloseable {
    private static final Map<String, String> OPTIONS = Map.of(
            // TransformerLens prepends the BOS itself (see withBos) and wants nothing else added;
            // truncation to n_ctx happens here, counting the BOS. DJL's defaults (truncate at 512,
            // pad) would silently cut documents.
            "addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final HuggingFaceTokenizer hf;
    private final String bosToken;
    private final int bosId;
    private final int padId;
    private final int eosId;
    private final int vocabSize;
    private final AtomicReferenceArray<String> displayCache;

    private Tokenizer(HuggingFaceTokenizer hf, TokenizerFiles files) {
        this.hf = hf;
        this.bosToken = files.bosToken();
        this.bosId = files.idOf("bos", files.bosToken());
        this.eosId = files.idOf("eos", files.eosToken());
        this.padId = files.idOf("pad", files.padToken());
        this.vocabSize = files.vocabSize();
        this.displayCache = new AtomicReferenceArray<>(vocabSize);
    }

    /**
     * Loads {@code tokenizer.json} (plus the optional {@code special_tokens_map.json} and
     * {@code tokenizer_config.json} beside it) from a directory, or from the path of the
     * tokenizer.json itself. Works offline: the native library ships inside the DJL jar.
     */
    public static Tokenizer load(Path dirOrFile) {
        Quiet.ensure();
        TokenizerFiles files = TokenizerFiles.read(dirOrFile);
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(files.json().getBytes(StandardCharsets.UTF_8)), OPTIONS);
        } catch (EngineException | LinkageError e) { // no native library: read-only cache dir, other OS
            throw new NeuroscanException("cannot load the Hugging Face tokenizers native library (DJL extracts it"
                    + " to ~/.djl.ai or $DJL_CACHE_DIR) for " + files.tokenizerJson() + ": " + firstLine(e), e);
        } catch (IOException | RuntimeException e) {
            throw new NeuroscanException(files.tokenizerJson() + ": the tokenizers library rejects it: "
                    + firstLine(e), e);
        }
        try {
            Tokenizer tokenizer = new Tokenizer(hf, files);
            int[] bos = tokenizer.encode(tokenizer.bosToken);
            if (bos.length != 1 || bos[0] != tokenizer.bosId) {
                throw new NeuroscanException(files.tokenizerJson() + ": the bos token '" + tokenizer.bosToken
                        + "' does not encode to its own id " + tokenizer.bosId + " but to " + Arrays.toString(bos)
                        + " (it must be an added token)");
            }
            return tokenizer;
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /**
     * TransformerLens {@code to_tokens(text)}: {@code [BOS] + tokenizer(text)}, truncated to
     * {@code nCtx} tokens including the BOS. A null or empty text gives just {@code [BOS]}.
     */
    public int[] toTokens(String text, int nCtx) {
        checkCtx(nCtx);
        return truncate(encode(withBos(text)), nCtx);
    }

    /**
     * {@link #toTokens(String, int)} for many texts at once; the library spreads the batch over all
     * cores (Rust rayon), so this is the fast path for a scan that tokenizes ahead of the engine.
     */
    public List<int[]> toTokensBatch(List<String> texts, int nCtx) {
        checkCtx(nCtx);
        String[] inputs = new String[texts.size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = withBos(texts.get(i));
        }
        long[] encodings = TokenizersLibrary.LIB.batchEncode(hf.getHandle(), inputs, false);
        List<int[]> out = new ArrayList<>(encodings.length);
        int taken = 0;
        try {
            while (taken < encodings.length) {
                long encoding = encodings[taken++]; // ids() frees it, even when it throws
                out.add(truncate(ids(encoding), nCtx));
            }
        } finally {
            for (int j = taken; j < encodings.length; j++) {
                TokenizersLibrary.LIB.deleteEncoding(encodings[j]);
            }
        }
        return out;
    }

    /**
     * The text of one token as a page shows it: decoded bytes ({@code " the"}, {@code "\n"}), a
     * special token's content ({@code "<|BOS|>"}), U+FFFD for each run of bytes that are only part
     * of a UTF-8 character, and "" for an id the tokenizer has no token for (as HF decode does).
     */
    public String display(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("negative token id " + id);
        }
        if (id >= vocabSize) {
            return "";
        }
        String s = displayCache.get(id);
        if (s == null) {
            s = hf.decode(new long[]{id}, false);
            displayCache.set(id, s);
        }
        return s;
    }

    /** {@link #display(int)} of each token: one string per token, never joined. */
    public String[] displayTokens(int[] ids) {
        String[] out = new String[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = display(ids[i]);
        }
        return out;
    }

    public int bosId() {
        return bosId;
    }

    public int padId() {
        return padId;
    }

    public int eosId() {
        return eosId;
    }

    /** One more than the largest token id (model vocabulary and added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /** Frees the native tokenizer; no method may be called afterwards. */
    @Override
    public void close() {
        hf.close();
    }

    /** Ids of a text with no special tokens added, straight from the native encoder. */
    private int[] encode(String text) {
        // Direct JNI: HuggingFaceTokenizer.encode also copies tokens, word ids, masks and char spans
        // into Java objects for every call, which we never use; skipping them measured 1.3-2x faster.
        return ids(TokenizersLibrary.LIB.encode(hf.getHandle(), text, false));
    }

    /** Reads an encoding's ids and frees it. */
    private static int[] ids(long encoding) {
        try {
            long[] ids = TokenizersLibrary.LIB.getTokenIds(encoding);
            int[] out = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                out[i] = (int) ids[i];
            }
            return out;
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * TransformerLens prepends the BOS token as a string, so an rstrip flag on it behaves the same
     * here. Lone UTF-16 surrogates (possible from a JSON "\ud800" escape) cannot cross into Rust
     * as text: each becomes U+FFFD.
     */
    private String withBos(String text) {
        if (text == null || text.isEmpty()) {
            return bosToken;
        }
        return bosToken + replaceLoneSurrogates(text);
    }

    static String replaceLoneSurrogates(String s) {
        int first = firstLoneSurrogate(s, 0);
        if (first < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s);
        for (int i = first; i >= 0; i = firstLoneSurrogate(s, i + 1)) {
            b.setCharAt(i, '\uFFFD');
        }
        return b.toString();
    }

    private static int firstLoneSurrogate(String s, int from) {
        for (int i = from, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++; // a valid pair
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static int[] truncate(int[] ids, int nCtx) {
        return ids.length <= nCtx ? ids : Arrays.copyOf(ids, nCtx);
    }

    private static void checkCtx(int nCtx) {
        if (nCtx < 1) {
            throw new IllegalArgumentException("nCtx must be at least 1 (room for the BOS token), got " + nCtx);
        }
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && !m.contains(cause.getMessage())) {
            m = m + ": " + cause.getMessage();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
