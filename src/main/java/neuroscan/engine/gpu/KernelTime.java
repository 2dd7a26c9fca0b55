package neuroscan.engine.gpu;

/** Device time of one kernel launch: the work it did and the rates that implies. */
public record KernelTime(String kernel, double millis, double gflop, double gbytes) {
    public double gflopPerSecond() {
        return gflop / (millis / 1e3);
    }

    public double gbytePerSecond() {
        return gbytes / (millis / 1e3);
    }
}
