package neuroscan.kernel;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A compile-time constant of the kernels that the host may set when it builds them: a
 * {@code public static final int} field of a kernel class, whose name becomes a C macro
 * ({@code #ifndef GEMM_TM / #define GEMM_TM 64}) and whose value is the default. Hosts launch with the
 * same Java constant, so geometry and kernel agree; {@code D_HEAD} is the one the host overrides per model
 * (with {@code -D D_HEAD=...}). {@link CpuRunner} always runs the defaults.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface BuildOption {
}
