package neuroscan.engine.gpu.graph;

import neuroscan.engine.gpu.KernelSources;

import java.io.Serializable;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;

/** Which {@code @Kernel} a method reference names: read from its {@link SerializedLambda}, looked up in kernels.json. */
final class KernelRef {
    private KernelRef() {
    }

    static KernelSources.Entry resolve(String task, Serializable reference) {
        SerializedLambda l;
        try {
            Method m = reference.getClass().getDeclaredMethod("writeReplace");
            m.setAccessible(true);
            l = (SerializedLambda) m.invoke(reference);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("task " + task + ": pass the kernel as a method reference (Embed::embed)", e);
        }
        String cls = l.getImplClass().replace('/', '.'), method = l.getImplMethodName();
        if (method.startsWith("lambda$")) {
            throw new IllegalArgumentException("task " + task + ": a lambda is not a kernel; pass a method reference to a @Kernel method");
        }
        for (KernelSources.Entry e : KernelSources.entries()) {
            if (e.javaClass().equals(cls) && e.javaMethod().equals(method)) return e;
        }
        throw new IllegalArgumentException("task " + task + ": " + cls.substring(cls.lastIndexOf('.') + 1) + "." + method
                + " is not a @Kernel of kernels/ (the build translated " + String.join(", ", KernelSources.names()) + ")");
    }
}
