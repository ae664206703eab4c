"""nxt mutations: deterministic AST mutants of a (trusted) reference solution, for synthetic repair tasks.

Loaded with the server. Parsing and unparsing only: nothing of the source runs here.
Each mutant is one small change of one kind; sites are enumerated in AST walk order, so the same
source always yields the same list.
"""

import ast as _ast
import copy as _copy

_COMPARE_SWAP = {
    _ast.Lt: _ast.LtE, _ast.LtE: _ast.Lt, _ast.Gt: _ast.GtE, _ast.GtE: _ast.Gt,
    _ast.Eq: _ast.NotEq, _ast.NotEq: _ast.Eq, _ast.In: _ast.NotIn, _ast.NotIn: _ast.In,
    _ast.Is: _ast.IsNot, _ast.IsNot: _ast.Is,
}
_ARITH_SWAP = {
    _ast.Add: _ast.Sub, _ast.Sub: _ast.Add, _ast.Mult: _ast.FloorDiv, _ast.FloorDiv: _ast.Mult,
    _ast.Div: _ast.Mult, _ast.Mod: _ast.FloorDiv, _ast.Pow: _ast.Mult,
}
_BOOL_SWAP = {_ast.And: _ast.Or, _ast.Or: _ast.And}


def _sites(tree):
    """(kind, path, detail) for every mutable site, in a stable order."""
    found = []
    for index, node in enumerate(_ast.walk(tree)):
        if isinstance(node, _ast.Compare):
            for op_index, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAP:
                    found.append(("comparison-flip", index, op_index))
        elif isinstance(node, _ast.BinOp) and type(node.op) in _ARITH_SWAP:
            found.append(("arithmetic-operator", index, None))
        elif isinstance(node, _ast.BoolOp) and type(node.op) in _BOOL_SWAP:
            found.append(("boolean-operator", index, None))
        elif isinstance(node, (_ast.If, _ast.While, _ast.IfExp)):
            found.append(("negated-condition", index, None))
        elif isinstance(node, _ast.Call):
            if isinstance(node.func, _ast.Name) and node.func.id == "range" and node.args:
                found.append(("off-by-one", index, "range"))
            elif len(node.args) >= 2 and not any(isinstance(arg, _ast.Starred) for arg in node.args[:2]):
                found.append(("swapped-arguments", index, None))
        elif isinstance(node, _ast.Subscript) and not isinstance(node.slice, _ast.Slice):
            found.append(("off-by-one", index, "index"))
        elif isinstance(node, _ast.Constant) and type(node.value) in (int, bool) :
            found.append(("wrong-constant", index, None))
        elif isinstance(node, _ast.Return) and node.value is not None:
            found.append(("wrong-return", index, None))
        elif isinstance(node, _ast.Name) and isinstance(node.ctx, _ast.Load):
            found.append(("wrong-variable", index, None))
        if isinstance(node, (_ast.FunctionDef, _ast.For, _ast.While, _ast.If, _ast.With)):
            for field in ("body", "orelse"):
                body = getattr(node, field, None) or []
                if len(body) > 1:
                    for position, statement in enumerate(body):
                        if not isinstance(statement, (_ast.Return, _ast.FunctionDef)):
                            found.append(("dropped-statement", index, (field, position)))
    return found


def _local_names(tree):
    names = []
    for node in _ast.walk(tree):
        if isinstance(node, _ast.Name) and isinstance(node.ctx, _ast.Store) and node.id not in names:
            names.append(node.id)
        elif isinstance(node, _ast.arg) and node.arg not in names:
            names.append(node.arg)
    return names


def _apply(tree, kind, index, detail, names):
    node = list(_ast.walk(tree))[index]
    if kind == "comparison-flip":
        node.ops[detail] = _COMPARE_SWAP[type(node.ops[detail])]()
    elif kind == "arithmetic-operator":
        node.op = _ARITH_SWAP[type(node.op)]()
    elif kind == "boolean-operator":
        node.op = _BOOL_SWAP[type(node.op)]()
    elif kind == "negated-condition":
        node.test = _ast.UnaryOp(op=_ast.Not(), operand=node.test)
    elif kind == "off-by-one" and detail == "range":
        target = len(node.args) - 1 if len(node.args) <= 2 else 1
        node.args[target] = _ast.BinOp(left=node.args[target], op=_ast.Sub(), right=_ast.Constant(1))
    elif kind == "off-by-one":
        node.slice = _ast.BinOp(left=node.slice, op=_ast.Add(), right=_ast.Constant(1))
    elif kind == "swapped-arguments":
        node.args[0], node.args[1] = node.args[1], node.args[0]
    elif kind == "wrong-constant":
        node.value = (not node.value) if isinstance(node.value, bool) else node.value + 1
    elif kind == "wrong-return":
        node.value = _ast.UnaryOp(op=_ast.Not(), operand=node.value)
    elif kind == "wrong-variable":
        others = [name for name in names if name != node.id]
        if not others:
            return False
        node.id = others[sum(map(ord, node.id)) % len(others)]
    elif kind == "dropped-statement":
        field, position = detail
        del getattr(node, field)[position]
    return True


def mutants(source):
    """Every single-site mutant of `source`: [{"kind", "program"}] in a stable order; unparseable → []."""
    try:
        tree = _ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    names = _local_names(tree)
    original = _ast.dump(tree)
    out = []
    for kind, index, detail in _sites(tree):
        mutant = _copy.deepcopy(tree)
        try:
            if not _apply(mutant, kind, index, detail, names):
                continue
            _ast.fix_missing_locations(mutant)
            if _ast.dump(mutant) == original:
                continue
            out.append({"kind": kind, "program": _ast.unparse(mutant) + "\n"})
        except Exception:  # a mutation that does not fit this node: skip it
            continue
    return out


def normalize(source):
    """The syntax tree of `source` without positions, or None when it does not parse: equal for code
    that differs only in formatting and comments."""
    try:
        return _ast.dump(_ast.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
