package neuroscan.engine.cuda;

/**
 * The PTX the jar ships: where it lies on the classpath and the head size it was built for. The build
 * step that makes it ({@code neuroscan.kernel.translate.PtxBuild}, nvcc at Maven's process-classes) is
 * build-only and not in the jar; {@link Modules} reads what it wrote.
 */
public final class Ptx {
    /** gelu-1l's and most small TransformerLens models' head size: the -D D_HEAD the shipped PTX has. */
    public static final int D_HEAD = 64;
    /** Classpath folder of {@code <kernel>.ptx} and {@link #PROPERTIES}. */
    public static final String DIR = "kernels/ptx";
    /** How the PTX was built: {@code defines}, {@code arch}, {@code nvcc}, {@code sha256.<kernel>}. */
    public static final String PROPERTIES = "ptx.properties";

    private Ptx() {
    }
}
