package neuroscan.kernel.translate;

import com.sun.source.tree.ArrayAccessTree;
import com.sun.source.tree.AssignmentTree;
import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.BlockTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.CompoundAssignmentTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.DoWhileLoopTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.ForLoopTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.IfTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.NewArrayTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.ReturnTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.TypeCastTree;
import com.sun.source.tree.UnaryTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.tree.WhileLoopTree;
import com.sun.source.util.TreePath;

import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints one function's body as C, and in doing so checks that it stays inside the kernel subset: every
 * statement and expression kind it does not know is an error at its position. It also records what the
 * kernel file needs: the memory space of each array, writes (for {@code const}), helper calls and
 * constants.
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

    FunctionPrinter(KernelFile file, Fn fn) {
        this.file = file;
        this.tr = file.tr;
        this.fn = fn;
        this.unit = fn.decl.unit();
        this.src = tr.text(unit);
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
                    + (f.getCondition() == null ? "" : expr(new TreePath(p, f.getCondition()))) + "; " + forUpdate(p, f) + ")", t);
            case WhileLoopTree w -> body(p, w.getStatement(), "while " + expr(new TreePath(p, w.getCondition())), t);
            case DoWhileLoopTree d -> {
                if (d.getStatement() instanceof BlockTree) {
                    emit("do {", t);
                    nested(new TreePath(p, d.getStatement()));
                    out.line("} while " + expr(new TreePath(p, d.getCondition())) + ";", 0, null);
                } else {
                    emit("do", t);
                    out.indent++;
                    statement(new TreePath(p, d.getStatement()));
                    out.indent--;
                    out.line("while " + expr(new TreePath(p, d.getCondition())) + ";", 0, null);
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
            case ExpressionStatementTree e -> expr(new TreePath(p, e.getExpression())) + ";";
            case ReturnTree r -> {
                if (r.getExpression() == null) yield "return;";
                if (fn.kernel) error(r, "a kernel returns nothing");
                yield "return " + expr(new TreePath(p, r.getExpression())) + ";";
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
        String header = prefix + "if " + expr(new TreePath(p, f.getCondition()));
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
        for (StatementTree s : init) parts.add(expr(new TreePath(new TreePath(p, s), ((ExpressionStatementTree) s).getExpression())));
        return String.join(", ", parts);
    }

    private String forUpdate(TreePath p, ForLoopTree f) {
        List<String> parts = new ArrayList<>();
        for (ExpressionStatementTree s : f.getUpdate()) parts.add(expr(new TreePath(new TreePath(p, s), s.getExpression())));
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
            if (v.getInitializer() != null) sb.append(" = ").append(expr(new TreePath(p, v.getInitializer())));
        }
        return sb.toString();
    }

    private String arrayDeclaration(TreePath p, VariableTree v, VariableElement e, String name, boolean topLevel) {
        ExpressionTree init = v.getInitializer();
        TypeMirror type = e.asType();
        TypeKind elem = elementKind(type);
        int rank = rank(type);
        if (init instanceof MethodInvocationTree call && contextMethod(new TreePath(p, init)) instanceof String m
                && (m.equals("localFloats") || m.equals("localInts"))) {
            if (!fn.kernel || !topLevel) {
                error(v, "ctx." + m + "(...) is allowed only at the top of a kernel's body: work-group arrays have kernel scope");
            }
            TreePath sizePath = new TreePath(new TreePath(p, init), call.getArguments().getFirst());
            String size = constExpr(sizePath, "a work-group array's size");
            fn.arrays.put(e, new Fn.Arr(Space.LOCAL, null, where(v), elem, 1));
            return "LOCAL_DECL " + file.elementType(elem) + " " + name + "[" + size + "]";
        }
        if (init instanceof NewArrayTree na && na.getInitializers() == null && !na.getDimensions().isEmpty()) {
            if (na.getDimensions().size() != rank) error(v, "give every dimension of a private array its size");
            StringBuilder dims = new StringBuilder();
            for (ExpressionTree d : na.getDimensions()) {
                dims.append('[').append(constExpr(new TreePath(new TreePath(p, init), d), "a private array's size")).append(']');
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

    // ---------------------------------------------------------------- expressions

    String expr(TreePath p) {
        Tree t = p.getLeaf();
        if (t instanceof MethodInvocationTree call) {   // a call outside the subset says so, not "double ..."
            int before = tr.errors.size();
            String s = invocation(p, call);
            if (tr.errors.size() == before) checkType(p);
            return s;
        }
        checkType(p);
        return switch (t) {
            case ParenthesizedTree par -> "(" + expr(new TreePath(p, par.getExpression())) + ")";
            case LiteralTree lit -> literal(lit);
            case IdentifierTree id -> identifier(p, id);
            case MemberSelectTree ms -> memberSelect(p, ms);
            case ArrayAccessTree a -> arrayAccess(p, a);
            case MethodInvocationTree call -> invocation(p, call);
            case ConditionalExpressionTree c -> expr(new TreePath(p, c.getCondition())) + " ? "
                    + expr(new TreePath(p, c.getTrueExpression())) + " : " + expr(new TreePath(p, c.getFalseExpression()));
            case TypeCastTree cast -> cast(p, cast);
            case AssignmentTree a -> {
                String lhs = target(new TreePath(p, a.getVariable()));
                yield lhs + " = " + expr(new TreePath(p, a.getExpression()));
            }
            case CompoundAssignmentTree c -> compound(p, c);
            case UnaryTree u -> unary(p, u);
            case BinaryTree b -> binary(p, b);
            default -> {
                error(t, describe(t) + " is outside the kernel subset");
                yield "/*?*/";
            }
        };
    }

    private String literal(LiteralTree lit) {
        String text = tr.text(unit).slice(start(lit), end(lit)).replace("_", "");
        return switch (lit.getKind()) {
            case INT_LITERAL -> {
                if (text.startsWith("0b") || text.startsWith("0B")) yield String.valueOf(lit.getValue());
                yield text;
            }
            case FLOAT_LITERAL -> {
                String body = text.substring(0, text.length() - 1);
                boolean hex = body.startsWith("0x") || body.startsWith("0X");
                // C needs a point or an exponent: Java's "1f" is "1.0f" in C
                if (!hex && !body.contains(".") && !body.contains("e") && !body.contains("E")) body += ".0";
                yield body + "f";
            }
            case BOOLEAN_LITERAL -> text;
            case DOUBLE_LITERAL -> {
                error(lit, "double literal " + text + ": kernels compute in float (write " + text + "f)");
                yield text;
            }
            case LONG_LITERAL -> {
                error(lit, "long literal " + text + ": kernels use int (buffers have fewer than 2^31 elements)");
                yield text;
            }
            default -> {
                error(lit, describe(lit) + " is outside the kernel subset");
                yield text;
            }
        };
    }

    private String identifier(TreePath p, IdentifierTree id) {
        Element e = tr.trees.getElement(p);
        if (e == null) {
            error(id, "cannot resolve " + id.getName());
            return id.getName().toString();
        }
        if (e.equals(fn.ctx)) {
            error(id, "the KernelContext is used only to call its methods or to pass it to a helper");
            return "ctx";
        }
        if (e.getKind() == ElementKind.LOCAL_VARIABLE || e.getKind() == ElementKind.PARAMETER) {
            if (e.asType().getKind() == TypeKind.ARRAY && !arrayUseAllowed(p)) {
                error(id, "an array is used only by indexing it or passing it to a helper (C has no array values)");
            }
            return id.getName().toString();
        }
        if (e.getKind() == ElementKind.FIELD) return field(id, (VariableElement) e);
        error(id, id.getName() + " is outside the kernel subset");
        return id.getName().toString();
    }

    private boolean arrayUseAllowed(TreePath p) {
        Tree parent = p.getParentPath().getLeaf();
        return (parent instanceof ArrayAccessTree a && a.getExpression() == p.getLeaf())
                || (parent instanceof MethodInvocationTree call && call.getArguments().contains(p.getLeaf()));
    }

    private String memberSelect(TreePath p, MemberSelectTree ms) {
        Element e = tr.trees.getElement(p);
        String member = ms.getIdentifier().toString();
        TypeMirror receiver = tr.trees.getTypeMirror(new TreePath(p, ms.getExpression()));
        if (member.equals("length") && receiver != null && receiver.getKind() == TypeKind.ARRAY) {
            error(ms, "array.length: a C array carries no length; pass the size as an int parameter");
            return "/*?*/";
        }
        if (e instanceof VariableElement f && f.getKind() == ElementKind.FIELD) {
            String owner = f.getEnclosingElement().toString();
            if (owner.equals("java.lang.Float")) {
                if (member.equals("NEGATIVE_INFINITY")) return "NEG_INF";
                if (member.equals("POSITIVE_INFINITY")) return "POS_INF";
                if (member.equals("NaN")) {
                    error(ms, "Float.NaN is outside the kernel subset (compilers may fold NaN tests away); use a flag");
                    return "/*?*/";
                }
            }
            return field(ms, f);
        }
        error(ms, ms + " is outside the kernel subset");
        return "/*?*/";
    }

    /** A static final field: a kernel source's constant becomes a macro; a library constant, its value. */
    private String field(Tree at, VariableElement f) {
        if (!f.getModifiers().containsAll(Set.of(Modifier.STATIC, Modifier.FINAL))) {
            error(at, f.getSimpleName() + " is not a static final constant: kernels have no variables outside their functions");
            return f.getSimpleName().toString();
        }
        if (tr.fields.containsKey(f)) {
            file.useConstant(f, at, unit);
            return f.getSimpleName().toString();
        }
        Object v = f.getConstantValue();
        if (v instanceof Integer i) return i == Integer.MIN_VALUE ? "(-2147483647 - 1)" : i.toString();
        if (v instanceof Float x && Float.isFinite(x)) return Float.toString(x).replace("E", "e") + "f";
        error(at, f.getEnclosingElement().getSimpleName() + "." + f.getSimpleName() + " is outside the kernel subset");
        return "/*?*/";
    }

    private String arrayAccess(TreePath p, ArrayAccessTree a) {
        return expr(new TreePath(p, a.getExpression())) + "[" + expr(new TreePath(p, a.getIndex())) + "]";
    }

    /** The left side of an assignment; a write into an array marks that array written. */
    private String target(TreePath p) {
        Tree t = p.getLeaf();
        if (t instanceof ArrayAccessTree) {
            Tree root = t;
            while (root instanceof ArrayAccessTree a) root = a.getExpression();
            if (root instanceof IdentifierTree) {
                TreePath rp = p;
                while (rp.getLeaf() instanceof ArrayAccessTree a) rp = new TreePath(rp, a.getExpression());
                Element e = tr.trees.getElement(rp);
                Fn.Arr arr = fn.arrays.get(e);
                if (arr != null) arr.written = true;
            }
        } else if (t instanceof IdentifierTree) {
            Element e = tr.trees.getElement(p);
            if (e != null && e.asType().getKind() == TypeKind.ARRAY) {
                error(t, "an array variable cannot be reassigned: C arrays are not values");
                return "/*?*/";
            }   // a scalar parameter is the function's own copy, in C as in Java: assigning it is fine
        } else if (!(t instanceof ParenthesizedTree)) {
            error(t, "only variables and array elements can be assigned");
        }
        return expr(p);
    }

    private String compound(TreePath p, CompoundAssignmentTree c) {
        String op = switch (c.getKind()) {
            case MULTIPLY_ASSIGNMENT -> "*=";
            case DIVIDE_ASSIGNMENT -> "/=";
            case REMAINDER_ASSIGNMENT -> "%=";
            case PLUS_ASSIGNMENT -> "+=";
            case MINUS_ASSIGNMENT -> "-=";
            case LEFT_SHIFT_ASSIGNMENT -> "<<=";
            case RIGHT_SHIFT_ASSIGNMENT -> ">>=";
            case AND_ASSIGNMENT -> "&=";
            case OR_ASSIGNMENT -> "|=";
            case XOR_ASSIGNMENT -> "^=";
            default -> {
                error(c, "the compound assignment " + describe(c) + " is outside the kernel subset (no C equivalent)");
                yield "=";
            }
        };
        TreePath lp = new TreePath(p, c.getVariable()), rp = new TreePath(p, c.getExpression());
        TypeKind lt = tr.trees.getTypeMirror(lp).getKind(), rt = tr.trees.getTypeMirror(rp).getKind();
        if (lt == TypeKind.INT && rt == TypeKind.FLOAT) {
            error(c, "int " + op + " float narrows implicitly; write the cast: x = (int) (x " + op.charAt(0) + " y)");
        }
        if (lt == TypeKind.FLOAT && c.getKind() == Tree.Kind.REMAINDER_ASSIGNMENT) error(c, "float % is outside the kernel subset");
        String lhs = target(lp);
        String rhs = (op.equals("<<=") || op.equals(">>=")) ? shiftCount(rp) : expr(rp);
        return lhs + " " + op + " " + rhs;
    }

    private String unary(TreePath p, UnaryTree u) {
        TreePath op = new TreePath(p, u.getExpression());
        return switch (u.getKind()) {
            case POSTFIX_INCREMENT -> target(op) + "++";
            case POSTFIX_DECREMENT -> target(op) + "--";
            case PREFIX_INCREMENT -> "++" + target(op);
            case PREFIX_DECREMENT -> "--" + target(op);
            case UNARY_MINUS -> prefix("-", expr(op));
            case UNARY_PLUS -> prefix("+", expr(op));
            case LOGICAL_COMPLEMENT -> "!" + expr(op);
            case BITWISE_COMPLEMENT -> "~" + expr(op);
            default -> {
                error(u, describe(u) + " is outside the kernel subset");
                yield "/*?*/";
            }
        };
    }

    private static String prefix(String op, String operand) {
        return operand.startsWith(op) ? op + " " + operand : op + operand;   // "- -x", never "--x"
    }

    private String binary(TreePath p, BinaryTree b) {
        TreePath lp = new TreePath(p, b.getLeftOperand()), rp = new TreePath(p, b.getRightOperand());
        String op = switch (b.getKind()) {
            case MULTIPLY -> "*";
            case DIVIDE -> "/";
            case REMAINDER -> "%";
            case PLUS -> "+";
            case MINUS -> "-";
            case LEFT_SHIFT -> "<<";
            case RIGHT_SHIFT -> ">>";
            case UNSIGNED_RIGHT_SHIFT -> ">>>";
            case LESS_THAN -> "<";
            case GREATER_THAN -> ">";
            case LESS_THAN_EQUAL -> "<=";
            case GREATER_THAN_EQUAL -> ">=";
            case EQUAL_TO -> "==";
            case NOT_EQUAL_TO -> "!=";
            case AND -> "&";
            case XOR -> "^";
            case OR -> "|";
            case CONDITIONAL_AND -> "&&";
            case CONDITIONAL_OR -> "||";
            default -> {
                error(b, describe(b) + " is outside the kernel subset");
                yield "?";
            }
        };
        if (op.equals("%") && tr.trees.getTypeMirror(p).getKind() == TypeKind.FLOAT) {
            error(b, "float % is outside the kernel subset");
        }
        String l = expr(lp);
        if (op.equals(">>>")) return "(int) ((unsigned int) (" + l + ") >> " + shiftCount(rp) + ")";
        if (op.equals("<<") || op.equals(">>")) return l + " " + op + " " + shiftCount(rp);
        return l + " " + op + " " + expr(rp);
    }

    /**
     * Java takes a shift count modulo 32; C leaves counts outside [0, 31] undefined. A constant count
     * must be in range; any other is masked, as Java does.
     */
    private String shiftCount(TreePath p) {
        Integer c = file.constValue(p);
        if (c != null) {
            if (c < 0 || c > 31) error(p.getLeaf(), "shift count " + c + " is outside [0, 31] (Java masks it, C leaves it undefined)");
            return expr(p);
        }
        return "(" + expr(p) + " & 31)";
    }

    private String cast(TreePath p, TypeCastTree cast) {
        TreePath ep = new TreePath(p, cast.getExpression());
        TypeKind to = tr.trees.getTypeMirror(new TreePath(p, cast.getType())).getKind();
        TypeKind from = tr.trees.getTypeMirror(ep).getKind();
        String e = expr(ep);
        if (to == TypeKind.INT && from == TypeKind.FLOAT) return "F2I(" + e + ")";   // Java's saturating cast, NaN -> 0
        if (to == TypeKind.FLOAT && from == TypeKind.INT) return "(float) " + e;
        if (to == from) return e;
        error(cast, "a cast to " + to.toString().toLowerCase(java.util.Locale.ROOT) + " is outside the kernel subset");
        return e;
    }

    // ---------------------------------------------------------------- calls

    /** The KernelContext method a call invokes, or null when it invokes something else. */
    private String contextMethod(TreePath p) {
        if (!(p.getLeaf() instanceof MethodInvocationTree)) return null;
        Element e = tr.trees.getElement(p);
        if (e instanceof ExecutableElement m && m.getEnclosingElement().toString().equals(Translator.CONTEXT)) {
            return m.getSimpleName().toString();
        }
        return null;
    }

    private String invocation(TreePath p, MethodInvocationTree call) {
        Element e = tr.trees.getElement(p);
        if (!(e instanceof ExecutableElement m)) {
            error(call, "cannot resolve this call");
            return "/*?*/";
        }
        String owner = m.getEnclosingElement().toString(), name = m.getSimpleName().toString();
        List<TreePath> args = new ArrayList<>();
        for (ExpressionTree a : call.getArguments()) args.add(new TreePath(p, a));
        if (owner.equals(Translator.CONTEXT)) return contextCall(p, call, name, args);
        if (owner.equals(Translator.MATH)) {
            String macro = switch (name) {
                case "exp" -> "EXPF";
                case "erf" -> "ERFF";
                case "tanh" -> "TANHF";
                case "sqrt" -> "SQRTF";
                case "rsqrt" -> "RSQRTF";
                case "fma" -> "FMAF";
                case "fmax" -> "FMAXF";
                case "fmin" -> "FMINF";
                case "abs" -> "FABSF";
                default -> null;
            };
            if (macro == null) {
                error(call, "KernelMath." + name + " has no device translation");
                return "/*?*/";
            }
            return macro + "(" + join(args) + ")";
        }
        var decl = tr.methods.get(m);
        if (decl == null) {
            error(call, owner + "." + name + "(): a kernel may call only KernelMath, its KernelContext and static "
                    + "methods of the kernel sources");
            return "/*?*/";
        }
        if (Translator.annotated(m, Translator.KERNEL)) {
            error(call, "a kernel cannot call another @Kernel method; move the shared code into a helper");
            return "/*?*/";
        }
        Fn callee = file.fn(m);
        if (callee == null) return "/*?*/";   // an error was reported (e.g. recursion)
        Map<Integer, VariableElement> arrays = new LinkedHashMap<>();
        List<String> cArgs = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            TreePath ap = args.get(i);
            Element ae = ap.getLeaf() instanceof IdentifierTree ? tr.trees.getElement(ap) : null;
            TypeMirror at = tr.trees.getTypeMirror(ap);
            if (Translator.isType(at, Translator.CONTEXT)) {
                if (!(ae != null && ae.equals(fn.ctx))) error(ap.getLeaf(), "pass the function's own KernelContext parameter");
                continue;   // the context is implicit in C
            }
            if (at.getKind() == TypeKind.ARRAY) {
                if (ae instanceof VariableElement av && fn.arrays.containsKey(av)) {
                    arrays.put(i, av);
                    cArgs.add(ap.getLeaf().toString());
                } else {
                    error(ap.getLeaf(), "pass an array variable itself (a parameter or a declared array), not an expression");
                    cArgs.add("/*?*/");
                }
                continue;
            }
            cArgs.add(expr(ap));
        }
        fn.calls.add(new Fn.CallSite(callee, arrays));
        file.passSpaces(fn, callee, arrays, call, unit);
        return callee.cName + "(" + String.join(", ", cArgs) + ")";
    }

    private String contextCall(TreePath p, MethodInvocationTree call, String name, List<TreePath> args) {
        if (call.getMethodSelect() instanceof MemberSelectTree ms) {
            Element recv = tr.trees.getElement(new TreePath(new TreePath(p, ms), ms.getExpression()));
            if (recv == null || !recv.equals(fn.ctx)) error(call, "call KernelContext methods on the function's own context parameter");
        }
        String macro = switch (name) {
            case "globalId" -> "GLOBAL_ID";
            case "localId" -> "LOCAL_ID";
            case "groupId" -> "GROUP_ID";
            case "localSize" -> "LOCAL_SIZE";
            case "groupCount" -> "NUM_GROUPS";
            case "globalSize" -> "GLOBAL_SIZE";
            case "barrier" -> "BARRIER";
            default -> null;
        };
        if (macro == null) {
            error(call, "ctx." + name + "(...) is allowed only as the initializer of a variable at the top of a kernel's body");
            return "/*?*/";
        }
        if (!args.isEmpty()) {
            Integer d = file.constValue(args.getFirst());
            if (d == null || d < 0 || d > 2) error(call, "the dimension of ctx." + name + " must be a constant 0, 1 or 2");
            return macro + "(" + (d == null ? "0" : d) + ")";
        }
        return macro + "()";
    }

    private String join(List<TreePath> args) {
        List<String> s = new ArrayList<>();
        for (TreePath a : args) s.add(expr(a));
        return String.join(", ", s);
    }

    // ---------------------------------------------------------------- helpers

    private String constExpr(TreePath p, String what) {
        Integer v = file.constValue(p);
        if (v == null || v <= 0) error(p.getLeaf(), what + " must be a positive compile-time constant (literals and static final ints)");
        return expr(p);
    }

    private void checkType(TreePath p) {
        Tree t = p.getLeaf();
        if (t instanceof LiteralTree) return;   // literal() names the literal's kind
        TypeMirror type = tr.trees.getTypeMirror(p);
        if (type == null) return;
        switch (type.getKind()) {
            case INT, FLOAT, BOOLEAN, VOID -> {
            }
            case ARRAY -> {
                if (elementKind(type) != TypeKind.INT && elementKind(type) != TypeKind.FLOAT || rank(type) > 2) {
                    error(t, "arrays are float[] or int[] (private arrays up to [][])");
                }
            }
            case DOUBLE -> error(t, "double is outside the kernel subset: compute in float (literals with an f suffix)");
            case LONG -> error(t, "long is outside the kernel subset: indices are int (buffers have fewer than 2^31 elements)");
            case DECLARED -> {
                if (!Translator.isType(type, Translator.CONTEXT)) error(t, "objects (" + type + ") are outside the kernel subset");
            }
            default -> error(t, type + " is outside the kernel subset: kernels use int, float and boolean");
        }
    }

    static TypeKind elementKind(TypeMirror t) {
        while (t instanceof ArrayType a) t = a.getComponentType();
        return t.getKind();
    }

    static int rank(TypeMirror t) {
        int r = 0;
        while (t instanceof ArrayType a) {
            t = a.getComponentType();
            r++;
        }
        return r;
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
