package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;

import java.util.ArrayList;
import java.util.List;

/** The GPUs the CUDA driver sees, numbered as {@code --device} takes them with {@code --backend cuda}. */
public final class CudaDevices {
    private CudaDevices() {
    }

    /** One GPU: its ordinal, name, compute capability, SMs, clock and memory. */
    public record Info(int index, int device, String name, int ccMajor, int ccMinor, int multiprocessors,
                       int clockKHz, long totalMemBytes) {
        /** "sm_90". */
        public String arch() {
            return "sm_" + ccMajor + ccMinor;
        }

        /** FP32 lanes per SM: 64 on Volta, Turing and GA100 (8.0); 128 from GA10x (8.6) on, Hopper included. */
        public int fp32LanesPerSm() {
            return ccMajor < 8 || (ccMajor == 8 && ccMinor == 0) ? 64 : 128;
        }

        /** Peak FP32 FLOP/s at the reported clock: SMs x lanes x 2 (an FMA is two FLOPs) x clock. */
        public double fp32PeakFlops() {
            return (double) multiprocessors * fp32LanesPerSm() * 2 * clockKHz * 1e3;
        }

        /** e.g. {@code 0: NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 1.98 GHz, 79.1 GiB, 66.9 TFLOP/s FP32)}. */
        public String describe() {
            return String.format("%d: %s (%s, %d SMs, %.2f GHz, %.1f GiB, %.1f TFLOP/s FP32)", index, name, arch(),
                    multiprocessors, clockKHz / 1e6, totalMemBytes / (double) (1L << 30), fp32PeakFlops() / 1e12);
        }
    }

    /** Every GPU; empty when CUDA cannot be used (see {@link CU#unavailable()}). */
    public static List<Info> list() {
        if (CU.unavailable().isPresent()) return List.of();
        List<Info> out = new ArrayList<>();
        for (int i = 0, n = CU.deviceCount(); i < n; i++) {
            int d = CU.device(i);
            out.add(new Info(i, d, CU.deviceName(d), CU.attribute(d, CU.DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    CU.attribute(d, CU.DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                    CU.attribute(d, CU.DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT), CU.attribute(d, CU.DEVICE_ATTRIBUTE_CLOCK_RATE),
                    CU.totalMem(d)));
        }
        return List.copyOf(out);
    }

    /** "CUDA driver 12.4" (from cuDriverGetVersion: 12040). */
    public static String driverVersion() {
        int v = CU.driverVersion();
        return "CUDA driver " + v / 1000 + "." + (v % 1000) / 10;
    }

    /** GPU {@code index}, or a NeuroscanException that says what exists. */
    public static Info select(int index) {
        var why = CU.unavailable();
        if (why.isPresent()) throw new NeuroscanException("CUDA backend: " + why.get());
        List<Info> all = list();
        if (index < 0 || index >= all.size()) {
            throw new NeuroscanException("--device " + index + ": there " + (all.size() == 1 ? "is 1 CUDA GPU"
                    : "are " + all.size() + " CUDA GPUs") + " (0.." + (all.size() - 1) + "); `neuroscan devices` lists them");
        }
        return all.get(index);
    }
}
