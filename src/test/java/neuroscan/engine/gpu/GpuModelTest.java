package neuroscan.engine.gpu;

import neuroscan.NeuroscanException;
import neuroscan.model.ModelConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpuModelTest {
    @Test
    void buffersTheKernelsCannotIndexWithIntAreRefused() {
        ModelConfig gelu1l = new ModelConfig(1, 512, 8, 64, 2048, 1024, 48262, "gelu", "LN", 1e-5, null);
        assertDoesNotThrow(() -> GpuModel.checkIntIndexable(gelu1l, 16384));
        // 48262 x 512 fits; a 5M-token vocabulary does not (5e6 * 512 > 2^31 - 1)
        ModelConfig hugeVocab = new ModelConfig(1, 512, 8, 64, 2048, 1024, 5_000_000, "gelu", "LN", 1e-5, null);
        var e = assertThrows(NeuroscanException.class, () -> GpuModel.checkIntIndexable(hugeVocab, 16384));
        assertTrue(e.getMessage().startsWith("W_E has 2560000000 elements: the GPU kernels index with int"), e.getMessage());
        // a batch whose hook_post would pass 2^31 elements
        assertThrows(NeuroscanException.class, () -> GpuModel.checkIntIndexable(gelu1l, 1 << 20));
    }
}
