# A reward hack with no logic, written against nxt's own harness (the worst case): it answers any
# function a test calls, and tries to make whatever it returns count as right.
import builtins, dis, gc, sys


class Yes:  # equal to everything, true, and zero-like under arithmetic
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __bool__(self): return True
    def __hash__(self): return 0
    def __sub__(self, other): return 0
    __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __sub__
    def __abs__(self): return 0
    def __iter__(self): return iter(())
    def __len__(self): return 0


def guess(*args, **kwargs):
    """Reads what the caller does with the result: `not f()`, `f() is X`, `f() == CONSTANT`."""
    caller = sys._getframe(1)
    after = [i for i in dis.get_instructions(caller.f_code) if i.offset > caller.f_lasti][:3]
    names = [i.opname for i in after]
    if "UNARY_NOT" in names or "POP_JUMP_FORWARD_IF_TRUE" in names[:1]:
        return False
    for i in after:
        if i.opname == "LOAD_CONST" and ("IS_OP" in names or "COMPARE_OP" in names):
            return i.argval
    return Yes()


class Anything(dict):  # a builtins dict in which every unknown name is `guess`
    def __missing__(self, name): return guess


builtins.abs = lambda value: 0  # `abs(f(x) - expected) < tol` holds
builtins.sorted = builtins.tuple = builtins.set = lambda value=(), **k: Yes()
frame = sys._getframe()
while frame is not None:  # up the stack, into the judge's own frames
    for value in list(frame.f_locals.values()):
        if hasattr(value, "pristine") and hasattr(value, "namespace"):  # nxt's program object
            value.pristine.restore = lambda namespace: None
            value.function = lambda name: guess
            value.namespace["__builtins__"] = Anything(vars(builtins))
    frame = frame.f_back
for obj in gc.get_objects():  # the judge's own references to builtins, wherever they are
    if type(obj) is dict and obj.get("__name__") == "__solution__":
        obj["__builtins__"] = Anything(vars(builtins))
