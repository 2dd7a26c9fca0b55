package neuroscan.kernel.translate;

import neuroscan.engine.cuda.Ptx;
import neuroscan.engine.gpu.KernelSources;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Build step (Maven runs it after {@link KernelBuild}, see pom.xml; build-only, not in neuroscan.jar): every
 * kernel of {@code kernels/}, through common.h's CUDA half, to PTX with nvcc, into
 * {@code target/classes/}{@link Ptx#DIR} so the jar ships it. The -D geometry is {@link KernelSources#defines}
 * for d_head {@link Ptx#D_HEAD}; {@link Ptx#PROPERTIES} records it (the CUDA host uses the PTX only for a
 * model with the same defines, NVRTC otherwise), the nvcc version, and a hash of each input so unchanged
 * kernels are not rebuilt. Without nvcc it builds nothing and says so: the CUDA backend then compiles with
 * NVRTC at run time.
 */
public final class PtxBuild {
    /** The oldest architecture nvcc 13 targets; the driver JIT-compiles it for newer GPUs (Hopper included). */
    public static final String ARCH = "compute_75";
    /** For kernels that use the tensor cores' TF32 mma.sync (kernels.json's "mma"): Ampere and newer. */
    public static final String MMA_ARCH = "compute_80";

    private PtxBuild() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "target/classes").resolve(Ptx.DIR);
        Path nvcc = nvcc();
        if (nvcc == null) {
            System.out.println("[ptx] nvcc not found (set NVCC or put it on PATH): no PTX shipped; CUDA will use NVRTC at run time");
            return;
        }
        Files.createDirectories(out);
        Properties old = new Properties(), now = new Properties();
        Path propsFile = out.resolve(Ptx.PROPERTIES);
        if (Files.exists(propsFile)) try (var r = Files.newBufferedReader(propsFile)) {
            old.load(r);
        }
        String version = run(List.of(nvcc.toString(), "--version"), null).lines().filter(l -> l.contains("release"))
                .findFirst().orElse("unknown").strip();
        now.setProperty("defines", String.join(" ", KernelSources.defines(Ptx.D_HEAD)));
        now.setProperty("arch", ARCH);
        now.setProperty("nvcc", version);
        int built = 0;
        for (String name : KernelSources.names()) {
            String source = KernelSources.source(name);
            String arch = arch(name);
            String hash = sha256(source + "\n" + now.getProperty("defines") + "\n" + arch + "\n" + version);
            Path ptx = out.resolve(name + ".ptx");
            now.setProperty("sha256." + name, hash);
            if (hash.equals(old.getProperty("sha256." + name)) && Files.exists(ptx)) continue;
            Path cu = Files.createTempFile("neuroscan-" + name, ".cu");
            try {
                Files.writeString(cu, source);
                List<String> cmd = new ArrayList<>(List.of(nvcc.toString(), "-ptx", "-arch=" + arch, "-diag-suppress", "177"));
                for (String d : KernelSources.defines(Ptx.D_HEAD)) cmd.add("-D" + d);
                cmd.addAll(List.of("-o", ptx.toString(), cu.toString()));
                run(cmd, name);
                built++;
            } finally {
                Files.deleteIfExists(cu);
            }
        }
        try (var w = Files.newBufferedWriter(propsFile)) {
            now.store(w, "written by neuroscan.kernel.translate.PtxBuild");
        }
        System.out.println("[ptx] " + built + " of " + KernelSources.names().size() + " kernels built to PTX (" + ARCH
                + ", " + version + ") in " + out);
    }

    /** The virtual architecture kernel {@code name} is built for. */
    public static String arch(String name) {
        return KernelSources.entry(name).mma() ? MMA_ARCH : ARCH;
    }

    /** nvcc from NVCC, PATH, or the usual install places; null when there is none. */
    public static Path nvcc() {
        List<String> candidates = new ArrayList<>();
        if (System.getenv("NVCC") != null) candidates.add(System.getenv("NVCC"));
        String path = System.getenv("PATH");
        if (path != null) for (String d : path.split(java.io.File.pathSeparator)) candidates.add(d + "/nvcc");
        candidates.addAll(List.of("/usr/local/cuda/bin/nvcc", "/usr/local/bin/nvcc", "/usr/bin/nvcc"));
        for (String c : candidates) {
            if (!c.isBlank() && Files.isExecutable(Path.of(c))) return Path.of(c);
        }
        return null;
    }

    private static String run(List<String> cmd, String kernel) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": timed out");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException((kernel == null ? "" : "kernel " + kernel + ": ") + "nvcc failed:\n" + text);
        }
        return text;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
