package neuroscan.kernel.translate;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;

import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One kernel and everything it uses, as one C file: the build options' defaults, the constants, the
 * helpers (callees first) and the kernel. Array parameters of helpers take their memory space from the
 * call sites (OpenCL C must know whether a pointer is global, work-group or private); a helper called
 * with two spaces for one parameter is an error.
 */
final class KernelFile {
    final Translator tr;
    private final ExecutableElement kernel;
    private final Map<ExecutableElement, Fn> fns = new LinkedHashMap<>();
    private final Map<String, VariableElement> constants = new LinkedHashMap<>();
    private final Map<String, Element> cNames = new LinkedHashMap<>();
    private boolean mma;

    KernelFile(Translator tr, ExecutableElement kernel) {
        this.tr = tr;
        this.kernel = kernel;
    }

    Translator.Output translate() {
        int errorsBefore = tr.errors.size();
        Map<ExecutableElement, List<ExecutableElement>> calls = new LinkedHashMap<>();
        discover(kernel, calls);
        List<ExecutableElement> order = tr.closure(kernel, calls);
        if (tr.errors.size() > errorsBefore) return null;
        for (ExecutableElement m : order) {
            Fn f = new Fn(m, tr.methods.get(m), m.equals(kernel));
            fns.put(m, f);
            Element clash = cNames.putIfAbsent(f.cName, m);
            if (clash != null) error(f, f.decl.tree(), "two functions of this kernel are named " + f.cName + " in C");
        }
        // callers before callees: a helper's array parameters get their spaces before it is printed
        for (Fn f : fns.values()) {
            signatureChecks(f);
            f.body = new FunctionPrinter(this, f).printBody();
        }
        // callees before callers: a parameter is written if the function or a callee writes it
        List<Fn> bottomUp = new ArrayList<>(fns.values());
        java.util.Collections.reverse(bottomUp);
        for (Fn f : bottomUp) {
            for (Fn.CallSite cs : f.calls) {
                for (var a : cs.arrays().entrySet()) {
                    VariableElement p = cs.callee().element.getParameters().get(a.getKey());
                    Fn.Arr pa = cs.callee().arrays.get(p);
                    if (pa != null && pa.written) f.arrays.get(a.getValue()).written = true;
                }
            }
        }
        for (Fn f : fns.values()) {
            for (String n : f.declared) {
                if (constants.containsKey(n)) error(f, f.decl.tree(), n + " is both a constant (a C macro) and a variable of " + f.cName);
            }
        }
        if (tr.errors.size() > errorsBefore) return null;
        return assemble(bottomUp);
    }

    /** The helpers a function calls, recursively (recursion is reported by {@link Translator#closure}). */
    private void discover(ExecutableElement m, Map<ExecutableElement, List<ExecutableElement>> calls) {
        if (calls.containsKey(m)) return;
        List<ExecutableElement> callees = new ArrayList<>();
        calls.put(m, callees);
        var decl = tr.methods.get(m);
        new TreePathScanner<Void, Void>() {
            @Override
            public Void visitMethodInvocation(MethodInvocationTree node, Void unused) {
                if (tr.trees.getElement(getCurrentPath()) instanceof ExecutableElement callee && tr.methods.containsKey(callee)
                        && !Translator.annotated(callee, Translator.KERNEL) && !callees.contains(callee)) {
                    callees.add(callee);
                }
                return super.visitMethodInvocation(node, unused);
            }
        }.scan(decl.path(), null);
        for (ExecutableElement c : callees) discover(c, calls);
    }

    /** The kernel's @Kernel(workGroup) (empty: any shape). */
    List<Integer> workGroup() {
        return Translator.workGroup(kernel);
    }

    /** The kernel's C name, for messages. */
    String kernelName() {
        return Translator.cName(kernel.getSimpleName().toString());
    }

    /** Records that the kernel uses the tensor cores (kernels.json says so; CUDA builds it for sm_80). */
    void usesMma() {
        mma = true;
    }

    Fn fn(ExecutableElement m) {
        return fns.get(m);
    }

    private void signatureChecks(Fn f) {
        MethodTree t = f.decl.tree();
        ExecutableElement m = f.element;
        if (!m.getModifiers().contains(Modifier.STATIC)) error(f, t, "kernels and their helpers are static methods");
        if (!m.getTypeParameters().isEmpty()) error(f, t, "generic methods are outside the kernel subset");
        if (m.isVarArgs()) error(f, t, "varargs are outside the kernel subset");
        if (!m.getThrownTypes().isEmpty()) error(f, t, "exceptions are outside the kernel subset");
        checkName(t, f.decl.unit(), f.cName);
        TypeKind ret = m.getReturnType().getKind();
        if (f.kernel) {
            if (ret != TypeKind.VOID || !m.getModifiers().contains(Modifier.PUBLIC)) error(f, t, "a @Kernel is public static void");
            if (m.getParameters().isEmpty() || !Translator.isType(m.getParameters().getFirst().asType(), Translator.CONTEXT)) {
                error(f, t, "a @Kernel's first parameter is its KernelContext");
            }
        } else if (ret != TypeKind.VOID && ret != TypeKind.INT && ret != TypeKind.FLOAT && ret != TypeKind.BOOLEAN) {
            error(f, t, "a helper returns void, int, float or boolean");
        }
        List<? extends VariableElement> params = m.getParameters();
        for (int i = 0; i < params.size(); i++) {
            VariableElement p = params.get(i);
            Tree pt = t.getParameters().get(i);
            TypeMirror type = p.asType();
            if (Translator.isType(type, Translator.CONTEXT)) {
                if (f.ctx != null) error(f, pt, "one KernelContext parameter is enough");
                f.ctx = p;
                continue;
            }
            checkName(pt, f.decl.unit(), p.getSimpleName().toString());
            f.declared.add(p.getSimpleName().toString());
            if (type.getKind() == TypeKind.ARRAY) {
                TypeKind el = ExpressionPrinter.elementKind(type);
                int rank = ExpressionPrinter.rank(type);
                if (el != TypeKind.INT && el != TypeKind.FLOAT) error(f, pt, "buffers are float[] or int[]");
                if (f.kernel) {
                    if (rank != 1) error(f, pt, "a kernel's buffers are one-dimensional (index them as row * width + column)");
                    f.arrays.put(p, new Fn.Arr(Space.GLOBAL, null, "a kernel parameter", el, rank));
                } else {
                    // the space comes from the call sites, which were printed first
                    f.arrays.computeIfAbsent(p, k -> new Fn.Arr(null, null, null, el, rank));
                }
            } else if (type.getKind() == TypeKind.BOOLEAN) {
                if (f.kernel) error(f, pt, "a kernel's scalars are int or float (OpenCL has no bool kernel arguments)");
            } else if (type.getKind() != TypeKind.INT && type.getKind() != TypeKind.FLOAT) {
                error(f, pt, type + " parameters are outside the kernel subset: int, float, float[], int[]");
            }
        }
    }

    /** Hands the caller's array spaces to the callee's parameters; two different spaces are an error. */
    void passSpaces(Fn caller, Fn callee, Map<Integer, VariableElement> arrays, Tree call, CompilationUnitTree unit) {
        for (var a : arrays.entrySet()) {
            VariableElement param = callee.element.getParameters().get(a.getKey());
            Fn.Arr from = caller.arrays.get(a.getValue());
            Fn.Arr to = callee.arrays.computeIfAbsent(param, k -> new Fn.Arr(null, null, null, from.element, from.rank));
            String here = tr.text(unit).file() + ":" + unit.getLineMap().getLineNumber(
                    tr.trees.getSourcePositions().getStartPosition(unit, call));
            if (from.space == null) continue;   // reported where the caller's own parameter got no space
            if (to.space == null) {
                to.space = from.space;
                to.dims = from.dims;
                to.origin = here;
            } else if (to.space != from.space || !java.util.Objects.equals(to.dims, from.dims)) {
                tr.error(unit, call, callee.element.getSimpleName() + "'s parameter " + param.getSimpleName() + " gets "
                        + describe(from) + " here but " + describe(to) + " at " + to.origin
                        + ": one helper parameter has one memory space (write two helpers)");
            }
            if (from.rank != to.rank) tr.error(unit, call, "array rank mismatch for " + param.getSimpleName());
        }
    }

    private static String describe(Fn.Arr a) {
        return switch (a.space) {
            case GLOBAL -> "global memory";
            case LOCAL -> "work-group memory";
            case PRIVATE -> "a private array" + a.dims;
        };
    }

    // ---------------------------------------------------------------- constants

    void useConstant(VariableElement f, Tree at, CompilationUnitTree unit) {
        String n = f.getSimpleName().toString();
        VariableElement old = constants.putIfAbsent(n, f);
        if (old != null && !old.equals(f)) {
            tr.error(unit, at, "two constants named " + n + " (" + old.getEnclosingElement().getSimpleName() + " and "
                    + f.getEnclosingElement().getSimpleName() + ") in one kernel: C macros share one name space");
        }
        if (f.getConstantValue() == null) tr.error(unit, at, n + " is not a compile-time constant");
    }

    /** The value of an int constant expression (literals, static final ints, arithmetic), or null. */
    Integer constValue(TreePath p) {
        Tree t = p.getLeaf();
        switch (t) {
            case LiteralTree l -> {
                return l.getValue() instanceof Integer i ? i : null;
            }
            case IdentifierTree i -> {
                return tr.trees.getElement(p) instanceof VariableElement v && v.getConstantValue() instanceof Integer c ? c : null;
            }
            case MemberSelectTree m -> {
                return tr.trees.getElement(p) instanceof VariableElement v && v.getConstantValue() instanceof Integer c ? c : null;
            }
            case com.sun.source.tree.ParenthesizedTree par -> {
                return constValue(new TreePath(p, par.getExpression()));
            }
            case com.sun.source.tree.UnaryTree u -> {
                Integer v = constValue(new TreePath(p, u.getExpression()));
                if (v == null) return null;
                return switch (u.getKind()) {
                    case UNARY_MINUS -> -v;
                    case UNARY_PLUS -> v;
                    case BITWISE_COMPLEMENT -> ~v;
                    default -> null;
                };
            }
            case com.sun.source.tree.BinaryTree b -> {
                Integer l = constValue(new TreePath(p, b.getLeftOperand())), r = constValue(new TreePath(p, b.getRightOperand()));
                if (l == null || r == null) return null;
                return switch (b.getKind()) {
                    case PLUS -> l + r;
                    case MINUS -> l - r;
                    case MULTIPLY -> l * r;
                    case DIVIDE -> r == 0 ? null : l / r;
                    case REMAINDER -> r == 0 ? null : l % r;
                    case LEFT_SHIFT -> l << r;
                    case RIGHT_SHIFT -> l >> r;
                    case AND -> l & r;
                    case OR -> l | r;
                    case XOR -> l ^ r;
                    default -> null;
                };
            }
            default -> {
                return null;
            }
        }
    }

    // ---------------------------------------------------------------- names and types

    private static final Set<String> RESERVED = Set.of(
            // C
            "auto", "char", "const", "double", "enum", "extern", "goto", "inline", "long", "register", "restrict",
            "short", "signed", "sizeof", "struct", "switch", "typedef", "union", "unsigned", "volatile", "bool",
            "true", "false",
            // OpenCL C
            "kernel", "global", "local", "constant", "private", "read_only", "write_only", "read_write", "half",
            "uchar", "ushort", "uint", "ulong", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "event_t", "sampler_t",
            "image1d_t", "image2d_t", "image3d_t",
            // CUDA
            "dim3", "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "template", "namespace", "class",
            "new", "delete", "operator", "this", "virtual", "friend", "public", "protected",
            // common.h
            "KERNEL", "GLOBAL", "LOCAL_PTR", "LOCAL_DECL", "DEVICE_FN", "RESTRICT", "GLOBAL_ID", "LOCAL_ID", "GROUP_ID",
            "LOCAL_SIZE", "NUM_GROUPS", "GLOBAL_SIZE", "BARRIER", "EXPF", "ERFF", "TANHF", "SQRTF", "RSQRTF", "FMAF",
            "FMAXF", "FMINF", "FABSF", "F2I", "NEG_INF", "POS_INF", "NS_DIM3", "NS_LANE", "NS_MMA_HW", "NS_AS_UINT",
            "NS_AS_FLOAT", "TF32F", "MMA_TF32", "ns_tf32", "ns_mma_tf32");

    void checkName(Tree at, CompilationUnitTree unit, String name) {
        if (RESERVED.contains(name) || name.startsWith("__") || name.contains("$")) {
            tr.error(unit, at, "'" + name + "' is reserved in OpenCL C, CUDA or common.h: rename it");
        }
    }

    String scalar(TypeMirror t, Tree at, CompilationUnitTree unit) {
        return switch (t.getKind()) {
            case INT -> "int";
            case FLOAT -> "float";
            case BOOLEAN -> "bool";
            case DOUBLE -> {
                tr.error(unit, at, "double is outside the kernel subset: compute in float (literals with an f suffix)");
                yield "float";
            }
            case LONG -> {
                tr.error(unit, at, "long is outside the kernel subset: indices are int (buffers have fewer than 2^31 elements)");
                yield "int";
            }
            default -> {
                tr.error(unit, at, t + " is outside the kernel subset: kernels use int, float and boolean");
                yield "int";
            }
        };
    }

    String elementType(TypeKind k) {
        return k == TypeKind.INT ? "int" : "float";
    }

    private void error(Fn f, Tree t, String message) {
        tr.error(f.decl.unit(), t, message);
    }

    // ---------------------------------------------------------------- assembly

    private Translator.Output assemble(List<Fn> calleesFirst) {
        Fn k = fns.get(kernel);
        SourceText kt = tr.text(k.decl.unit());
        CWriter w = new CWriter();
        w.raw("/* " + k.cName + ": generated from " + kt.file() + " by neuroscan's kernel translator"
                + " (neuroscan.kernel.translate). Edit the Java, not this file. */");
        // constants used by constants
        Set<VariableElement> done = new LinkedHashSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (VariableElement c : List.copyOf(constants.values())) {
                if (done.add(c)) {
                    var d = tr.fields.get(c);
                    if (d.tree().getInitializer() != null) new ConstantUses(d).scan(new TreePath(d.path(), d.tree().getInitializer()), null);
                    grew = true;
                }
            }
        }
        StringBuilder options = new StringBuilder(), derived = new StringBuilder();
        for (var d : tr.fields.entrySet()) {   // declaration order
            VariableElement c = d.getKey();
            if (!constants.containsValue(c)) continue;
            String n = c.getSimpleName().toString();
            String value = constantText(d.getValue());
            String doc = firstSentence(tr.task.getElements().getDocComment(c));
            String comment = doc == null ? "" : "   /* " + doc + " */";
            if (Translator.annotated(c, Translator.BUILD_OPTION)) {
                options.append("#ifndef ").append(n).append('\n').append("#define ").append(n).append(' ').append(value)
                        .append(comment).append('\n').append("#endif\n");
            } else {
                derived.append("#define ").append(n).append(' ').append(value).append(comment).append('\n');
            }
        }
        if (!options.isEmpty()) w.raw("\n/* Build options: the host may set them with -D; these are the defaults. */\n" + options);
        if (!derived.isEmpty()) w.raw("\n" + derived);
        for (Fn f : calleesFirst) {
            w.raw("");
            String doc = tr.task.getElements().getDocComment(f.element);
            if (doc != null) w.raw(cComment(doc));
            w.file(tr.text(f.decl.unit()).file());
            long sigLine = f.decl.unit().getLineMap().getLineNumber(
                    tr.trees.getSourcePositions().getStartPosition(f.decl.unit(), f.decl.tree()));
            // the signature stands for the method's first line; the body's lines follow as printed
            w.line(signature(f) + " {", sigLine, null);
            w.raw(f.body.isEmpty() ? "" : f.body.stripTrailing());
            w.raw("}");
        }
        List<Translator.Param> params = new ArrayList<>();
        for (VariableElement p : k.element.getParameters()) {
            if (p.equals(k.ctx)) continue;
            Fn.Arr a = k.arrays.get(p);
            String type = a != null ? elementType(a.element) + "[]" : p.asType().toString();
            params.add(new Translator.Param(p.getSimpleName().toString(), type, a != null && a.written));
        }
        String javaClass = ((javax.lang.model.element.TypeElement) kernel.getEnclosingElement()).getQualifiedName().toString();
        List<Integer> wg = Translator.workGroup(kernel);
        if (wg.size() > 3 || wg.stream().anyMatch(v -> v < 1)) error(k, k.decl.tree(), "workGroup has 1 to 3 positive sizes");
        return new Translator.Output(k.cName, javaClass, kernel.getSimpleName().toString(), kt.file(), w.toString(), params, wg, mma);
    }

    /** The C text of a constant's initializer: its literal, or the expression in parentheses. */
    private String constantText(Translator.Decl<VariableTree> d) {
        ExpressionTree init = d.tree().getInitializer();
        String text = init == null ? "0" : new ConstantPrinter(d).print(init);
        boolean simple = init instanceof LiteralTree || init instanceof IdentifierTree || init instanceof MemberSelectTree;
        return simple ? text : "(" + text + ")";
    }

    private String signature(Fn f) {
        List<String> ps = new ArrayList<>();
        for (VariableElement p : f.element.getParameters()) {
            if (p.equals(f.ctx)) continue;
            String n = p.getSimpleName().toString();
            Fn.Arr a = f.arrays.get(p);
            if (a == null) {
                ps.add(scalar(p.asType(), f.decl.tree(), f.decl.unit()) + " " + n);
                continue;
            }
            String el = elementType(a.element);
            String c = a.written ? "" : "const ";
            if (a.space == null) {
                error(f, f.decl.tree(), "parameter " + n + " gets no memory space: no call passes it an array");
                continue;
            }
            ps.add(switch (a.space) {
                case GLOBAL -> c + "GLOBAL " + el + "* " + (f.kernel && !Translator.annotated(p, Translator.MAY_ALIAS) ? "RESTRICT " : "") + n;
                case LOCAL -> c + "LOCAL_PTR " + el + "* " + n;
                case PRIVATE -> c + el + " " + n + a.dims;
            });
        }
        String ret = f.kernel ? "void" : f.element.getReturnType().getKind() == TypeKind.VOID ? "void"
                : scalar(f.element.getReturnType(), f.decl.tree(), f.decl.unit());
        return (f.kernel ? "KERNEL " : "DEVICE_FN ") + ret + " " + f.cName + "(" + String.join(", ", ps) + ")";
    }

    static String cComment(String javadoc) {
        String text = javadoc.replaceAll("\\{@(?:link|code|linkplain)\\s+([^}]*)}", "$1").replace("*/", "* /")
                .replace("<p>", "").stripTrailing();
        StringBuilder sb = new StringBuilder("/*\n");
        for (String l : text.split("\n", -1)) {
            String s = l.startsWith(" ") ? l.substring(1) : l;
            sb.append(s.isBlank() ? " *" : " * " + s.stripTrailing()).append('\n');
        }
        return sb.append(" */").toString();
    }

    static String firstSentence(String doc) {
        if (doc == null || doc.isBlank()) return null;
        String s = doc.strip().replaceAll("\\{@(?:link|code)\\s+([^}]*)}", "$1").replace("*/", "* /").replaceAll("\\s+", " ");
        int dot = s.indexOf(". ");
        return dot < 0 ? s : s.substring(0, dot + 1);
    }

    /** Records the constants a constant's initializer refers to. */
    private final class ConstantUses extends TreePathScanner<Void, Void> {
        private final Translator.Decl<VariableTree> decl;

        ConstantUses(Translator.Decl<VariableTree> decl) {
            this.decl = decl;
        }

        @Override
        public Void visitIdentifier(IdentifierTree node, Void unused) {
            use();
            return null;
        }

        @Override
        public Void visitMemberSelect(MemberSelectTree node, Void unused) {
            use();
            return null;
        }

        private void use() {
            if (tr.trees.getElement(getCurrentPath()) instanceof VariableElement v && tr.fields.containsKey(v)) {
                useConstant(v, getCurrentPath().getLeaf(), decl.unit());
            }
        }
    }

    /** A constant's initializer in C: names of other constants stay names; literals keep their spelling. */
    private final class ConstantPrinter {
        private final Translator.Decl<VariableTree> decl;

        ConstantPrinter(Translator.Decl<VariableTree> decl) {
            this.decl = decl;
        }

        String print(ExpressionTree init) {
            TypeKind k = ((VariableElement) tr.trees.getElement(decl.path())).asType().getKind();
            if (k != TypeKind.INT && k != TypeKind.FLOAT) {
                tr.error(decl.unit(), decl.tree(), "a kernel constant is an int or a float");
            }
            var src = tr.text(decl.unit());
            var pos = tr.trees.getSourcePositions();
            String text = src.slice(pos.getStartPosition(decl.unit(), init), pos.getEndPosition(decl.unit(), init));
            // the subset of constant initializers: arithmetic on literals and other constants, one line
            if (!text.matches("[A-Za-z0-9_ .+\\-*/%()<>&|^~]+") || text.contains("\n")) {
                tr.error(decl.unit(), init, "a kernel constant's initializer is arithmetic on literals and other constants");
            }
            if (k == TypeKind.FLOAT && !text.matches(".*[fF]\\s*")) tr.error(decl.unit(), init, "a float constant needs an f suffix");
            // Class.NAME is NAME in C (one macro name space); 1_000 is 1000
            text = text.replaceAll("\\b[A-Z][A-Za-z0-9]*\\.(?=[A-Za-z_])", "");
            return java.util.regex.Pattern.compile("\\b[0-9][0-9A-Za-z_.]*").matcher(text).replaceAll(m -> m.group().replace("_", ""));
        }
    }
}
