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

Value formats (`value_format`): "python" (default) renders each local with the bounded repr above; "authors" renders
it as the authors' tracer did (their debugger dumps each frame's locals as JSON and prints the decoded dict): a value
JSON can encode goes through a JSON round trip (tuples become lists, dict keys int/float/bool/None become the strings
"1", "1.5", "true", "null"), any other value (sets, objects, functions, modules, a dict with tuple keys, a list holding
a set, a cycle) becomes the string of its repr, shown quoted.  Return values are a repr in both formats (theirs too).

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


class _NotJson(Exception):
    pass


_JSON_MAX_DEPTH = 100
_JSON_KEY = {True: "true", False: "false", None: "null"}


def _json_key(k):
    if isinstance(k, str):
        return str(k)
    if k is None or isinstance(k, bool):
        return _JSON_KEY[k]
    if isinstance(k, int):
        return int.__repr__(k)
    if isinstance(k, float):
        return "NaN" if k != k else "Infinity" if k == float("inf") else "-Infinity" if k == float("-inf") else float.__repr__(k)
    raise _NotJson()


def _json_round_trip(v, depth, active):
    """What json.loads(json.dumps(v)) gives, without the text: plain str/int/float/bool/None, lists, str-keyed dicts."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if depth > _JSON_MAX_DEPTH or not isinstance(v, (list, tuple, dict)) or id(v) in active:
        raise _NotJson()
    active.add(id(v))
    try:
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                out[_json_key(k)] = _json_round_trip(x, depth + 1, active)
            return out
        return [_json_round_trip(x, depth + 1, active) for x in v]
    finally:
        active.discard(id(v))


def authors_value(value):
    """A local as the authors' debugger dumped it: its JSON round trip, or (not JSON-encodable) its repr as a string."""
    try:
        return _json_round_trip(value, 0, set())
    except _NotJson:
        pass
    except BaseException:  # noqa: BLE001 - hostile containers (__iter__/items raising) are shown by their repr
        pass
    try:
        return repr(value)
    except BaseException as e:  # noqa: BLE001
        return f"<repr failed: {type(e).__name__}>"


def render_locals(f_locals, value_format: str = "python") -> str:
    values, types = [], []
    for name, value in list(f_locals.items()):
        if _is_dunder(name):
            continue
        shown = value_repr(authors_value(value)) if value_format == "authors" else value_repr(value)
        values.append(f"{name!r}: {shown}")
        types.append(f"{name!r}: {type(value).__name__!r}")
    return "{" + ", ".join(values) + "} , {" + ", ".join(types) + "}"


class Tracer:
    """sys.settrace hook.  Use: t = Tracer(source); sys.settrace(t.global_trace); exec(...); sys.settrace(None);
    then t.text() and t.truncated."""

    def __init__(self, source: str, filename: str = TRACED_FILENAME,
                 max_steps: int = DEFAULT_MAX_STEPS, max_chars: int = DEFAULT_MAX_CHARS,
                 value_format: str = "python") -> None:
        if value_format not in ("python", "authors"):
            raise ValueError(f"value_format must be 'python' or 'authors', got {value_format!r}")
        self.value_format = value_format
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
        entry = f"{'=' * self._depth(frame)} {render_locals(frame.f_locals, self.value_format)}\n{event}: {self._source_line(frame.f_lineno)}"
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


def trace_source(source: str, max_steps: int = DEFAULT_MAX_STEPS, max_chars: int = DEFAULT_MAX_CHARS,
                 value_format: str = "python") -> dict:
    """Trace `source` in a fresh namespace in THIS process (trusted input only: used by unit tests and by the
    sandbox harness, which runs it inside the jail).  Returns {trace, truncated, error}."""
    import builtins
    code = compile(source, TRACED_FILENAME, "exec", dont_inherit=True)
    ns = {"__name__": "__main__", "__builtins__": builtins}
    tracer = Tracer(source, max_steps=max_steps, max_chars=max_chars, value_format=value_format)
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
                       int(req.get("max_chars", DEFAULT_MAX_CHARS)), str(req.get("value_format", "python")))
    sys.stdout.write(json.dumps(out))
