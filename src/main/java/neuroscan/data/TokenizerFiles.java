package neuroscan.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import neuroscan.NeuroscanException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What neuroscan needs from a Hugging Face tokenizer directory besides the encoder itself: the
 * token -> id table (to resolve BOS/PAD/EOS by name and to size arrays) and the special-token
 * names from special_tokens_map.json / tokenizer_config.json.
 */
record TokenizerFiles(Path tokenizerJson, String json, Map<String, Integer> ids, int vocabSize,
                      String bosToken, String eosToken, String padToken) {

    static final String TOKENIZER_JSON = "tokenizer.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    static TokenizerFiles read(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path file = Files.isDirectory(path) ? path.resolve(TOKENIZER_JSON) : path;
        String text = readString(file);
        JsonNode root = parse(file, text);
        if (!root.isObject() || !root.path("model").isObject()) {
            throw new NeuroscanException(file + ": not a Hugging Face tokenizer.json (no \"model\" object)");
        }
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) { // BPE, WordPiece, WordLevel: {"token": id}
            for (var e : vocab.properties()) {
                ids.put(e.getKey(), e.getValue().asInt());
                maxId = Math.max(maxId, e.getValue().asInt());
            }
        } else if (vocab.isArray()) { // Unigram: [["piece", score], ...], the id is the position
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
            maxId = vocab.size() - 1;
        }
        for (JsonNode added : root.path("added_tokens")) { // added tokens win, as in the library
            ids.put(added.path("content").asText(), added.path("id").asInt());
            maxId = Math.max(maxId, added.path("id").asInt());
        }
        if (maxId < 0) {
            throw new NeuroscanException(file + ": the tokenizer has an empty vocabulary");
        }

        // transformers lets special_tokens_map.json override tokenizer_config.json.
        Map<String, String> special = new HashMap<>();
        for (String name : new String[]{"tokenizer_config.json", "special_tokens_map.json"}) {
            Path f = dir.resolve(name);
            if (Files.isRegularFile(f)) {
                JsonNode cfg = parse(f, readString(f));
                for (String key : new String[]{"bos_token", "eos_token", "pad_token"}) {
                    String value = tokenContent(cfg.get(key));
                    if (value != null) {
                        special.put(key, value);
                    }
                }
            }
        }
        // Defaults as TransformerLens' set_tokenizer applies them: eos <|endoftext|>, pad and bos = eos.
        String eos = special.getOrDefault("eos_token", "<|endoftext|>");
        String pad = special.getOrDefault("pad_token", eos);
        String bos = special.getOrDefault("bos_token", eos);
        return new TokenizerFiles(file, text, Map.copyOf(ids), maxId + 1, bos, eos, pad);
    }

    /** The id of a special token, or a one-line error naming the directory's files. */
    int idOf(String role, String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new NeuroscanException(tokenizerJson + ": the " + role + " token '" + token
                    + "' (from special_tokens_map.json / tokenizer_config.json, or the default) is not in the vocabulary");
        }
        return id;
    }

    /** A special token is written either as a string or as an AddedToken object {"content": ...}. */
    private static String tokenContent(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new NeuroscanException(file + ": no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new NeuroscanException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new NeuroscanException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(Path file, String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();   // null for a limit (e.g. nesting depth) rather than a syntax error
            String why = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
            throw new NeuroscanException(file + ": malformed JSON" + (loc == null || loc.getLineNr() < 0 ? "" : " at line "
                    + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + why, e);
        }
    }
}
