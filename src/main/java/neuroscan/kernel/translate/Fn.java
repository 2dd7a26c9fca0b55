package neuroscan.kernel.translate;

import com.sun.source.tree.MethodTree;

import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the translation of one kernel learns about one function of its closure (the kernel or a helper). */
final class Fn {
    final ExecutableElement element;
    final Translator.Decl<MethodTree> decl;
    final boolean kernel;
    final String cName;
    /** The KernelContext parameter (dropped in C), or null. */
    VariableElement ctx;
    /** Every array variable: parameters and locals, with their memory space. */
    final Map<VariableElement, Arr> arrays = new LinkedHashMap<>();
    /** Helper calls made by this function, in order. */
    final List<CallSite> calls = new ArrayList<>();
    /** Names this function declares (parameters and locals), checked against the constants' macros. */
    final Set<String> declared = new LinkedHashSet<>();
    String body;

    Fn(ExecutableElement element, Translator.Decl<MethodTree> decl, boolean kernel) {
        this.element = element;
        this.decl = decl;
        this.kernel = kernel;
        this.cName = Translator.cName(element.getSimpleName().toString());
    }

    /** An array variable: its space; for private arrays the C dimensions; whether anything writes it. */
    static final class Arr {
        Space space;
        String dims;        // "[GEMM_RM][GEMM_RN]" for private arrays
        String origin;      // where the space was decided, for conflict messages
        final TypeKind element;
        final int rank;
        boolean written;

        Arr(Space space, String dims, String origin, TypeKind element, int rank) {
            this.space = space;
            this.dims = dims;
            this.origin = origin;
            this.element = element;
            this.rank = rank;
        }
    }

    /** A call to a helper; {@code arrays} maps the callee's parameter index to the caller's array variable. */
    record CallSite(Fn callee, Map<Integer, VariableElement> arrays) {
    }
}
