"""nxt tracer: records a NExT execution trace of one test, inside the sandbox child.

Runs in the program's process (child/program.py). Traces every frame whose code comes from the
program (`<program>`) or the test (`<test N>`): helpers, nested functions, methods, recursion,
comprehensions, generators. Standard-library frames are never traced.

Cost is bounded: values are shown with a bounded repr (characters, items, depth, and a time budget for
user-defined __repr__), change detection compares those bounded reprs, and tracing switches itself off
after `maxSteps` state changes, `maxEvents` events, `maxChars` characters of values or `maxSeconds`.
Events go out in chunks, so a trace survives a program that is killed afterwards; the chunks of one run
stay within `limits(config)` (protocol/traces.py: the program's process drops a chunk that would pass
its bytes or brackets, and recording ends, marked "size"). The server refuses a trace over them as
forged (server/trace_records.py).

The tracer's own calls use the program's stack. When the program has used up nearly all of it, the
tracer's work raises RecursionError: recording ends there, marked "stack", doing nothing that needs more
stack. A test that ends in an exception the recording did not follow to its end (recording stopped
early, for any reason) still gets it, from the traceback once the stack is free again: at the deepest
recorded frame it passed through and at the test (or program) statement, as if it had been followed.

Event records are compact lists: [kind, call, line, step, changes, extra]
  kind     "c" call (changes = the arguments), "l" a line finished (changes = what it changed),
           "r" return (extra = repr of the value), "y" yield (extra = repr), "x" exception
           (extra = [type, message, repr]); step is -1 for a line that changed nothing.
Frames: [call, function, depth, parent call or -1, source ("program"|"test"), defLine].
"""

import dis as _dis
import collections as _collections
import re as _re
import signal as _signal
import sys as _sys
import time as _time

from nxt.protocol.traces import CHUNK_EVENTS, DEFAULT_MAX_CHARS, DEFAULT_MAX_EVENTS

# Captured at load, before the program's process wraps sys.settrace to catch programs that install tracers.
_settrace = _sys.settrace
_ADDRESS = _re.compile(r" at 0x[0-9a-fA-F]+")
_YIELD = _dis.opmap["YIELD_VALUE"]
_COMPREHENSIONS = frozenset(("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"))
_SCALARS = (int, float, complex, bool, type(None), str, bytes, range)
_SCALAR_TYPES = frozenset(_SCALARS)
_NUMBERS = frozenset((int, float, bool, type(None)))
_NUMBERS_AND_TEXT = frozenset((int, float, bool, type(None), str))
_HIDDEN_TYPES = (type(_sys), type(len), type(lambda: 0), type, staticmethod, classmethod, property)
_CODE_FLAGS_GENERATOR = 0x20 | 0x80 | 0x200  # generator, coroutine, async generator


_COLLECTIONS = (_collections.Counter, _collections.OrderedDict, _collections.defaultdict, _collections.deque)
_NAME_CHARS = 200  # longest function name recorded (a comprehension nested deep has a long qualname)
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_name_of = type.__dict__["__name__"].__get__
_C_METHODS = (type(object.__repr__), type(object().__repr__), type(len), type(str.join))


def _type_name(kind):
    try:
        return _type_name_of(kind)
    except BaseException:
        return "?"


def _lookup(kind, name):
    """`name` as the type defines it, found without running any of the program's code."""
    for klass in _type_mro(kind):
        members = _type_dict(klass)
        if name in members:
            return members[name]
    return None


def _exception_message(exc, shown):
    """An exception's message like str() gives it, without calling a __str__ the program wrote."""
    args = getattr(exc, "args", ()) if type(_lookup(type(exc), "__getattribute__")) in _C_METHODS else ()
    if type(args) is not tuple:
        return ""
    if len(args) == 1 and type(args[0]) is str and type(_lookup(type(exc), "__str__")) in _C_METHODS:
        return args[0][:1000]
    if not args:
        return ""
    return shown(args[0] if len(args) == 1 else args)[:1000]


class _ReprTimeout(BaseException):
    pass


def _on_alarm(_sig, _frame):
    raise _ReprTimeout()


class BoundedRepr:
    """repr() with bounded output and bounded work; never raises, never shows memory addresses."""

    def __init__(self, chars, items, depth=6, seconds=0.05):
        self.chars = chars
        self.items = items
        self.depth = depth
        self.seconds = seconds

    def __call__(self, value):
        text = self._fast(value)
        if text is None:
            text = self._repr(value, self.chars, 0, ())
        if len(text) > self.chars:
            text = text[: self.chars] + "..."
        return text

    def _fast(self, value):
        """C-speed repr for the common case: a small flat container of numbers or short strings."""
        kind = type(value)
        if kind is list or kind is tuple or kind is set or kind is frozenset:
            if len(value) > self.items:
                return None
            types = set(map(type, value))
        elif kind is dict:
            if len(value) > self.items:
                return None
            types = set(map(type, value)) | set(map(type, value.values()))
        else:
            return None
        if types <= _NUMBERS:
            try:
                return repr(value)
            except ValueError:  # an int too long to print
                return None
        if types <= _NUMBERS_AND_TEXT and kind is not dict:
            if sum(map(len, (item for item in value if type(item) is str))) <= self.chars:
                return repr(value)
        return None

    def _repr(self, value, room, depth, path):
        kind = type(value)
        if kind is int:
            if value.bit_length() > 3000:
                return "<int of %d bits>" % value.bit_length()
            return int.__repr__(value)
        if kind is bool or kind is float or kind is complex or value is None:
            return repr(value)
        if kind is str:
            if len(value) > room:
                return str.__repr__(value[:room]) + "..."
            return str.__repr__(value)
        if kind is bytes or kind is bytearray:
            if len(value) > room:
                return repr(value[:room]) + "..."
            return repr(value)
        if kind in (list, tuple, set, frozenset, dict):
            return self._container(value, kind, room, depth, path)
        return self._generic(value, room, depth, path)

    def _container(self, value, kind, room, depth, path):
        key = id(value)
        if kind is dict:
            opening, closing = "{", "}"
        elif kind is list:
            opening, closing = "[", "]"
        elif kind is tuple:
            opening, closing = "(", ")"
        elif kind is frozenset:
            opening, closing = "frozenset({", "})"
        else:
            opening, closing = "{", "}"
        if key in path:
            return opening + "..." + closing
        if not value:
            return {set: "set()", frozenset: "frozenset()"}.get(kind, opening + closing)
        if depth >= self.depth:
            return opening + "..." + closing
        parts = []
        used = len(opening) + len(closing)
        inner = path + (key,)
        iterator = iter(value.items()) if kind is dict else iter(value)
        count = 0
        for item in iterator:
            if count >= self.items or used >= room:
                parts.append("...")
                break
            if kind is dict:
                text = self._repr(item[0], room - used, depth + 1, inner) + ": " + self._repr(
                    item[1], room - used, depth + 1, inner)
            else:
                text = self._repr(item, room - used, depth + 1, inner)
            parts.append(text)
            used += len(text) + 2
            count += 1
        body = ", ".join(parts)
        if kind is tuple and len(value) == 1 and count == 1:
            body += ","
        return opening + body + closing

    def _generic(self, value, room, depth=0, path=()):
        """Other objects. A repr written in Python is the program's code: running it while tracing
        could change what the program does (a __repr__ with side effects), so such objects are shown
        by their class, namedtuples and exceptions by their fields. C-level reprs run, with a timer."""
        kind = type(value)
        method = _lookup(kind, "__repr__")
        if issubclass(kind, BaseException):
            args = getattr(value, "args", ()) if type(_lookup(kind, "__getattribute__")) in _C_METHODS else ()
            inner = self._repr(args, room, 1, ()) if type(args) is tuple else "..."
            if type(args) is tuple and len(args) == 1:
                inner = inner[1:-2] if inner.endswith(",)") else inner[1:-1]
            elif type(args) is tuple:
                inner = inner[1:-1]
            return "%s(%s)" % (_type_name(kind), inner)
        if kind in _COLLECTIONS:  # their reprs would call the items' reprs: shown through ours
            if kind is _collections.deque:
                inner = self._container(list(value), list, room, depth, path)
            else:
                inner = self._container(dict(dict.items(value)), dict, room, depth, path)
            if kind is _collections.defaultdict:
                factory = value.default_factory
                inner = "%s, %s" % (_type_name(factory) if type(factory) is type else "...", inner)
            return "%s(%s)" % (_type_name(kind), inner)
        if type(method) not in _C_METHODS:
            fields = _lookup(kind, "_fields")
            if issubclass(kind, tuple) and type(fields) is tuple and all(type(f) is str for f in fields):
                items = tuple.__iter__(value)
                parts = ["%s=%s" % (field, self._repr(item, room, 1, ())) for field, item in zip(fields, items)]
                text = "%s(%s)" % (_type_name(kind), ", ".join(parts))
            else:
                text = "<%s object>" % _type_name(kind)
            return text[:room] + "..." if len(text) > room else text
        previous = _signal.signal(_signal.SIGALRM, _on_alarm)
        _signal.setitimer(_signal.ITIMER_REAL, self.seconds)
        try:
            text = repr(value)
            if not isinstance(text, str):
                text = "<repr of %s is not a string>" % type(value).__name__
        except _ReprTimeout:
            text = "<repr of %s took too long>" % type(value).__name__
        except BaseException as exc:  # a __repr__ that raises must not break the trace
            text = "<repr of %s failed: %s>" % (type(value).__name__, type(exc).__name__)
        finally:
            _signal.setitimer(_signal.ITIMER_REAL, 0)
            _signal.signal(_signal.SIGALRM, previous)
        text = _ADDRESS.sub("", text)
        if len(text) > room:
            text = text[:room] + "..."
        return text


class _Frame:
    __slots__ = ("frame", "call", "source", "values", "last_line", "raised", "comprehension", "globals")

    def __init__(self, frame, call, source, comprehension, tracked_globals):
        self.frame = frame
        self.call = call
        self.source = source
        self.values = {}  # name -> (object, shown repr)
        self.last_line = None
        self.raised = False
        self.comprehension = comprehension
        self.globals = tracked_globals


def _shown(name, value):
    # type(), not isinstance(): isinstance consults a __class__ the program may define (and make raise).
    return not (name[:1] == "." or (name[:2] == "__" and name[-2:] == "__") or issubclass(type(value), _HIDDEN_TYPES))


class Tracer:
    """A sys.settrace tracer for one test. `flush(payload)` receives the chunks."""

    def __init__(self, config, sources, flush):
        self.repr = BoundedRepr(config.get("valueChars", 1000), config.get("valueItems", 100))
        self.max_steps = config.get("maxSteps", 1000)
        self.max_events = config.get("maxEvents", DEFAULT_MAX_EVENTS)
        self.max_chars = config.get("maxChars", DEFAULT_MAX_CHARS)
        self.deadline = _time.perf_counter() + config.get("maxSeconds", 5.0)
        self.sources = sources  # filename -> list of source lines
        self.flush_out = flush
        self.step = 0
        self.events = []
        self.new_frames = []
        self.chars = 0
        self.event_count = 0
        self.next_call = 0
        self.stack = []
        self.states = {}
        self.def_lines = {}
        self.global_names = {}
        self.truncated = None
        self.closed_after = None  # events recorded when the closing payload went out
        self.tampered = False

    # -- installing ----------------------------------------------------------------------------

    def start(self):
        _settrace(self.on_call)

    def stop(self, reason=None):
        if reason is not None and self.truncated is None:
            self.truncated = reason
        _settrace(None)
        for state in self.stack:
            state.frame.f_trace = None
        self.stack = []
        self.flush()
        # Said now: the program may run on untraced until it is killed, and this must not be lost.
        self.flush_out(self._closing())
        self.closed_after = self.event_count

    def _closing(self):
        return {"k": "trace_end", "truncated": self.truncated, "steps": self.step, "events": self.event_count}

    def finish(self):
        """Ends tracing; returns the closing payload, or None when `stop` already sent it and nothing
        was recorded since (a second one replaces the first)."""
        _settrace(None)
        self.flush()
        return None if self.closed_after == self.event_count else self._closing()

    def follow_to_end(self, exc):
        """The end of an exception the recording stopped before following out: an exception event at
        the deepest recorded frame it passed through and at the outermost one (the test statement),
        each unless already recorded there. Read from the traceback; outside the caps (two events)."""
        path = []
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            state = self.states.get(id(frame))
            if state is not None and state.frame is frame and not state.raised:
                path.append((state, tb.tb_lineno))
            tb = tb.tb_next
        ends = [path[-1], path[0]] if len(path) > 1 else path
        for state, line in ends:
            state.raised = True
            self.events.append(self._exception_record(state, line, type(exc), exc))
            self.event_count += 1

    def flush(self):
        if self.events or self.new_frames:
            sent = self.flush_out({"k": "trace", "frames": self.new_frames, "events": self.events})
            self.events = []
            self.new_frames = []
            if sent is False and self.truncated is None:  # over the bytes of a trace: recording ends
                self.stop("size")

    # -- recording -----------------------------------------------------------------------------

    def _emit(self, record):
        if self.truncated is not None:
            return  # recording has ended (a frame may still finish what it was doing)
        self.events.append(record)
        self.event_count += 1
        if len(self.events) >= CHUNK_EVENTS:
            self.flush()
            if self.truncated is not None:
                return
        if self.event_count >= self.max_events:
            self.stop("events")
        elif self.step >= self.max_steps:
            self.stop("steps")
        elif self.chars >= self.max_chars:
            self.stop("size")
        elif self.event_count % 256 == 0 and _time.perf_counter() > self.deadline:
            self.stop("time")

    def _next_step(self):
        step = self.step
        self.step += 1
        return step

    def _def_line(self, code, source_name):
        key = code
        line = self.def_lines.get(key)
        if line is None:
            line = code.co_firstlineno
            lines = self.sources.get(source_name, [])
            index = line - 1
            while 0 <= index < len(lines) and lines[index].lstrip().startswith("@"):
                index += 1
            if 0 <= index < len(lines):
                line = index + 1
            self.def_lines[key] = line
        return line

    def _tracked_globals(self, code, frame_globals):
        names = self.global_names.get(code)
        if names is None:
            names = tuple(
                name for name in code.co_names
                if name in frame_globals and _shown(name, frame_globals[name]) and name not in code.co_varnames
            )
            self.global_names[code] = names
        return names

    def _changes(self, state):
        """Variables whose shown value differs from the last snapshot, as [name, repr] pairs."""
        frame = state.frame
        changes = []
        values = state.values
        current = frame.f_locals
        if state.globals:
            merged = {name: frame.f_globals[name] for name in state.globals if name in frame.f_globals}
            merged.update(current)
            current = merged
        scalar = _SCALAR_TYPES
        for name, value in current.items():
            old = values.get(name)
            if old is None:
                if name[:1] == "." or (name[:2] == "__" and name[-2:] == "__") or issubclass(type(value), _HIDDEN_TYPES):
                    continue
            elif old[0] is value and type(value) in scalar:
                continue  # the hot path: an unchanged number or string
            text = self.repr(value)
            if old is not None and old[1] == text:
                if old[0] is not value:
                    values[name] = (value, text)
                continue
            values[name] = (value, text)
            self.chars += len(name) + len(text)
            changes.append([name, text])
            if self.chars >= self.max_chars:
                break  # one event must not carry more than the trace may: recording ends after it
        return changes

    def on_call(self, frame, event, arg):
        # An exception escaping a trace function would surface in the program as if it had raised it,
        # and switch tracing off unmarked: a fault of the tracer ends the trace, marked, instead.
        try:
            return self._on_call(frame)
        except RecursionError:
            # The stack may have no room left even for one call: the mark is set without one.
            self.truncated = self.truncated or "stack"
            try:
                return self._out_of_stack()
            except RecursionError:
                return None
        except BaseException:
            return self._fault()

    def on_event(self, frame, event, arg):
        try:
            return self._on_event(frame, event, arg)
        except RecursionError:
            self.truncated = self.truncated or "stack"
            try:
                return self._out_of_stack()
            except RecursionError:
                return None
        except BaseException:
            return self._fault()

    def _out_of_stack(self):
        """Ends recording where the stack ran out. Any call here may fail for want of
        stack; what fails is left to `finish`, which runs once the test is over: a failed flush writes
        nothing (the same depth lets all of it run or none), so nothing reaches the server half-sent."""
        try:
            _settrace(None)
            for state in self.stack:
                state.frame.f_trace = None
            self.flush()
        except RecursionError:
            pass
        return None

    def _fault(self):
        self.truncated = self.truncated or "fault"
        try:
            self.stop()
        except BaseException:
            _settrace(None)
        return None

    def _on_call(self, frame):
        code = frame.f_code
        filename = code.co_filename
        if filename != "<program>" and filename[:6] != "<test ":
            return None
        if self.truncated is not None:
            return None
        state = self.states.get(id(frame))
        if state is not None and state.frame is frame:  # a generator or coroutine resuming
            self.stack.append(state)
            return self.on_event
        source = "program" if filename == "<program>" else "test"
        is_module = code.co_name == "<module>"
        comprehension = code.co_name in _COMPREHENSIONS
        tracked = () if is_module else self._tracked_globals(code, frame.f_globals)
        state = _Frame(frame, self.next_call, source, comprehension, tracked)
        def_line = max(1, frame.f_lineno) if is_module or comprehension else self._def_line(code, filename)
        name = (code.co_qualname if hasattr(code, "co_qualname") else code.co_name)[:_NAME_CHARS]
        arguments = self._first_values(state, frame, is_module, tracked)
        # Registered only once its values are read: a frame the stack had no room for is left out whole.
        call = self.next_call
        self.next_call += 1
        self.states[id(frame)] = state
        parent = self.stack[-1].call if self.stack else -1
        self.chars += len(name)
        self.new_frames.append([call, name, len(self.stack), parent, source, def_line])
        self.stack.append(state)
        if is_module:
            return self.on_event
        if comprehension or not arguments:  # no arguments, no state change: no step
            self._emit(["c", call, def_line, -1, None, None])
        else:
            self._emit(["c", call, def_line, self._next_step(), arguments, None])
        return self.on_event

    def _first_values(self, state, frame, is_module, tracked):
        """Seeds a new frame's snapshot; returns its arguments as changes (none for a module)."""
        if is_module:
            # The test statement runs in the program's namespace: only what it changes is news.
            for name, value in frame.f_locals.items():
                if _shown(name, value):
                    state.values[name] = (value, self.repr(value))
            return []
        for name in tracked:  # globals the function uses: only their later changes are news
            if name in frame.f_globals:
                value = frame.f_globals[name]
                state.values[name] = (value, self.repr(value))
        return self._changes(state)

    def _on_event(self, frame, event, arg):
        if self.truncated is not None:
            return None
        state = self.states.get(id(frame))
        if state is None or state.frame is not frame:
            return None
        if event == "line":
            self._line_done(state)
            state.last_line = frame.f_lineno
            state.raised = False
        elif event == "return":
            self._on_return(state, frame, arg)
        elif event == "exception":
            self._line_done(state, frame.f_lineno)
            self._on_exception(state, frame, arg)
        return self.on_event

    def _line_done(self, state, line=None):
        finished = state.last_line if line is None else line
        if finished is None:
            return
        changes = self._changes(state)
        if changes:
            self._emit(["l", state.call, finished, self._next_step(), changes, None])
        else:
            self._emit(["l", state.call, finished, -1, None, None])
        if line is not None:
            state.last_line = None

    def _on_return(self, state, frame, value):
        self._line_done(state)
        state.last_line = None
        line = frame.f_lineno
        code = frame.f_code
        yielding = code.co_flags & _CODE_FLAGS_GENERATOR and frame.f_lasti >= 0 and \
            code.co_code[frame.f_lasti] == _YIELD
        if self.stack and self.stack[-1] is state:
            self.stack.pop()
        if yielding:
            text = self.repr(value)
            self.chars += len(text)
            self._emit(["y", state.call, line, self._next_step(), None, text])
            return
        self.states.pop(id(frame), None)
        if state.raised or state.comprehension or code.co_name == "<module>":
            return  # an exception propagating out, or a frame whose result its caller shows
        if value is None and code.co_flags & _CODE_FLAGS_GENERATOR:
            return  # a generator running out: its (None) result is not news
        text = self.repr(value)
        self.chars += len(text)
        self._emit(["r", state.call, line, self._next_step(), None, text])

    def _on_exception(self, state, frame, arg):
        exc_type, exc_value, _tb = arg
        if state.raised:
            return  # the same exception seen again while it unwinds this frame
        state.raised = True
        self._emit(self._exception_record(state, frame.f_lineno, exc_type, exc_value))

    def _exception_record(self, state, line, exc_type, exc_value):
        message = _exception_message(exc_value, self.repr)
        text = self.repr(exc_value)
        self.chars += len(text) + len(message)
        return ["x", state.call, line, self._next_step(), None, [_type_name(exc_type), message[:1000], text]]


def trace_test(namespace, source, filename, config, sources, flush):
    """Runs `source` (a test statement, or the program itself while it loads) compiled as `filename`,
    under the tracer. Returns (the exception it raised or None, the closing payload or None)."""
    try:
        code = compile(source, filename, "exec")
    except BaseException as exc:  # nothing ran: an outcome with an empty trace
        return exc, {"k": "trace_end", "truncated": None, "steps": 0, "events": 0}
    tracer = Tracer(config, sources, flush)
    seen = _sys.settrace

    def watched(function, _seen=seen):
        tracer.tampered = True  # the program removes or replaces our tracer: what follows is untraced
        return _seen(function)

    _sys.settrace = watched
    tracer.start()
    try:
        exec(code, namespace)
        outcome = None
    except BaseException as exc:  # reported by the caller like any test outcome
        outcome = exc
    finally:
        ours = _sys.gettrace() == tracer.on_call
        _settrace(None)
        _sys.settrace = seen
    if tracer.truncated is None and (tracer.tampered or not ours):
        # Python itself switches a tracer off when calling it overflows the stack.
        ran_out = issubclass(type(outcome), RecursionError) and not tracer.tampered
        tracer.truncated = "stack" if ran_out else "untraced"
    if tracer.truncated is not None and outcome is not None:
        try:
            tracer.follow_to_end(outcome)
        except BaseException:  # a value the tracer cannot show: the trace ends as recorded
            pass
    return outcome, tracer.finish()
