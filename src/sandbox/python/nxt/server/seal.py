"""Trusted: decides how each test is judged, so that expected values never enter the program's process.

A test statement is planned as one of:
  sealed     `[setup;] assert EXPR` where EXPR holds exactly one call of a program function with
             constant arguments (optionally inside one converting builtin such as list(...) or
             sorted(...), applied in the child with the real builtin). Only the call goes to the child;
             its result comes back as plain data and EXPR is evaluated here, with the result in place
             of the call. Constant parts are evaluated by `ConstantEvaluator`: literals, arithmetic,
             comprehensions, a fixed set of pure builtins and math functions, with a step budget.
  runner     any other statement whose names all resolve without the program (the entry point, the
             reference solution's helpers, the standard library): it runs in a separate test process
             that holds the expected values; calls of the entry point are forwarded to the program's
             process as plain data.
  statement  everything else runs inside the program's process, as before, and is reported unsealed.
EvalPlus-style case batches (many inputs of one function with expected outputs) are always sealed.
"""

import ast
import builtins
import math
import operator
import sys
import time

from nxt.protocol import frames, plain
from nxt.server import oracles

STEP_BUDGET = 2_000_000
MAX_ITEMS = 2_000_000
MAX_INT_BITS = 2_000_000
# Judging one result: builtins on a large value (isqrt of a big int, sorting, `in` over a long list) cost
# far more than one step each; past this the assertion is an error (a result that costly is no answer).
JUDGE_SECONDS = 2.0
_perf = time.perf_counter


class Unsealable(Exception):
    """The test has no shape the trusted side can judge by itself."""


class _Budget(Exception):
    pass


def _guarded_range(*args):
    result = range(*args)
    if len(result) > MAX_ITEMS:
        raise Unsealable("range too long")
    return result


def _guarded_pow(base, exponent, modulo=None):
    if modulo is None and type(base) is int and type(exponent) is int and exponent > 0:
        if exponent * max(1, abs(base).bit_length()) > MAX_INT_BITS:
            raise Unsealable("power too large")
    return pow(base, exponent, modulo)


def _guarded_factorial(n):
    if type(n) is int and n > 20_000:
        raise Unsealable("factorial too large")
    return math.factorial(n)


_SAFE_FUNCTIONS = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "bytes", "chr", "complex", "dict", "divmod", "enumerate", "float",
                 "frozenset", "int", "len", "list", "max", "min", "ord", "repr", "reversed", "round", "set",
                 "sorted", "str", "sum", "tuple", "zip", "isinstance", "hex", "bin", "oct", "hash")
}
_SAFE_FUNCTIONS["range"] = _guarded_range
_SAFE_FUNCTIONS["pow"] = _guarded_pow
_SAFE_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "tuple": tuple, "dict": dict,
               "set": set, "frozenset": frozenset, "bytes": bytes, "complex": complex, "type(None)": type(None)}
_MATH = {name: getattr(math, name) for name in (
    "sqrt", "pi", "e", "tau", "inf", "nan", "isclose", "floor", "ceil", "log", "log2", "log10", "exp", "fabs",
    "pow", "gcd", "comb", "perm", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "degrees", "radians",
    "hypot", "isnan", "isinf", "isfinite", "trunc", "fsum", "prod", "isqrt", "copysign", "fmod")}
_MATH["factorial"] = _guarded_factorial
_MODULES = {"math": _MATH, "sys": {"getsizeof": sys.getsizeof, "maxsize": sys.maxsize}}
# Converting builtins that may wrap the program call: applied in the child with the real builtin, so
# that a generator or a map object a program returns is consumed as it would be in the statement.
CHILD_WRAPPERS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "dict", "str", "repr", "len", "bool",
                            "int", "float", "sum", "min", "max", "any", "all", "abs", "round"))
_SAFE_METHODS = {
    str: frozenset(("upper", "lower", "strip", "lstrip", "rstrip", "split", "rsplit", "join", "replace",
                    "startswith", "endswith", "count", "find", "index", "isdigit", "isalpha", "isupper",
                    "islower", "title", "capitalize", "swapcase", "zfill", "center", "ljust", "rjust",
                    "format", "encode", "splitlines", "casefold", "partition")),
    bytes: frozenset(("decode", "hex", "upper", "lower", "split", "join", "count")),
    list: frozenset(("count", "index", "copy")),
    tuple: frozenset(("count", "index")),
    dict: frozenset(("keys", "values", "items", "get", "copy")),
    set: frozenset(("union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset",
                    "copy")),
    frozenset: frozenset(("union", "intersection", "difference", "symmetric_difference", "issubset",
                          "issuperset", "copy")),
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: None, ast.LShift: None,
           ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor,
           ast.BitAnd: operator.and_}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
            ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
RESULT = "__nxt_result__"
_BUILTIN_NAMES = frozenset(dir(builtins))


def _sized(value):
    try:
        return len(value)
    except TypeError:
        return 0


class ConstantEvaluator:
    """Evaluates an expression that involves no program code, with a bounded number of steps."""

    def __init__(self, env=None, modules=(), deadline=None):
        self.env = dict(env or {})
        self.modules = set(modules)
        self.steps = STEP_BUDGET
        self.deadline = deadline  # judging a result only: planning must not depend on the machine's speed

    def eval(self, node):
        self.steps -= 1
        if self.steps < 0:
            raise Unsealable("too much work for a constant")
        if self.deadline is not None and _perf() > self.deadline:
            raise Unsealable("it took more than %g s on this result" % JUDGE_SECONDS)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Unsealable("%s is not a constant expression" % type(node).__name__)
        return method(node)

    def _Constant(self, node):
        return node.value

    def _Tuple(self, node):
        return tuple(self._items(node.elts))

    def _List(self, node):
        return self._items(node.elts)

    def _Set(self, node):
        return set(self._items(node.elts))

    def _items(self, elements):
        items = []
        for element in elements:
            if isinstance(element, ast.Starred):
                items.extend(self._iterate(self.eval(element.value)))
            else:
                items.append(self.eval(element))
        return items

    def _Dict(self, node):
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                result.update(self.eval(value))
            else:
                result[self.eval(key)] = self.eval(value)
        return result

    def _UnaryOp(self, node):
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _BinOp(self, node):
        left, right = self.eval(node.left), self.eval(node.right)
        kind = type(node.op)
        if kind is ast.Pow:
            return _guarded_pow(left, right)
        if kind is ast.LShift:
            if type(right) is int and right > MAX_INT_BITS:
                raise Unsealable("shift too large")
            return left << right
        if kind is ast.Mult:
            size = max(_sized(left), _sized(right)) * max(
                right if type(right) is int and not isinstance(left, (int, float)) else 1,
                left if type(left) is int and not isinstance(right, (int, float)) else 1)
            if size > MAX_ITEMS:
                raise Unsealable("repetition too large")
        operation = _BINARY.get(kind)
        if operation is None:
            raise Unsealable("operator %s" % kind.__name__)
        return operation(left, right)

    def _BoolOp(self, node):
        value = None
        for operand in node.values:
            value = self.eval(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _Compare(self, node):
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node):
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _Name(self, node):
        if node.id in self.env:
            return self.env[node.id]
        if node.id in _SAFE_FUNCTIONS:
            return _SAFE_FUNCTIONS[node.id]
        raise Unsealable("name %s" % node.id)

    def _Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.modules and node.value.id in _MODULES:
            table = _MODULES[node.value.id]
            if node.attr in table:
                return table[node.attr]
        raise Unsealable("attribute %s" % node.attr)

    def _Subscript(self, node):
        return self.eval(node.value)[self.eval(node.slice)]

    def _Slice(self, node):
        part = lambda item: None if item is None else self.eval(item)  # noqa: E731
        return slice(part(node.lower), part(node.upper), part(node.step))

    def _JoinedStr(self, node):
        return "".join(str(self.eval(value)) if not isinstance(value, ast.FormattedValue) else self._formatted(value)
                       for value in node.values)

    def _formatted(self, node):
        value = self.eval(node.value)
        if node.conversion == ord("r"):
            value = repr(value)
        elif node.conversion == ord("s"):
            value = str(value)
        elif node.conversion == ord("a"):
            value = ascii(value)
        spec = "" if node.format_spec is None else self.eval(node.format_spec)
        return format(value, spec)

    def _Call(self, node):
        function = self._callee(node.func)
        args = self._items(node.args)
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                kwargs.update(self.eval(keyword.value))
            else:
                kwargs[keyword.arg] = self.eval(keyword.value)
        result = function(*args, **kwargs)
        if type(result) in (list, tuple, set, frozenset, dict, str, bytes) and len(result) > MAX_ITEMS:
            raise Unsealable("constant too large")
        return result

    def _callee(self, func):
        if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name) and func.value.id in _MODULES):
            owner = self.eval(func.value)
            if func.attr in _SAFE_METHODS.get(type(owner), ()):
                return getattr(owner, func.attr)
            raise Unsealable("method %s" % func.attr)
        return self.eval(func)

    def _iterate(self, value):
        for item in value:
            self.steps -= 1
            if self.steps < 0:
                raise Unsealable("too much work for a constant")
            yield item

    def _comprehension(self, generators, produce):
        saved = dict(self.env)
        try:
            yield from self._loops(generators, 0, produce)
        finally:
            self.env = saved

    def _loops(self, generators, depth, produce):
        if depth == len(generators):
            yield produce()
            return
        generator = generators[depth]
        if generator.is_async:
            raise Unsealable("async comprehension")
        for item in self._iterate(self.eval(generator.iter)):
            self._bind(generator.target, item)
            if all(self.eval(condition) for condition in generator.ifs):
                yield from self._loops(generators, depth + 1, produce)

    def _bind(self, target, value):
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = list(value)
            if len(values) != len(target.elts):
                raise ValueError("cannot unpack %d values into %d names" % (len(values), len(target.elts)))
            for element, item in zip(target.elts, values):
                self._bind(element, item)
        else:
            raise Unsealable("assignment target %s" % type(target).__name__)

    def _ListComp(self, node):
        return list(self._comprehension(node.generators, lambda: self.eval(node.elt)))

    def _GeneratorExp(self, node):
        return iter(list(self._comprehension(node.generators, lambda: self.eval(node.elt))))

    def _SetComp(self, node):
        return set(self._comprehension(node.generators, lambda: self.eval(node.elt)))

    def _DictComp(self, node):
        return dict(self._comprehension(node.generators, lambda: (self.eval(node.key), self.eval(node.value))))


# ---------------------------------------------------------------------------------------------
# Plans.
# ---------------------------------------------------------------------------------------------

class Sealed:
    """One call of a program function, checked here by evaluating the assertion on its result."""

    kind = "sealed"

    def __init__(self, function, args, kwargs, wrapper, check, env, modules, source, message):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.wrapper = wrapper  # None or (builtin name, extra args, extra kwargs)
        self.check = check  # the assert's test expression, with RESULT in place of the call
        self.env = env
        self.modules = modules
        self.source = source
        self.message = message
        self.call_text = None
        self.line = 1
        # For `RESULT == constant` (either order): the constant, and its bytes for the fast path.
        self.has_expected = False
        self.expected = None
        self.expected_bytes = None

    def judge(self, value):
        """None when the assertion holds, else ('fail' | 'error', exception info)."""
        try:
            if self.has_expected:
                ok = value == self.expected
            else:
                evaluator = ConstantEvaluator(self.env, self.modules, _perf() + JUDGE_SECONDS)
                evaluator.env[RESULT] = value
                ok = bool(evaluator.eval(self.check))
        except Unsealable as why:
            return "error", _info("JudgeError", "the assertion could not be evaluated: %s" % why)
        except RecursionError:
            return "error", _info("RecursionError", "the result is nested too deeply to compare")
        except Exception as exc:
            return "error", _info(type(exc).__name__, _text(exc))
        if ok:
            return None
        return "fail", _info("AssertionError", self.explain(value), self.line)

    def explain(self, value):
        got = "%s returned %s" % (self.call_text, plain.short_repr(value))
        if self.message is not None:
            return "%s (%s)" % (self.message, got)
        if self.has_expected:
            return "%s, expected %s" % (got, plain.short_repr(self.expected))
        return "%s, and `%s` does not hold" % (got, _one_line(self.source))


class Cases:
    """Many inputs of one function, judged by an oracle against expected outputs (EvalPlus)."""

    kind = "cases"

    def __init__(self, function, inputs, expected, oracle, atol, wrapper, reference):
        self.function = function
        self.inputs = inputs
        self.expected = expected  # None until computed from `reference`
        self.expected_bytes = None
        self.oracle = oracle
        self.atol = atol
        self.wrapper = wrapper
        self.reference = reference  # {"source", "function"} when outputs come from a reference function

    def prepare_fast(self):
        """The expected outputs' encodings, so that an output with the same bytes passes undecoded;
        not for oracles that never accept an output for equalling the expected one."""
        if self.oracle in oracles.NOT_BY_EQUALITY:
            return
        self.expected_bytes = [None if isinstance(value, plain.Digest) else plain.fast_bytes(value)
                               for value in self.expected]


class Runner:
    kind = "runner"

    def __init__(self, source):
        self.source = source


class Statement:
    kind = "statement"

    def __init__(self, source, reason):
        self.source = source
        self.reason = reason


def _info(kind, message, line=None):
    return frames.exception_info(kind, message, line, "test" if line else None)


def _text(exc):
    try:
        return str(exc)[:frames.MESSAGE_CHARS]
    except Exception:
        return "<unprintable>"


def _one_line(source):
    text = " ".join(source.split())
    return text if len(text) <= 160 else text[:157] + "..."


_SETUP_MODULES = frozenset(("math", "sys", "random", "string", "copy", "collections", "itertools", "functools",
                            "re", "heapq", "typing", "fractions", "decimal", "numpy"))


class _Planner:
    def __init__(self, entry, reference_names, functions=()):
        self.entry = entry
        self.reference_names = reference_names
        # Every function of the program the tests are about: calls of any of them are sealed, in a
        # test of one call or forwarded from the test process.
        self.functions = frozenset(functions) | (frozenset((entry,)) if entry else frozenset())

    def plan(self, source):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return Statement(source, "does not parse: %s" % type(exc).__name__)
        try:
            return self._sealed(source, tree)
        except Unsealable as why:
            reason = str(why)
        except RecursionError:
            reason = "too deeply nested"
        except Exception as exc:  # a constant part raised: the statement decides what that means
            reason = "a constant part raised %s" % type(exc).__name__
        if self._runnable(tree):
            return Runner(source)
        return Statement(source, reason)

    def _sealed(self, source, tree):
        modules = set()
        evaluator = ConstantEvaluator()
        body = tree.body
        for statement in body[:-1]:
            if isinstance(statement, ast.Import) and all(alias.asname is None for alias in statement.names):
                modules.update(alias.name for alias in statement.names)
            elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Name):
                continue  # a bare name such as `print`: no effect
            elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                evaluator.modules = modules
                self._reject_program_names(statement.value)
                evaluator._bind(statement.targets[0], evaluator.eval(statement.value))
            else:
                raise Unsealable("setup statement %s" % type(statement).__name__)
        last = body[-1] if body else None
        if not isinstance(last, ast.Assert):
            raise Unsealable("not an assert")
        evaluator.modules = modules
        for name in list(evaluator.env):
            if name in self.functions:
                raise Unsealable("the test rebinds %s, a function of the program" % name)
        call, parent = self._program_call(last.test, evaluator.env, modules)
        if call is None:
            raise Unsealable("no call of a program function")
        args = tuple(evaluator._items(call.args))
        kwargs = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                raise Unsealable("**kwargs in the call")
            kwargs[keyword.arg] = evaluator.eval(keyword.value)
        self._check_plain((args, kwargs))
        wrapper = None
        target = call
        implicit = self._implicit_wrapper(last.test, call, parent)
        if implicit is not None:
            wrapper = (implicit, (), {})
        elif (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name)
                and parent.func.id in CHILD_WRAPPERS and parent.func.id not in evaluator.env
                and parent.func.id not in self.functions and parent.args and parent.args[0] is call
                and not any(isinstance(arg, ast.Starred) for arg in parent.args)):
            extra = tuple(evaluator.eval(arg) for arg in parent.args[1:])
            extra_kwargs = {keyword.arg: evaluator.eval(keyword.value) for keyword in parent.keywords
                            if keyword.arg is not None}
            if len(extra_kwargs) != len(parent.keywords):
                raise Unsealable("**kwargs in a wrapper")
            self._check_plain((extra, extra_kwargs))
            wrapper = (parent.func.id, extra, extra_kwargs)
            target = parent
        check = _Replace(target).visit(_copy(last.test))
        message = None
        if last.msg is not None:
            # Python builds the message only when the assertion fails; one that calls the program (or
            # raises) changes what the statement does then, so only a constant message is sealed.
            for node in ast.walk(last.msg):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and self._is_program(
                        node.func.id, evaluator.env):
                    raise Unsealable("the assertion's message calls the program")
            message = str(evaluator.eval(last.msg))[:500]
        plan = Sealed(call.func.id, args, kwargs, wrapper, check, evaluator.env, modules, source, message)
        plan.line = last.lineno
        plan.call_text = _one_line(ast.unparse(target))[:300]
        self._expected_side(plan, check, evaluator)
        # Everything but the call must evaluate here: try once with a placeholder to find unknown names.
        _names_known(check, evaluator.env, modules, self.functions)
        return plan

    @staticmethod
    def _implicit_wrapper(test, call, parent):
        """When only the truth (`assert f(x)`, `assert not f(x)`) or the None-ness (`f(x) is None`) of the
        result matters, the child reduces it to that, as the statement would: a regex Match object
        then passes `assert f(x)` here too."""
        if test is call or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not) and test is parent):
            return "bool"
        if (isinstance(parent, ast.Compare) and parent is test and parent.left is call and len(parent.ops) == 1
                and isinstance(parent.ops[0], (ast.Is, ast.IsNot)) and isinstance(parent.comparators[0], ast.Constant)
                and parent.comparators[0].value is None):
            return "__none_flag__"
        return None

    @staticmethod
    def _expected_side(plan, check, evaluator):
        """For `RESULT == constant` (either order), the constant, so equal bytes can pass at once."""
        if not (isinstance(check, ast.Compare) and len(check.ops) == 1 and isinstance(check.ops[0], ast.Eq)):
            return
        left, right = check.left, check.comparators[0]
        if isinstance(left, ast.Name) and left.id == RESULT:
            other = right
        elif isinstance(right, ast.Name) and right.id == RESULT:
            other = left
        else:
            return
        value = evaluator.eval(other)
        try:
            plain.encode(value, 1 << 30)
        except plain.NotPlain:
            return
        plan.has_expected = True
        plan.expected = value
        plan.expected_bytes = plain.fast_bytes(value)

    def _program_call(self, expression, env, modules):
        """The one call of a program function in `expression`, and its parent node."""
        found = []
        parents = {}
        for node in ast.walk(expression):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and self._is_program(node.func.id, env):
                found.append(node)
            elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
                raise Unsealable("%s in the assertion" % type(node).__name__)
        if len(found) != 1:
            raise Unsealable("%d calls of program functions" % len(found))
        call = found[0]
        for node in ast.walk(call):
            if node is not call and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and self._is_program(node.func.id, env):
                raise Unsealable("nested program calls")
        return call, parents.get(call)

    def _is_program(self, name, env):
        """A called name means the program's function when it is one of the functions the tests are
        about, or any name that is neither bound by the test nor a builtin (a test that calls `sum`
        means the real one, unless the program's entry point, or one of them, is called `sum`)."""
        if name in self.functions:
            return True
        return name not in env and name not in _BUILTIN_NAMES

    def _reject_program_names(self, node):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.functions:
                raise Unsealable("setup calls the program")

    @staticmethod
    def _check_plain(value):
        try:
            plain.encode(value, 1 << 30)
        except plain.NotPlain as why:
            raise Unsealable("an argument is not plain data: %s" % why)

    def _runnable(self, tree):
        """A statement the test process can run: every free name is known without the program, and it
        calls a program function. One that only refers to it (`callable(f)`, `f.__name__`) has no call to
        seal, and would see the test process's stand-in instead of the function."""
        if self.entry is None:
            return False
        bound = set()
        used = set()
        calls = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in self.functions:
                calls = True
            if isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                bound.add(node.name)
                for arg in ast.walk(node.args) if hasattr(node, "args") else ():
                    if isinstance(arg, ast.arg):
                        bound.add(arg.arg)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
        if not calls or bound & self.functions:
            return False
        free = used - bound - self.functions - set(dir(builtins))
        return free <= self.reference_names


class _Replace(ast.NodeTransformer):
    def __init__(self, target):
        self.target = target

    def visit(self, node):
        if node is self.target or getattr(node, "_nxt_original", None) is self.target:
            return ast.copy_location(ast.Name(id=RESULT, ctx=ast.Load()), node)
        return super().visit(node)


def _copy(node):
    """A deep copy that remembers, for each copied node, the node it was copied from."""
    clone = type(node)()
    clone._nxt_original = node
    for field, value in ast.iter_fields(node):
        if isinstance(value, ast.AST):
            setattr(clone, field, _copy(value))
        elif isinstance(value, list):
            setattr(clone, field, [_copy(item) if isinstance(item, ast.AST) else item for item in value])
        else:
            setattr(clone, field, value)
    for attribute in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(node, attribute):
            setattr(clone, attribute, getattr(node, attribute))
    return clone


def _names_known(check, env, modules, functions):
    bound = {node.id for node in ast.walk(check) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    for node in ast.walk(check):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in (RESULT,) or node.id in env or node.id in bound or (node.id in _SAFE_FUNCTIONS and node.id not in functions) \
                    or (node.id in modules and node.id in _MODULES):
                continue
            raise Unsealable("name %s" % node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in _MODULES:
            if node.value.id not in modules or node.attr not in _MODULES[node.value.id]:
                raise Unsealable("attribute %s.%s" % (node.value.id, node.attr))


def top_level_names(source):
    """Names a program defines at its top level (functions, classes, assignments, imports)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(sub.id for sub in ast.walk(target) if isinstance(sub, ast.Name))
    return frozenset(names)


def plan_tests(tests, entry=None, reference=None, sealing=True, functions=()):
    """One plan per test (a statement string or a case batch dict). `entry` is the function runner
    tests may call; `functions` are further functions of the program that tests call (sealed calls,
    names of builtins included)."""
    planner = _Planner(entry, top_level_names(reference) if reference else frozenset(), functions)
    plans = []
    for test in tests:
        if isinstance(test, dict):
            plans.append(plan_cases(test))
        elif not sealing:
            plans.append(Statement(test, "sealing is off"))
        else:
            plans.append(planner.plan(test))
    return plans


def plan_cases(batch):
    """A case batch from its JSON form; inputs and expected outputs are Python literals."""
    inputs = _literal(batch["inputs"], "inputs")
    if not isinstance(inputs, list) or not all(isinstance(item, (list, tuple)) for item in inputs):
        raise ValueError("a case batch's inputs must be a list of argument lists")
    inputs = [tuple(item) for item in inputs]
    expected = None
    if batch.get("expected") is not None:
        expected = _literal(batch["expected"], "expected outputs")
        if not isinstance(expected, list) or len(expected) != len(inputs):
            raise ValueError("a case batch needs one expected output per input")
    elif not batch.get("reference"):
        raise ValueError("a case batch needs expected outputs or a reference function")
    oracle = batch.get("oracle", "evalplus")
    wrapper = {"set-equal": ("set", (), {}), "not-none": ("__not_none__", (), {})}.get(oracle)
    plan = Cases(batch["function"], inputs, expected, oracle, float(batch.get("atol", 0)), wrapper,
                 batch.get("reference"))
    if expected is not None:
        plan.prepare_fast()
    return plan


class _FloatNames(ast.NodeTransformer):
    """`inf` and `nan` as repr() writes them (EvalPlus's files have them bare) become float constants."""

    def visit_Name(self, node):
        if node.id in ("inf", "nan"):
            return ast.copy_location(ast.Constant(float(node.id)), node)
        return node


def _literal(text, what):
    try:
        return ast.literal_eval(text)
    except ValueError:
        pass  # maybe bare inf / nan: parse again and replace them (slower, so only when needed)
    except (SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError("a case batch's %s are not a Python literal (%s)" % (what, type(exc).__name__))
    try:
        return ast.literal_eval(_FloatNames().visit(ast.parse(text, mode="eval")))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError("a case batch's %s are not a Python literal (%s)" % (what, type(exc).__name__))
