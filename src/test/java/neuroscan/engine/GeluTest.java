package neuroscan.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GeluTest {
    // erf values from Abramowitz & Stegun, Table 7.1 (and scipy.special.erf to 16 digits).
    @Test
    void erfMatchesTables() {
        assertEquals(0.0, Gelu.erf(0.0), 0);
        assertEquals(0.1124629160182849, Gelu.erf(0.1), 1e-15);
        assertEquals(0.5204998778130465, Gelu.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Gelu.erf(1.0), 1e-15);
        assertEquals(0.9661051464753108, Gelu.erf(1.5), 1e-15);
        assertEquals(0.9953222650189527, Gelu.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, Gelu.erf(3.0), 1e-15);
        assertEquals(-0.8427007929497149, Gelu.erf(-1.0), 1e-15);
        assertEquals(1.0, Gelu.erf(10.0), 1e-15);
    }

    @Test
    void geluExactAndTanh() {
        // torch.nn.functional.gelu(torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64))
        assertEquals(0.8413447460685429, Gelu.exact(1.0), 1e-14);
        assertEquals(-0.15865525393145707, Gelu.exact(-1.0), 1e-14);
        assertEquals(1.9544997361036416, Gelu.exact(2.0), 1e-14);
        // gelu(x, approximate='tanh')
        assertEquals(0.8411919906082768, Gelu.tanh(1.0), 1e-14);
    }
}
