package neuroscan.bench.libtorch;

import ai.djl.ndarray.NDManager;

/**
 * LibTorch (PyTorch's C++ library) on the CPU through DJL, offline. The libtorch 2.7.1 shared libraries
 * come from the {@code pytorch-native-cpu} jar on the classpath (the bench profile's dependency) and the
 * JNI glue from {@code pytorch-jni}; DJL unpacks both into its cache ({@code ~/.djl.ai}, or
 * {@code DJL_CACHE_DIR}) on first use. With both jars present it needs no network, and {@code offline}
 * makes it fail instead of trying to download anything if one is missing. Each knob is set only when
 * the user has not set it (same approach as neuroscan.data.Quiet for the tokenizer).
 */
final class LibTorch {
    static {
        setIfAbsent("OPT_OUT_TRACKING", "true");   // ai.djl.util.Ec2Utils.callHome: no telemetry call
        setIfAbsent("offline", "true");            // never download libtorch
        setIfAbsent("ai.djl.pytorch.graph_optimizer", "false");
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            setIfAbsent("slf4j.internal.verbosity", "WARN");
        }
    }

    private LibTorch() {
    }

    /** A fresh root manager on the CPU engine "PyTorch"; closing it frees everything made under it. */
    static NDManager manager() {
        return NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
    }

    /** "LibTorch 2.7.1 via DJL 0.34.0 (N intra-op threads)". */
    static String describe() {
        return "LibTorch " + ai.djl.engine.Engine.getEngine("PyTorch").getVersion() + " via DJL "
                + ai.djl.engine.Engine.getDjlVersion() + " (" + ai.djl.pytorch.jni.JniUtils.getNumThreads() + " intra-op threads)";
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) System.setProperty(key, value);
    }
}
