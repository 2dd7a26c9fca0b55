package neuroscan.engine.gpu.graph;

/**
 * An int kernel argument that changes between executions of one graph (a batch's token and document
 * counts): set it, then execute. {@code max} bounds it, and is what a plan checks grids against when it
 * is built, so that no execution can ask for a grid the device cannot run.
 */
public final class IntParam {
    private final String name;
    private final int max;
    private int value;

    public IntParam(String name, int max) {
        if (max < 0) throw new IllegalArgumentException(name + ": max must not be negative");
        this.name = name;
        this.max = max;
        this.value = max;
    }

    public String name() {
        return name;
    }

    public int max() {
        return max;
    }

    public int get() {
        return value;
    }

    public void set(int v) {
        if (v < 0 || v > max) throw new IllegalArgumentException(name + " = " + v + " is outside 0.." + max);
        value = v;
    }

    @Override
    public String toString() {
        return name + " = " + value;
    }
}
