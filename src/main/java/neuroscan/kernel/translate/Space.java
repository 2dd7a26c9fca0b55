package neuroscan.kernel.translate;

/** Where an array lives on the device: the memory space its C declaration or pointer is qualified with. */
enum Space {
    /** A kernel's buffer parameter: device memory, {@code GLOBAL} ({@code __global} / plain pointer). */
    GLOBAL,
    /** {@code ctx.localFloats(n)}: shared by a work-group, {@code LOCAL_DECL} / {@code LOCAL_PTR}. */
    LOCAL,
    /** {@code new float[n]}: one work-item's own, in registers where the compiler can. */
    PRIVATE
}
