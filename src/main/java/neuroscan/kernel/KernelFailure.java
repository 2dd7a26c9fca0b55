package neuroscan.kernel;

/**
 * A kernel run by {@link CpuRunner} went wrong in a way a GPU would not report, or would report only by
 * hanging: a work-item threw (an out-of-bounds index, a division by zero, ...; the cause is attached), or
 * the work-items of a work-group did not all reach the same barrier. The message names the kernel and the
 * work-item(s) and work-group concerned.
 */
public class KernelFailure extends RuntimeException {
    KernelFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
