package neuroscan.scan;

import neuroscan.NeuroscanException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreSizeTest {
    @Test
    void aStoreLargerThanTheHeapIsRefusedWithALargestK() {
        long gib = 1L << 30;
        assertDoesNotThrow(() -> Scanner.checkStoreFits(20, 2048, gib));
        var e = assertThrows(NeuroscanException.class, () -> Scanner.checkStoreFits(30_000_000, 2048, gib));
        assertTrue(e.getMessage().startsWith("--top-k 30000000 is too large: the store of 2048 neurons would need 2059.9 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("use --top-k 14563 or less"), e.getMessage());   // 2^30 / (36 * 2048)
        assertDoesNotThrow(() -> Scanner.checkStoreFits(14563, 2048, gib));
    }
}
