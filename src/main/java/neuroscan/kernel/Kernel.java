package neuroscan.kernel;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a GPU kernel: a {@code public static void} method whose first parameter is a {@link KernelContext},
 * followed by global buffers ({@code float[]}, {@code int[]}) and scalars ({@code int}, {@code float}).
 * The build translates every such method of {@code kernels/} to portable C (OpenCL C and CUDA through
 * {@code common.h}); {@link CpuRunner} runs the Java method itself. The C name is the method's name in
 * snake case ({@code gemmBias} becomes {@code gemm_bias}). The subset of Java a kernel may use is in
 * {@code kernels/README.md}; anything outside it fails the build at its line and column.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Kernel {
    /**
     * The work-group shape the kernel is written for (e.g. {@code {GEMM_WN, GEMM_WM}} when it uses
     * GEMM_THREADS work-items as a constant), or empty when any shape works. A task graph refuses a grid
     * with another shape when it is built.
     */
    int[] workGroup() default {};
}
