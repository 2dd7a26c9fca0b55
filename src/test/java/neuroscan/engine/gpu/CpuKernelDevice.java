package neuroscan.engine.gpu;

import neuroscan.kernel.CpuRunner;
import neuroscan.kernel.KernelContext;
import neuroscan.kernels.CausalAttention;
import org.junit.jupiter.api.Assumptions;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * The kernels' Java methods run by {@link CpuRunner}, behind the same {@link KernelDevice} as OpenCL and
 * CUDA, so that {@link KernelsContract} checks the Java kernels themselves: the code the build translates.
 * A {@link Call} names the kernel in C; the build's index (kernels.json) gives its class and method.
 * The runner runs the build options' defaults, so a call for another head size is skipped.
 */
final class CpuKernelDevice implements KernelDevice {
    /** A "device" buffer: just the Java array the kernel method takes. */
    record HostBuffer(Object array) implements DeviceBuffer {
        @Override
        public long bytes() {
            return 4L * (array instanceof float[] f ? f.length : ((int[]) array).length);
        }

        @Override
        public void close() {
        }
    }

    @Override
    public DeviceBuffer floats(float[] v) {
        return new HostBuffer(v.clone());
    }

    @Override
    public DeviceBuffer ints(int[] v) {
        return new HostBuffer(v.clone());
    }

    @Override
    public DeviceBuffer filled(long n, float value) {
        float[] a = new float[Math.toIntExact(n)];
        Arrays.fill(a, value);
        return new HostBuffer(a);
    }

    @Override
    public DeviceBuffer filledInts(long n, int value) {
        int[] a = new int[Math.toIntExact(n)];
        Arrays.fill(a, value);
        return new HostBuffer(a);
    }

    @Override
    public float[] read(DeviceBuffer b, int n) {
        return Arrays.copyOf((float[]) ((HostBuffer) b).array(), n);
    }

    @Override
    public int[] readInts(DeviceBuffer b, int n) {
        return Arrays.copyOf((int[]) ((HostBuffer) b).array(), n);
    }

    @Override
    public void launch(int dHead, Call c) {
        Assumptions.assumeTrue(dHead == CausalAttention.D_HEAD || !c.kernel().equals("causal_attention"),
                () -> "the CPU runner runs D_HEAD = " + CausalAttention.D_HEAD + " only (a build option's default)");
        Method m = method(c.kernel());
        Object[] args = new Object[c.args().size() + 1];
        for (int i = 0; i < c.args().size(); i++) {
            Object a = c.args().get(i);
            args[i + 1] = a instanceof HostBuffer h ? h.array() : a;
        }
        if (c.empty()) return;
        CpuRunner.run(c.kernel(), c.groups(), c.local(), ctx -> {
            Object[] mine = args.clone();
            mine[0] = ctx;
            try {
                m.invoke(null, mine);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception ex) throw ex;
                throw (Error) e.getCause();
            }
        });
    }

    static Method method(String kernel) {
        for (KernelSources.Entry e : KernelSources.entries()) {
            if (!e.name().equals(kernel)) continue;
            try {
                for (Method m : Class.forName(e.javaClass()).getMethods()) {
                    if (m.getName().equals(e.javaMethod()) && m.getParameterTypes()[0] == KernelContext.class) return m;
                }
            } catch (ClassNotFoundException ex) {
                throw new IllegalStateException(ex);
            }
        }
        throw new IllegalArgumentException("no kernel " + kernel + " in kernels.json");
    }
}
