package neuroscan.serve;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/** A small least-recently-used cache bounded by the summed weight of its values (bytes, floats). */
final class Lru<K, V> {
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(16, 0.75f, true);
    private final long budget;
    private final ToLongFunction<V> weight;
    private long total;

    Lru(long budget, ToLongFunction<V> weight) {
        this.budget = budget;
        this.weight = weight;
    }

    synchronized V get(K key) {
        return map.get(key);
    }

    /** Keeps {@code value} unless it alone is over the budget; evicts the least recently used until it fits. */
    synchronized void put(K key, V value) {
        long w = weight.applyAsLong(value);
        if (w > budget) return;
        V old = map.put(key, value);
        if (old != null) total -= weight.applyAsLong(old);
        total += w;
        for (Iterator<Map.Entry<K, V>> it = map.entrySet().iterator(); total > budget && it.hasNext(); ) {
            Map.Entry<K, V> e = it.next();
            if (e.getKey().equals(key)) continue;
            total -= weight.applyAsLong(e.getValue());
            it.remove();
        }
    }
}
