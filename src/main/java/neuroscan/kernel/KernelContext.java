package neuroscan.kernel;

/**
 * What a work-item knows about itself, and what it can do with its work-group: the first parameter of
 * every {@link Kernel}. Dimensions are 0, 1 or 2 (x, y, z), and must be constants in a kernel.
 *
 * <p>On a GPU the translated kernel reads the ids from the hardware ({@code GLOBAL_ID(0)} is OpenCL's
 * {@code get_global_id(0)} and CUDA's {@code blockIdx.x * blockDim.x + threadIdx.x}); no object exists.
 * On the CPU, {@link CpuRunner} makes one per work-item.
 */
public final class KernelContext {
    private final int[] localId, groupId, localSize, groupCount;
    private final WorkGroup group;
    private int localArrays;   // how many localFloats/localInts this work-item has asked for so far

    KernelContext(int[] localId, int[] groupId, int[] localSize, int[] groupCount, WorkGroup group) {
        this.localId = localId;
        this.groupId = groupId;
        this.localSize = localSize;
        this.groupCount = groupCount;
        this.group = group;
    }

    /** This work-item's index in the whole grid: {@code groupId(d) * localSize(d) + localId(d)}. */
    public int globalId(int dim) {
        return groupId[dim] * localSize[dim] + localId[dim];
    }

    /** This work-item's index inside its work-group. */
    public int localId(int dim) {
        return localId[dim];
    }

    /** The work-group's index in the grid (CUDA: blockIdx). */
    public int groupId(int dim) {
        return groupId[dim];
    }

    /** Work-items per work-group (CUDA: blockDim). */
    public int localSize(int dim) {
        return localSize[dim];
    }

    /** Work-groups in the grid (CUDA: gridDim). */
    public int groupCount(int dim) {
        return groupCount[dim];
    }

    /** Work-items in the grid: {@code groupCount(d) * localSize(d)}. */
    public int globalSize(int dim) {
        return groupCount[dim] * localSize[dim];
    }

    /**
     * Waits until every work-item of the work-group has reached this same barrier, and makes their
     * writes to work-group memory visible to each other. Every work-item must reach it: a barrier inside
     * a branch that some work-items skip hangs a GPU; the CPU runner reports it instead.
     */
    public void barrier() {
        group.barrier(this);
    }

    /**
     * A float array shared by the whole work-group (OpenCL {@code __local}, CUDA {@code __shared__}).
     * Only as the initializer of a local variable at the top of a kernel's body, with a size known at
     * compile time. Its contents start undefined: the CPU runner fills it with NaN so a read before any
     * write shows.
     */
    public float[] localFloats(int n) {
        return group.localFloats(localArrays++, n);
    }

    /** An int array shared by the whole work-group; starts undefined (the CPU runner: {@link WorkGroup#POISON}). */
    public int[] localInts(int n) {
        return group.localInts(localArrays++, n);
    }

    /**
     * A warp-wide matrix multiply-accumulate on the tensor cores: D[16x8] = A[16x8] B[8x8] + C, operands
     * rounded to TF32, accumulation in FP32 (CUDA sm_80+: {@code mma.sync...m16n8k8...tf32}; OpenCL, the
     * CPU runner and older GPUs: {@link Mma}'s model of it). A(r, k) is {@code a[aOff + r * aRow + k * aCol]}
     * and B(k, c) is {@code b[bOff + k * bRow + c * bCol]}, both in work-group memory; {@code acc[accOff ..
     * accOff + 4)} is this lane's share of C, replaced by D's, in PTX's layout (lane l = linear local id % 32:
     * rows l / 4 and l / 4 + 8, columns 2 (l % 4) and 2 (l % 4) + 1). Every lane of the warp (32
     * consecutive work-items of the work-group, whose size must be a multiple of 32, its kernel's
     * {@code @Kernel(workGroup)}) calls it together with the same operands; the CPU runner reports a warp
     * whose lanes called it unequally often.
     */
    public void mmaTf32(float[] a, int aOff, int aRow, int aCol, float[] b, int bOff, int bRow, int bCol, float[] acc,
                        int accOff) {
        int linear = localId[0] + localSize[0] * (localId[1] + localSize[1] * localId[2]);
        group.mmaCalled(this, linear);
        Mma.mma(linear % Mma.WARP, a, aOff, aRow, aCol, b, bOff, bRow, bCol, acc, accOff);
    }

    /** "(x, y, z)" of this work-item's global id, for error messages. */
    String where() {
        return "work-item (" + globalId(0) + ", " + globalId(1) + ", " + globalId(2) + ")";
    }
}
