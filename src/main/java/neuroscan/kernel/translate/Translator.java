package neuroscan.kernel.translate;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.Trees;

import javax.lang.model.element.Element;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Java kernels to portable C: parses and attributes the kernel sources with javac ({@link JavacTask}),
 * finds every {@code @Kernel} method, follows the static helpers and constants it uses, and prints each
 * kernel with its closure as one C file in the dialect of {@code kernels/common.h}, with {@code #line}
 * directives naming the Java lines. Everything outside the subset (kernels/README.md) is a
 * {@link KernelSyntaxError} at its line and column; a translation with errors yields no output.
 */
public final class Translator {
    static final String KERNEL = "neuroscan.kernel.Kernel", BUILD_OPTION = "neuroscan.kernel.BuildOption",
            MAY_ALIAS = "neuroscan.kernel.MayAlias", CONTEXT = "neuroscan.kernel.KernelContext",
            MATH = "neuroscan.kernel.KernelMath";

    /** One translated kernel. */
    public record Output(String name, String javaClass, String javaMethod, String javaFile, String c,
                         List<Param> params, List<Integer> workGroup, boolean mma) {
    }

    /** A kernel parameter after the context: {@code type} is int, float, float[] or int[]. */
    public record Param(String name, String type, boolean written) {
    }

    /** The kernels, the build options with their defaults, and the errors (none: the outputs are valid). */
    public record Result(List<Output> kernels, Map<String, Integer> options, List<KernelSyntaxError> errors) {
    }

    final Trees trees;
    final JavacTask task;
    final List<KernelSyntaxError> errors = new ArrayList<>();
    /** Every method and static final field of the kernel sources, with where it is declared. */
    final Map<ExecutableElement, Decl<MethodTree>> methods = new LinkedHashMap<>();
    final Map<VariableElement, Decl<VariableTree>> fields = new LinkedHashMap<>();
    private final Map<CompilationUnitTree, SourceText> texts = new HashMap<>();
    private final Path root;

    record Decl<T extends Tree>(CompilationUnitTree unit, T tree, TreePath path) {
    }

    private Translator(JavacTask task, Path root) {
        this.task = task;
        this.trees = Trees.instance(task);
        this.root = root;
    }

    /**
     * Translates the kernel sources {@code files}; {@code classpath} must hold the kernel API
     * (neuroscan.kernel); file names in errors and #line are relative to {@code root}.
     */
    public static Result translate(List<Path> files, String classpath, Path root) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, Locale.ROOT, StandardCharsets.UTF_8)) {
            var units = fm.getJavaFileObjectsFromPaths(files);
            JavacTask task = (JavacTask) javac.getTask(null, fm, diags,
                    List.of("-proc:none", "-classpath", classpath, "-Xlint:none"), null, units);
            Iterable<? extends CompilationUnitTree> parsed = task.parse();
            task.analyze();
            Translator t = new Translator(task, root);
            for (Diagnostic<? extends JavaFileObject> d : diags.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR) continue;
                String file = d.getSource() == null ? "?" : t.display(Path.of(d.getSource().toUri()));
                t.errors.add(new KernelSyntaxError(file, d.getLineNumber(), d.getColumnNumber(), d.getMessage(Locale.ROOT)));
            }
            if (!t.errors.isEmpty()) return new Result(List.of(), Map.of(), t.errors);
            return t.run(parsed);
        }
    }

    private Result run(Iterable<? extends CompilationUnitTree> units) {
        List<ExecutableElement> kernels = new ArrayList<>();
        for (CompilationUnitTree unit : units) {
            for (Tree type : unit.getTypeDecls()) if (type instanceof ClassTree c) index(unit, new TreePath(new TreePath(unit), c), kernels);
        }
        Map<String, Integer> options = new LinkedHashMap<>();
        for (var e : fields.entrySet()) {
            if (!annotated(e.getKey(), BUILD_OPTION)) continue;
            VariableElement f = e.getKey();
            if (f.getConstantValue() instanceof Integer v && f.asType().getKind() == TypeKind.INT
                    && f.getModifiers().contains(Modifier.PUBLIC)) {
                Integer old = options.put(f.getSimpleName().toString(), v);
                if (old != null) error(e.getValue().unit(), e.getValue().tree(), "build option " + f.getSimpleName() + " is declared twice");
            } else {
                error(e.getValue().unit(), e.getValue().tree(), "a @BuildOption must be a public static final int with a constant value");
            }
        }
        List<Output> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (ExecutableElement k : kernels) {
            KernelFile kf = new KernelFile(this, k);
            Output o = kf.translate();
            if (o != null && !names.add(o.name())) error(methods.get(k).unit(), methods.get(k).tree(), "two kernels are named " + o.name());
            if (o != null) out.add(o);
        }
        if (kernels.isEmpty()) errors.add(new KernelSyntaxError(display(root), 0, 0, "no @Kernel methods found"));
        return errors.isEmpty() ? new Result(out, options, List.of()) : new Result(List.of(), Map.of(), errors);
    }

    private void index(CompilationUnitTree unit, TreePath classPath, List<ExecutableElement> kernels) {
        ClassTree c = (ClassTree) classPath.getLeaf();
        for (Tree member : c.getMembers()) {
            TreePath p = new TreePath(classPath, member);
            switch (member) {
                case MethodTree m -> {
                    ExecutableElement e = (ExecutableElement) trees.getElement(p);
                    if (e.getSimpleName().contentEquals("<init>")) continue;
                    methods.put(e, new Decl<>(unit, m, p));
                    if (annotated(e, KERNEL)) kernels.add(e);
                }
                case VariableTree v -> {
                    VariableElement e = (VariableElement) trees.getElement(p);
                    if (e.getModifiers().containsAll(Set.of(Modifier.STATIC, Modifier.FINAL))) fields.put(e, new Decl<>(unit, v, p));
                }
                case ClassTree nested -> index(unit, p, kernels);
                default -> {
                }
            }
        }
    }

    /** The @Kernel's workGroup values (empty: any shape). */
    static List<Integer> workGroup(ExecutableElement kernel) {
        for (var a : kernel.getAnnotationMirrors()) {
            if (!((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().contentEquals(KERNEL)) continue;
            for (var e : a.getElementValues().entrySet()) {
                if (!e.getKey().getSimpleName().contentEquals("workGroup")) continue;
                List<Integer> out = new ArrayList<>();
                Object v = e.getValue().getValue();
                if (v instanceof List<?> list) {
                    for (Object o : list) out.add((Integer) ((javax.lang.model.element.AnnotationValue) o).getValue());
                } else {
                    out.add((Integer) v);
                }
                return out;
            }
        }
        return List.of();
    }

    static boolean annotated(Element e, String annotation) {
        for (var a : e.getAnnotationMirrors()) {
            if (((TypeElement) a.getAnnotationType().asElement()).getQualifiedName().contentEquals(annotation)) return true;
        }
        return false;
    }

    static boolean isType(TypeMirror t, String qualifiedName) {
        return t.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((javax.lang.model.type.DeclaredType) t).asElement()).getQualifiedName().contentEquals(qualifiedName);
    }

    /** The C name of a Java method name: camelCase to snake_case ({@code mlpInGeluMax} to {@code mlp_in_gelu_max}). */
    public static String cName(String javaName) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < javaName.length(); i++) {
            char ch = javaName.charAt(i);
            if (Character.isUpperCase(ch)) {
                if (i > 0 && !Character.isUpperCase(javaName.charAt(i - 1))) sb.append('_');
                sb.append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    SourceText text(CompilationUnitTree unit) {
        return texts.computeIfAbsent(unit, u -> new SourceText(u, display(Path.of(u.getSourceFile().toUri()))));
    }

    String display(Path file) {
        Path abs = file.toAbsolutePath().normalize(), r = root.toAbsolutePath().normalize();
        return (abs.startsWith(r) ? r.relativize(abs) : abs).toString().replace('\\', '/');
    }

    void error(CompilationUnitTree unit, Tree tree, String message) {
        long pos = trees.getSourcePositions().getStartPosition(unit, tree);
        var lines = unit.getLineMap();
        errors.add(new KernelSyntaxError(text(unit).file(), lines.getLineNumber(pos), lines.getColumnNumber(pos), message));
    }

    /** A kernel's call graph, callers before callees (a topological order); recursion is an error. */
    List<ExecutableElement> closure(ExecutableElement kernel, Map<ExecutableElement, List<ExecutableElement>> calls) {
        List<ExecutableElement> post = new ArrayList<>();
        Deque<ExecutableElement> stack = new ArrayDeque<>();
        visit(kernel, calls, new LinkedHashSet<>(), stack, post);
        List<ExecutableElement> order = new ArrayList<>(post);
        java.util.Collections.reverse(order);
        return order;
    }

    private void visit(ExecutableElement f, Map<ExecutableElement, List<ExecutableElement>> calls, Set<ExecutableElement> done,
                       Deque<ExecutableElement> stack, List<ExecutableElement> post) {
        if (done.contains(f)) return;
        if (stack.contains(f)) {
            StringBuilder cycle = new StringBuilder();
            for (var it = stack.descendingIterator(); it.hasNext(); ) cycle.append(it.next().getSimpleName()).append(" -> ");
            Decl<MethodTree> d = methods.get(f);
            error(d.unit(), d.tree(), "recursion (" + cycle + f.getSimpleName() + "): a GPU kernel has no call stack for it");
            return;
        }
        stack.push(f);
        for (ExecutableElement g : calls.getOrDefault(f, List.of())) visit(g, calls, done, stack, post);
        stack.pop();
        done.add(f);
        post.add(f);
    }
}
