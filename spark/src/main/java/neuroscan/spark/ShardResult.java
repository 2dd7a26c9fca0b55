package neuroscan.spark;

import java.io.Serializable;

/**
 * What a task sends back: the finished run of its shard as bytes (manifest.json, store.safetensors,
 * tokens.safetensors), so no neuroscan class crosses Spark's serializer but this record; plus the GPU it
 * ran on, if Spark gave it one.
 */
record ShardResult(int index, byte[] manifest, byte[] store, byte[] tokens, String device, double seconds) implements Serializable {
}
