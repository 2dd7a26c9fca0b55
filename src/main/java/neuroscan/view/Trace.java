package neuroscan.view;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * One neuron's activation on every token of a text: what {@code trace} prints and {@code serve}'s
 * {@code /api/trace} returns. The JSON is {@code {"tokens": [...], "token_ids": [...], "activations": [...]}}.
 *
 * @param tokens      display strings, BOS first
 * @param ids         token ids
 * @param activations one per token
 */
public record Trace(int neuron, List<String> tokens, int[] ids, float[] activations) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Trace {
        tokens = List.copyOf(tokens);
        if (ids.length != tokens.size() || activations.length != tokens.size()) {
            throw new IllegalArgumentException(tokens.size() + " tokens, " + ids.length + " ids, " + activations.length + " activations");
        }
    }

    /** The JSON on one line (Jackson escapes every control character of a token). */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        var tokNode = o.putArray("tokens");
        for (String t : tokens) tokNode.add(t);
        var idsNode = o.putArray("token_ids");
        for (int id : ids) idsNode.add(id);
        var actNode = o.putArray("activations");
        for (float v : activations) actNode.add(v);
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
