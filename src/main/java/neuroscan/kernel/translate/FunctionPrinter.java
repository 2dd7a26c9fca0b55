package neuroscan.kernel.translate;

import com.sun.source.tree.BlockTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.DoWhileLoopTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.ForLoopTree;
import com.sun.source.tree.IfTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.NewArrayTree;
import com.sun.source.tree.ReturnTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.VariableTree;
import com.sun.source.tree.WhileLoopTree;
import com.sun.source.util.TreePath;

import javax.lang.model.element.Modifier;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints one function's body as C, and in doing so checks that it stays inside the kernel subset: every
 * statement kind it does not know is an error at its position (expressions: {@link ExpressionPrinter}).
 * It declares the function's arrays with their memory spaces, keeps the Java's comments, and writes
 * {@code #line} where the C compiler's count would drift from the Java.
 */
final class FunctionPrinter {
    private final KernelFile file;
    private final Translator tr;
    private final Fn fn;
    private final CompilationUnitTree unit;
    private final SourceText src;
    private final CWriter out = new CWriter();
    private long commentCursor;
    private final java.util.HashSet<Long> usedComments = new java.util.HashSet<>();
    private final ExpressionPrinter ex;

    FunctionPrinter(KernelFile file, Fn fn) {
        this.file = file;
        this.tr = file.tr;
        this.fn = fn;
        this.unit = fn.decl.unit();
        this.src = tr.text(unit);
        this.ex = new ExpressionPrinter(file, fn);
        out.file(src.file());
        out.indent = 1;
        commentCursor = line(fn.decl.tree());
    }

    /** The function's statements (without the braces of its body). */
    String printBody() {
        TreePath bodyPath = new TreePath(fn.decl.path(), fn.decl.tree().getBody());
        statements(bodyPath, true);
        return out.toString();
    }

    // ---------------------------------------------------------------- statements

    private void statements(TreePath block, boolean topLevel) {
        List<? extends StatementTree> stmts = ((BlockTree) block.getLeaf()).getStatements();
        for (int i = 0; i < stmts.size(); i++) {
            StatementTree s = stmts.get(i);
            if (s instanceof VariableTree v) {
                // declarators of one declaration ("int a = 0, b = 1;") share their type tree: print them as one
                List<TreePath> group = new ArrayList<>(List.of(new TreePath(block, v)));
                while (i + 1 < stmts.size() && stmts.get(i + 1) instanceof VariableTree w && w.getType() == v.getType()
                        && w.getType() != null) {
                    group.add(new TreePath(block, w));
                    i++;
                }
                declaration(group, topLevel);
            } else {
                statement(new TreePath(block, s));
            }
        }
    }

    private void statement(TreePath p) {
        Tree t = p.getLeaf();
        leadingComments(t);
        String simple = simple(p);
        if (simple != null) {
            emit(simple, t);
            return;
        }
        switch (t) {
            case BlockTree b -> {
                emit("{", t);
                nested(p);
                close();
            }
            case IfTree f -> ifChain(p, f, "");
            case ForLoopTree f -> body(p, f.getStatement(), "for (" + forInit(p, f) + "; "
                    + (f.getCondition() == null ? "" : ex.expr(new TreePath(p, f.getCondition()))) + "; " + forUpdate(p, f) + ")", t);
            case WhileLoopTree w -> body(p, w.getStatement(), "while " + ex.expr(new TreePath(p, w.getCondition())), t);
            case DoWhileLoopTree d -> {
                if (d.getStatement() instanceof BlockTree) {
                    emit("do {", t);
                    nested(new TreePath(p, d.getStatement()));
                    out.line("} while " + ex.expr(new TreePath(p, d.getCondition())) + ";", 0, null);
                } else {
                    emit("do", t);
                    out.indent++;
                    statement(new TreePath(p, d.getStatement()));
                    out.indent--;
                    out.line("while " + ex.expr(new TreePath(p, d.getCondition())) + ";", 0, null);
                }
            }
            case VariableTree v -> declaration(List.of(p), false);
            default -> error(t, describe(t) + " is outside the kernel subset");
        }
        commentCursor = Math.max(commentCursor, endLine(t));
    }

    /** A statement that fits on one line, or null. */
    private String simple(TreePath p) {
        return switch (p.getLeaf()) {
            case ExpressionStatementTree e -> ex.expr(new TreePath(p, e.getExpression())) + ";";
            case ReturnTree r -> {
                if (r.getExpression() == null) yield "return;";
                if (fn.kernel) error(r, "a kernel returns nothing");
                yield "return " + ex.expr(new TreePath(p, r.getExpression())) + ";";
            }
            case com.sun.source.tree.BreakTree b -> {
                if (b.getLabel() != null) error(b, "labelled break is outside the kernel subset");
                yield "break;";
            }
            case com.sun.source.tree.ContinueTree c -> {
                if (c.getLabel() != null) error(c, "labelled continue is outside the kernel subset");
                yield "continue;";
            }
            case com.sun.source.tree.EmptyStatementTree e -> ";";
            default -> null;
        };
    }

    private void nested(TreePath block) {
        out.indent++;
        statements(block, false);
        out.indent--;
    }

    private void close() {
        out.line("}", 0, null);
    }

    /** {@code header} then the loop body: a block, a one-line statement on the same line, or indented. */
    private void body(TreePath p, StatementTree body, String header, Tree t) {
        TreePath bp = new TreePath(p, body);
        if (body instanceof BlockTree) {
            emit(header + " {", t);
            nested(bp);
            close();
            return;
        }
        String simple = line(body) == line(t) ? simple(bp) : null;
        if (simple != null) {
            emit(header + " " + simple, t);
        } else {
            emit(header, t);
            out.indent++;
            statement(bp);
            out.indent--;
        }
    }

    private void ifChain(TreePath p, IfTree f, String prefix) {
        String header = prefix + "if " + ex.expr(new TreePath(p, f.getCondition()));
        StatementTree then = f.getThenStatement(), other = f.getElseStatement();
        TreePath thenPath = new TreePath(p, then);
        if (then instanceof BlockTree) {
            emit(header + " {", f);
            nested(thenPath);
            if (other == null) {
                close();
                return;
            }
            elsePart(p, other, "} else ");
            return;
        }
        String s1 = line(then) == line(f) ? simple(thenPath) : null;
        if (other == null) {
            body(p, then, header, f);
            return;
        }
        String s2 = line(other) == line(f) ? simple(new TreePath(p, other)) : null;
        if (s1 != null && s2 != null) {
            emit(header + " " + s1 + " else " + s2, f);
            return;
        }
        body(p, then, header, f);
        elsePart(p, other, "else ");
    }

    private void elsePart(TreePath p, StatementTree other, String prefix) {
        TreePath op = new TreePath(p, other);
        if (other instanceof IfTree elseIf) {
            ifChain(op, elseIf, prefix);
        } else if (other instanceof BlockTree) {
            out.line(prefix + "{", line(other), null);
            nested(op);
            close();
        } else {
            String s = simple(op);
            if (s != null) {
                out.line(prefix + s, line(other), null);
            } else {
                out.line(prefix.strip(), line(other), null);
                out.indent++;
                statement(op);
                out.indent--;
            }
        }
        if (prefix.startsWith("}") && !(other instanceof BlockTree) && !(other instanceof IfTree)) close();
    }

    private String forInit(TreePath p, ForLoopTree f) {
        List<String> parts = new ArrayList<>();
        List<? extends StatementTree> init = f.getInitializer();
        if (!init.isEmpty() && init.getFirst() instanceof VariableTree) {
            List<TreePath> vars = new ArrayList<>();
            for (StatementTree s : init) vars.add(new TreePath(p, s));
            return declarators(vars, false);
        }
        for (StatementTree s : init) parts.add(ex.expr(new TreePath(new TreePath(p, s), ((ExpressionStatementTree) s).getExpression())));
        return String.join(", ", parts);
    }

    private String forUpdate(TreePath p, ForLoopTree f) {
        List<String> parts = new ArrayList<>();
        for (ExpressionStatementTree s : f.getUpdate()) parts.add(ex.expr(new TreePath(new TreePath(p, s), s.getExpression())));
        return String.join(", ", parts);
    }

    private void declaration(List<TreePath> group, boolean topLevel) {
        Tree first = group.getFirst().getLeaf();
        leadingComments(first);
        emit(declarators(group, topLevel) + ";", first);
        commentCursor = Math.max(commentCursor, endLine(group.getLast().getLeaf()));
    }

    /** "const int a = 1, b = 2" for declarators that share a type; arrays as work-group or private arrays. */
    private String declarators(List<TreePath> group, boolean topLevel) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < group.size(); i++) {
            TreePath p = group.get(i);
            VariableTree v = (VariableTree) p.getLeaf();
            VariableElement e = (VariableElement) tr.trees.getElement(p);
            String name = name(v, e);
            TypeMirror type = e.asType();
            if (type.getKind() == TypeKind.ARRAY) {
                String decl = arrayDeclaration(p, v, e, name, topLevel);
                // "float a[4] = {0}, b[4] = {0}": later declarators drop the shared type
                sb.append(i == 0 ? decl : ", " + decl.substring(decl.indexOf(name + "[")));
                continue;
            }
            String ctype = file.scalar(type, v, unit);
            if (i == 0) {
                if (v.getModifiers().getFlags().contains(Modifier.FINAL)) sb.append("const ");
                sb.append(ctype).append(' ');
            } else {
                sb.append(", ");
            }
            sb.append(name);
            if (v.getInitializer() != null) sb.append(" = ").append(ex.expr(new TreePath(p, v.getInitializer())));
        }
        return sb.toString();
    }

    private String arrayDeclaration(TreePath p, VariableTree v, VariableElement e, String name, boolean topLevel) {
        ExpressionTree init = v.getInitializer();
        TypeMirror type = e.asType();
        TypeKind elem = ExpressionPrinter.elementKind(type);
        int rank = ExpressionPrinter.rank(type);
        if (init instanceof MethodInvocationTree call && ex.contextMethod(new TreePath(p, init)) instanceof String m
                && (m.equals("localFloats") || m.equals("localInts"))) {
            if (!fn.kernel || !topLevel) {
                error(v, "ctx." + m + "(...) is allowed only at the top of a kernel's body: work-group arrays have kernel scope");
            }
            TreePath sizePath = new TreePath(new TreePath(p, init), call.getArguments().getFirst());
            String size = ex.constExpr(sizePath, "a work-group array's size");
            fn.arrays.put(e, new Fn.Arr(Space.LOCAL, null, where(v), elem, 1));
            return "LOCAL_DECL " + file.elementType(elem) + " " + name + "[" + size + "]";
        }
        if (init instanceof NewArrayTree na && na.getInitializers() == null && !na.getDimensions().isEmpty()) {
            if (na.getDimensions().size() != rank) error(v, "give every dimension of a private array its size");
            StringBuilder dims = new StringBuilder();
            for (ExpressionTree d : na.getDimensions()) {
                dims.append('[').append(ex.constExpr(new TreePath(new TreePath(p, init), d), "a private array's size")).append(']');
            }
            fn.arrays.put(e, new Fn.Arr(Space.PRIVATE, dims.toString(), where(v), elem, rank));
            // Java zeroes new arrays; C does not, so neither may the translation
            String ctype = file.elementType(elem);
            return ctype + " " + name + dims + " = {0}";
        }
        error(v, "an array variable is declared only as ctx.localFloats(n) / ctx.localInts(n) (work-group memory) "
                + "or new float[n] / new int[n] (private); arrays are never copied or aliased");
        return name + "[]";
    }

    private String name(Tree at, VariableElement e) {
        String n = e.getSimpleName().toString();
        file.checkName(at, unit, n);
        fn.declared.add(n);
        return n;
    }

    private void emit(String text, Tree t) {
        long l = line(t);
        String comment = null;
        long end = endLine(t);
        if (!usedComments.contains(l) && src.lineComment(l) != null && !src.commentOnly(l)) {
            comment = src.lineComment(l);
            usedComments.add(l);
        } else if (end != l && !usedComments.contains(end) && src.lineComment(end) != null && !src.commentOnly(end)
                && !(t instanceof BlockTree) && simpleKind(t)) {
            comment = src.lineComment(end);
            usedComments.add(end);
        }
        out.line(text, l, comment);
    }

    private static boolean simpleKind(Tree t) {
        return t instanceof ExpressionStatementTree || t instanceof VariableTree || t instanceof ReturnTree;
    }

    /** The // comment lines between the previous statement and this one. */
    private void leadingComments(Tree t) {
        long l = line(t);
        for (long i = commentCursor + 1; i < l; i++) {
            if (src.commentOnly(i)) out.comment(src.line(i).strip().substring(2).strip());
        }
        commentCursor = Math.max(commentCursor, l);
    }

    private long start(Tree t) {
        return tr.trees.getSourcePositions().getStartPosition(unit, t);
    }

    private long end(Tree t) {
        return tr.trees.getSourcePositions().getEndPosition(unit, t);
    }

    private long line(Tree t) {
        return unit.getLineMap().getLineNumber(start(t));
    }

    private long endLine(Tree t) {
        long e = end(t);
        return e < 0 ? line(t) : unit.getLineMap().getLineNumber(Math.max(start(t), e - 1));
    }

    private String where(Tree t) {
        return src.file() + ":" + line(t);
    }

    private void error(Tree t, String message) {
        tr.error(unit, t, message);
    }

    static String describe(Tree t) {
        return switch (t.getKind()) {
            case SWITCH, SWITCH_EXPRESSION -> "switch";
            case TRY -> "try";
            case THROW -> "throw (exceptions)";
            case SYNCHRONIZED -> "synchronized";
            case LABELED_STATEMENT -> "a labelled statement";
            case ENHANCED_FOR_LOOP -> "the for-each loop";
            case ASSERT -> "assert";
            case CLASS, RECORD, ENUM, INTERFACE -> "a local class";
            case LAMBDA_EXPRESSION -> "a lambda";
            case MEMBER_REFERENCE -> "a method reference";
            case NEW_CLASS -> "new (objects)";
            case NEW_ARRAY -> "new arrays outside a declaration";
            case INSTANCE_OF -> "instanceof";
            case STRING_LITERAL -> "a string";
            case CHAR_LITERAL -> "a char";
            case NULL_LITERAL -> "null";
            case UNSIGNED_RIGHT_SHIFT_ASSIGNMENT -> ">>>=";
            case YIELD -> "yield";
            default -> t.getKind().toString().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
    }
}
