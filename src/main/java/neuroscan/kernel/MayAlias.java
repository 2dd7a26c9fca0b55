package neuroscan.kernel;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A kernel's global buffer parameter that may be the same buffer as another parameter (gemm_bias writes
 * the residual stream in place: {@code C} may be {@code R}). Every other buffer parameter is translated
 * with {@code RESTRICT} (C's {@code restrict}), which lets the GPU compiler cache loads; passing one
 * buffer twice to parameters without this annotation is undefined behaviour on the GPU.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface MayAlias {
}
