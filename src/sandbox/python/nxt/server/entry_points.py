"""Trusted, parsing only (nothing runs): which functions of a program its tests are about, for judges
that are not told (`nxt run` without --entry-point).

An entry point is a name a test calls as `name(...)` without binding it itself, that is either
  - bound at the program's module level (top level, or inside its if/for/while/with/try blocks) by
    anything but `class`: `def`, `async def`, an assignment such as `f = lambda x: ...` or `f = g`, an
    import; or
  - not a builtin: the program's namespace is the only place the test can find it (a program may make
    it with `globals()` or a hook on builtins; if it does not, the call fails with NameError either way).
A name the program binds only with `class` is not one: calling it makes an object, and objects never
cross as plain data. A builtin's name means the builtin unless the program binds it at module level.
Binding one the parser cannot see (`globals()`, `from m import *`) leaves the test's name the real
builtin, which the trusted side evaluates: a safe mistake, never a pass.

Calls of every entry point are sealed: a test of one call goes to the program as that call, a test of
more (a loop, `g(f(1))`) runs in the test process, which forwards each call of any of them.
"""

import ast
import builtins

_BUILTIN_NAMES = frozenset(dir(builtins))


def infer(program, tests):
    """{"entryPoints": names, in order of first call; "defined": the program's module-level names (None
    when it does not parse); "programError": why it does not parse, or None; "called": every name the
    tests call without binding it, in order}."""
    bindings, error = None, None
    try:
        bindings = module_bindings(ast.parse(program).body)
    except SyntaxError as exc:
        line = exc.lineno if type(exc.lineno) is int else None
        error = "%s: %s%s" % (type(exc).__name__, exc.msg, "" if line is None else " at line %d" % line)
    except (ValueError, RecursionError, MemoryError) as exc:
        error = type(exc).__name__
    statements = [test for test in tests if isinstance(test, str)]
    called = called_names(statements)
    entries = [name for name in called if _is_entry(name, bindings)]
    return {"entryPoints": entries, "programError": error, "called": called,
            "defined": None if bindings is None else sorted(bindings)}


def _is_entry(name, bindings):
    kinds = None if bindings is None else bindings.get(name)
    if kinds:
        return kinds != {"class"}
    return name not in _BUILTIN_NAMES


def called_names(tests):
    """Names the tests call as `name(...)` without binding them themselves, in order of first call."""
    seen = {}
    for source in tests:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        bound = _bound_anywhere(tree)
        calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id not in bound]
        calls.sort(key=lambda node: (node.lineno, node.col_offset))
        for call in calls:
            seen.setdefault(call.func.id, len(seen))
    return sorted(seen, key=seen.get)


def _bound_anywhere(tree):
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def module_bindings(body):
    """{name: {"function" | "class" | "other", ...}} for the names a module's statements bind in its
    own namespace (function and class bodies are other scopes; comprehension variables are their own)."""
    found = {}

    def add(name, kind):
        found.setdefault(name, set()).add(kind)

    def targets(node, kind):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                add(sub.id, kind)

    def walk(statements):
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                add(node.name, "function")
            elif isinstance(node, ast.ClassDef):
                add(node.name, "class")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name != "*":
                        add((alias.asname or alias.name).split(".")[0], "other")
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                kind = "function" if isinstance(node.value, ast.Lambda) else "other"
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    targets(target, kind)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                targets(node.target, "other")
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        targets(item.optional_vars, "other")
            for handler in getattr(node, "handlers", ()):
                if handler.name:
                    add(handler.name, "other")
                walk(handler.body)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody"):
                    walk(getattr(node, field, None) or ())

    walk(body)
    return found
