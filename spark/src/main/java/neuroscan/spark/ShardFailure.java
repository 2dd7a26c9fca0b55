package neuroscan.spark;

/** A shard's scan failed; the message is the one line the user sees, naming the shard. */
final class ShardFailure extends RuntimeException {
    ShardFailure(String message) {
        super(message);
    }
}
