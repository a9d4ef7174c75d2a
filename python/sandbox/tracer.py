"""Line-level execution traces in the EG-CFG compact format (spec section 2.3), built with sys.settrace.

Stdlib only.  One entry per step (event) of the traced user code, entries joined by a newline:

    <'=' * stack depth> <top frame's locals as a dict> , <dict of the locals' type names>
    <EVENT>: <source line text, stripped>
    Return Value: <repr>            (RETURN and EXCEPTION events only)

- EVENT is LINE, CALL, RETURN or EXCEPTION (sys.settrace's event names in upper case).
- Only frames whose code comes from the traced source (filename TRACED_FILENAME) are recorded; library code
  (imports, stdlib helpers) is run but not traced.  The stack depth counts those user frames only, so module-level
  code is depth 1 and the body of a function called from it is depth 2.
- The module frame's own CALL/RETURN events are left out (they carry no information: line 1 / value None);
  its LINE and EXCEPTION events are kept.
- For EXCEPTION, "Return Value" is the repr of the exception instance, e.g. ZeroDivisionError('division by zero').
- Dunder names (__name__, __builtins__, ...) are removed from the locals.  Memory addresses (" at 0x7f..."),
  module file paths (" from '/usr/lib/...'") and code-object file/line info (', file "...", line N') are removed.
  No line numbers are printed.
- Values are rendered with a bounded repr (reprlib with generous limits: identical to repr() for ordinary small
  values; containers beyond VALUE_LIMITS['maxlist'] items, strings beyond 'maxstring' chars, ints beyond 'maxlong'
  digits are abbreviated with '...').  A repr that raises is shown as <repr failed: ExcType>.

Limits (explicit, documented): at most `max_steps` entries (default 1000) and at most `max_chars` characters
(default 100_000) of trace text.  When either would be exceeded, tracing stops (the program keeps running to get its
verdict) and `truncated` is set; the entry that did not fit is not included.
"""
from __future__ import annotations

import itertools
import re
import reprlib
import sys

TRACED_FILENAME = "<program>"
DEFAULT_MAX_STEPS = 1000
DEFAULT_MAX_CHARS = 100_000
VALUE_LIMITS = dict(maxlevel=6, maxtuple=100, maxlist=100, maxarray=100, maxdict=100, maxset=100,
                    maxfrozenset=100, maxdeque=100, maxstring=500, maxlong=500, maxother=500)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_CODE_FILE = re.compile(r', file "[^"]*", line \d+')
_MODULE_FROM = re.compile(r" from '[^']*'")


class _BoundedRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        for k, v in VALUE_LIMITS.items():
            setattr(self, k, v)

    def repr_instance(self, x, level):  # user objects: their own repr, cut to maxother
        s = repr(x)
        if len(s) > self.maxother:
            s = s[: self.maxother - 3] + "..."
        return s

    # reprlib sorts dict keys and set items; repr() does not.  Keep the real iteration order.
    def repr_dict(self, x, level):
        if not x:
            return "{}"
        if level <= 0:
            return "{" + self.fillvalue + "}"
        pieces = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}"
                  for k, v in itertools.islice(x.items(), self.maxdict)]
        if len(x) > self.maxdict:
            pieces.append(self.fillvalue)
        return "{" + ", ".join(pieces) + "}"

    def repr_set(self, x, level):
        if not x:
            return "set()"
        return self._repr_iterable(x, level, "{", "}", self.maxset)

    def repr_frozenset(self, x, level):
        if not x:
            return "frozenset()"
        return self._repr_iterable(x, level, "frozenset({", "})", self.maxfrozenset)


_repr = _BoundedRepr()


def value_repr(value) -> str:
    try:
        return _repr.repr(value)
    except BaseException as e:  # noqa: BLE001 - a hostile __repr__ may raise anything
        return f"<repr failed: {type(e).__name__}>"


def clean(text: str) -> str:
    text = _ADDRESS.sub("", text)
    text = _CODE_FILE.sub("", text)
    return _MODULE_FROM.sub("", text)


def _is_dunder(name) -> bool:
    return isinstance(name, str) and len(name) > 4 and name.startswith("__") and name.endswith("__")


def render_locals(f_locals) -> str:
    values, types = [], []
    for name, value in list(f_locals.items()):
        if _is_dunder(name):
            continue
        values.append(f"{name!r}: {value_repr(value)}")
        types.append(f"{name!r}: {type(value).__name__!r}")
    return "{" + ", ".join(values) + "} , {" + ", ".join(types) + "}"


class Tracer:
    """sys.settrace hook.  Use: t = Tracer(source); sys.settrace(t.global_trace); exec(...); sys.settrace(None);
    then t.text() and t.truncated."""

    def __init__(self, source: str, filename: str = TRACED_FILENAME,
                 max_steps: int = DEFAULT_MAX_STEPS, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.lines = source.split("\n")
        self.filename = filename
        self.max_steps = max_steps
        self.max_chars = max_chars
        self.entries: list[str] = []
        self.chars = 0
        self.truncated = False
        self.done = False

    # --- settrace plumbing -------------------------------------------------------------------------------------
    def global_trace(self, frame, event, arg):
        if self.done or frame.f_code.co_filename != self.filename:
            return None
        if event == "call" and frame.f_code.co_name != "<module>":
            self._record(frame, "CALL")
        return self.local_trace

    def local_trace(self, frame, event, arg):
        if self.done:
            return None
        if event == "line":
            self._record(frame, "LINE")
        elif event == "return":
            if frame.f_code.co_name != "<module>":
                self._record(frame, "RETURN", value_repr(arg))
        elif event == "exception":
            self._record(frame, "EXCEPTION", value_repr(arg[1]))
        return self.local_trace

    # --- rendering -----------------------------------------------------------------------------------------------
    def _depth(self, frame) -> int:
        depth = 0
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                depth += 1
            frame = frame.f_back
        return depth

    def _source_line(self, lineno) -> str:
        if lineno is not None and 1 <= lineno <= len(self.lines):
            return self.lines[lineno - 1].strip()
        return ""

    def _record(self, frame, event: str, value: str | None = None) -> None:
        if len(self.entries) >= self.max_steps:
            self._stop()
            return
        entry = f"{'=' * self._depth(frame)} {render_locals(frame.f_locals)}\n{event}: {self._source_line(frame.f_lineno)}"
        if value is not None:
            entry += f"\nReturn Value: {value}"
        entry = clean(entry)
        added = len(entry) + (1 if self.entries else 0)
        if self.chars + added > self.max_chars:
            self._stop()
            return
        self.entries.append(entry)
        self.chars += added

    def _stop(self) -> None:
        self.truncated = True
        self.done = True
        sys.settrace(None)

    def text(self) -> str:
        return "\n".join(self.entries)


def trace_source(source: str, max_steps: int = DEFAULT_MAX_STEPS, max_chars: int = DEFAULT_MAX_CHARS) -> dict:
    """Trace `source` in a fresh namespace in THIS process (trusted input only: used by unit tests and by the
    sandbox harness, which runs it inside the jail).  Returns {trace, truncated, error}."""
    import builtins
    code = compile(source, TRACED_FILENAME, "exec", dont_inherit=True)
    ns = {"__name__": "__main__", "__builtins__": builtins}
    tracer = Tracer(source, max_steps=max_steps, max_chars=max_chars)
    error = None
    sys.settrace(tracer.global_trace)
    try:
        exec(code, ns)
    except BaseException as e:  # noqa: BLE001
        error = {"type": type(e).__name__, "message": str(e)}
    finally:
        sys.settrace(None)
    return {"trace": tracer.text(), "truncated": tracer.truncated, "error": error}


if __name__ == "__main__":
    import json

    req = json.loads(sys.stdin.read())
    out = trace_source(req["source"], int(req.get("max_steps", DEFAULT_MAX_STEPS)),
                       int(req.get("max_chars", DEFAULT_MAX_CHARS)))
    sys.stdout.write(json.dumps(out))
