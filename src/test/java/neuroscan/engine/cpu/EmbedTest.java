package neuroscan.engine.cpu;

import neuroscan.model.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static neuroscan.engine.cpu.TestData.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

class EmbedTest {
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 37, 512})
    void addsTokenAndPositionRows(int dm) {
        var r = new SplittableRandom(dm);
        int vocab = 11, ctx = 9, rows = 13, ldx = dm + 4;
        float[] we = random(r, vocab * dm, 1), wp = random(r, ctx * dm, 1);
        Embed embed = new Embed(Tensor.of("W_E", we, vocab, dm), Tensor.of("W_pos", wp, ctx, dm));
        int[] tokens = new int[rows], pos = new int[rows];
        for (int i = 0; i < rows; i++) {
            tokens[i] = r.nextInt(vocab);
            pos[i] = r.nextInt(ctx);
        }
        float[] x = new float[rows * ldx];
        embed.apply(tokens, pos, rows, x, ldx);
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < dm; d++) {
                assertEquals(we[tokens[i] * dm + d] + wp[pos[i] * dm + d], x[i * ldx + d], 0f);
            }
        }
    }
}
