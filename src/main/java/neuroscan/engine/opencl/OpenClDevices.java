package neuroscan.engine.opencl;

import neuroscan.NeuroscanException;

import java.util.ArrayList;
import java.util.List;

/**
 * Device discovery and selection. Devices of all platforms are numbered 0.. in platform order: that
 * number is what {@code neuroscan devices} prints and {@code --device N} takes.
 */
public final class OpenClDevices {
    private OpenClDevices() {
    }

    /** One device as listed by {@code neuroscan devices}. */
    public record Info(int index, String platform, String name, String type, int computeUnits,
                       long globalMemBytes, String version, CL.Device device) {
        /** e.g. {@code 0: pthread-skylake-avx512 (CPU, 2 compute units, 4.9 GiB) - Portable Computing Language}. */
        public String describe() {
            return String.format("%d: %s (%s, %d compute units, %.1f GiB) - %s, %s", index, name, type, computeUnits,
                    globalMemBytes / (double) (1L << 30), platform, version);
        }
    }

    /** Every device of every platform; empty when OpenCL is missing (see {@link CL#unavailable()}). */
    public static List<Info> list() {
        if (CL.unavailable().isPresent()) return List.of();
        List<Info> out = new ArrayList<>();
        for (CL.Platform p : CL.platforms()) {
            String platform = p.name();
            for (CL.Device d : p.devices()) {
                out.add(new Info(out.size(), platform, d.name(), d.typeName(), d.computeUnits(), d.globalMemSize(),
                        d.version(), d));
            }
        }
        return List.copyOf(out);
    }

    /** Device {@code index} of {@link #list()}, or a NeuroscanException that says what exists. */
    public static Info select(int index) {
        var why = CL.unavailable();
        if (why.isPresent()) throw new NeuroscanException("OpenCL backend: " + why.get());
        List<Info> all = list();
        if (all.isEmpty()) throw new NeuroscanException("OpenCL backend: no OpenCL device is installed");
        if (index < 0 || index >= all.size()) {
            throw new NeuroscanException("--device " + index + ": there " + (all.size() == 1 ? "is 1 OpenCL device"
                    : "are " + all.size() + " OpenCL devices") + " (0.." + (all.size() - 1)
                    + "); `neuroscan devices` lists them");
        }
        return all.get(index);
    }
}
