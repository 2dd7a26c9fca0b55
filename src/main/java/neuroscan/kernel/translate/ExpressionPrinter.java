package neuroscan.kernel.translate;

import com.sun.source.tree.ArrayAccessTree;
import com.sun.source.tree.AssignmentTree;
import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.CompoundAssignmentTree;
import com.sun.source.tree.ConditionalExpressionTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.TypeCastTree;
import com.sun.source.tree.UnaryTree;
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
 * The expressions of one function's body as C, checked against the kernel subset on the way: literals
 * spelt for C, names of constants as macros, Java's meaning kept where C's differs (shift counts, casts),
 * calls to the context, to KernelMath and to helpers (whose array parameters take their memory space
 * from here). {@link FunctionPrinter} prints the statements around them.
 */
final class ExpressionPrinter {
    private final KernelFile file;
    private final Translator tr;
    private final Fn fn;
    private final CompilationUnitTree unit;

    ExpressionPrinter(KernelFile file, Fn fn) {
        this.file = file;
        this.tr = file.tr;
        this.fn = fn;
        this.unit = fn.decl.unit();
    }

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
                error(t, FunctionPrinter.describe(t) + " is outside the kernel subset");
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
                error(lit, FunctionPrinter.describe(lit) + " is outside the kernel subset");
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
                error(c, "the compound assignment " + FunctionPrinter.describe(c) + " is outside the kernel subset (no C equivalent)");
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
                error(u, FunctionPrinter.describe(u) + " is outside the kernel subset");
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
                error(b, FunctionPrinter.describe(b) + " is outside the kernel subset");
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
    String contextMethod(TreePath p) {
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
                case "tf32" -> "TF32F";
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
        if (name.equals("mmaTf32")) return mma(call, args);
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

    /**
     * ctx.mmaTf32(a, aOff, aRow, aCol, b, bOff, bRow, bCol, acc, accOff): a warp-wide instruction, so the
     * kernel must be written for whole warps (its @Kernel(workGroup) a multiple of 32 work-items); A and B
     * in work-group memory (every lane reads the fragments it needs from there), acc a private float array.
     */
    private String mma(MethodInvocationTree call, List<TreePath> args) {
        List<Integer> wg = file.workGroup();
        int items = wg.stream().reduce(1, (x, y) -> x * y);
        if (wg.isEmpty() || items % 32 != 0) {
            error(call, "ctx.mmaTf32 is a warp-wide instruction: kernel " + file.kernelName()
                    + " must declare @Kernel(workGroup = {...}) with a multiple of 32 work-items"
                    + (wg.isEmpty() ? " (it declares none)" : " (it declares " + wg + " = " + items + ")"));
        }
        String[] role = {"a", null, null, null, "b", null, null, null, "acc", null};
        List<String> c = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            TreePath ap = args.get(i);
            if (role[i] == null) {
                c.add(expr(ap));
                continue;
            }
            Element e = ap.getLeaf() instanceof IdentifierTree ? tr.trees.getElement(ap) : null;
            Fn.Arr arr = e == null ? null : fn.arrays.get(e);
            Space want = i == 8 ? Space.PRIVATE : Space.LOCAL;
            if (arr == null || arr.space != want || arr.rank != 1) {
                error(ap.getLeaf(), "ctx.mmaTf32's " + role[i] + " must be " + (i == 8
                        ? "a private float array (new float[n]): the lane's accumulators stay in registers"
                        : "a work-group array (ctx.localFloats): the lanes read their fragments from it"));
            } else if (i == 8) {
                arr.written = true;
            }
            c.add(ap.getLeaf().toString());
        }
        file.usesMma();
        return "MMA_TF32(" + String.join(", ", c) + ")";
    }

    private String join(List<TreePath> args) {
        List<String> s = new ArrayList<>();
        for (TreePath a : args) s.add(expr(a));
        return String.join(", ", s);
    }


    String constExpr(TreePath p, String what) {
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

    private long start(Tree t) {
        return tr.trees.getSourcePositions().getStartPosition(unit, t);
    }

    private long end(Tree t) {
        return tr.trees.getSourcePositions().getEndPosition(unit, t);
    }

    private void error(Tree t, String message) {
        tr.error(unit, t, message);
    }
}
