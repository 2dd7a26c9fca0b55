package neuroscan.engine.gpu;

import java.util.List;

/**
 * One launch of a kernel of {@code kernels/}: its arguments in the kernel's parameter order and its
 * geometry. {@code groups} counts work-groups (CUDA: the grid), {@code local} is the work-group (CUDA:
 * the block), one entry per dimension. Arguments are {@link DeviceBuffer}s, {@code null} for a buffer
 * the kernel does not read in this configuration, {@link Integer}s and {@link Float}s.
 *
 * <p>Both runtimes launch exactly these: the OpenCL host sets the arguments and enqueues
 * global = groups x local; the CUDA host packs them into {@code kernelParams}. So an argument order or
 * a launch size is written once, in {@link Calls}, and the OpenCL tests (run everywhere on PoCL) check
 * it for CUDA as well.
 */
public record Call(String kernel, List<Object> args, int[] groups, int[] local) {
    public Call {
        if (groups.length != local.length || groups.length < 1 || groups.length > 3) {
            throw new IllegalArgumentException(kernel + ": groups and local must have the same 1..3 dimensions");
        }
        for (Object a : args) {
            if (a != null && !(a instanceof DeviceBuffer) && !(a instanceof Integer) && !(a instanceof Float)) {
                throw new IllegalArgumentException(kernel + ": argument of type " + a.getClass().getName());
            }
        }
        args = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(args));   // nulls allowed
    }

    /** The OpenCL global size of dimension {@code d}: groups x local. */
    public long global(int d) {
        return (long) groups[d] * local[d];
    }

    /** Whether no work-group would run (a launch to skip: CUDA refuses a zero grid). */
    public boolean empty() {
        for (int g : groups) if (g == 0) return true;
        return false;
    }
}
