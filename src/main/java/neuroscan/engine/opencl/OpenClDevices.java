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

    /** One platform (an installed OpenCL driver) and its devices. */
    public record PlatformInfo(String name, String vendor, String version, List<Info> devices) {
    }

    /** One device, with the number {@code --device} takes. */
    public record Info(int index, String platform, String name, String type, int computeUnits,
                       long globalMemBytes, String version, CL.Device device) {
        /** e.g. {@code 0: pthread-skylake-avx512 (CPU, 2 compute units, 4.9 GiB, OpenCL 3.0 PoCL)}. */
        public String describe() {
            return String.format("%d: %s (%s, %d compute units, %.1f GiB, %s)", index, name, type, computeUnits,
                    globalMemBytes / (double) (1L << 30), version);
        }
    }

    /**
     * The installed platforms and their devices; empty when OpenCL is missing (see {@link CL#unavailable()}).
     * One thread at a time: PoCL crashes when two threads enumerate its devices at once (seen with Spark's
     * local[N], two scans in one JVM).
     */
    public static synchronized List<PlatformInfo> platforms() {
        if (CL.unavailable().isPresent()) return List.of();
        List<PlatformInfo> out = new ArrayList<>();
        int index = 0;
        for (CL.Platform p : CL.platforms()) {
            String platform = p.name();
            List<Info> devices = new ArrayList<>();
            for (CL.Device d : p.devices()) {
                devices.add(new Info(index++, platform, d.name(), d.typeName(), d.computeUnits(), d.globalMemSize(),
                        d.version(), d));
            }
            out.add(new PlatformInfo(platform, p.vendor(), p.version(), List.copyOf(devices)));
        }
        return List.copyOf(out);
    }

    /** Every device of every platform, numbered as {@code --device} takes them. */
    public static List<Info> list() {
        return platforms().stream().flatMap(p -> p.devices().stream()).toList();
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
