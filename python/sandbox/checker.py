"""Contest output checker (CodeContests / Codeforces style), stdlib only.  Used by server.py's "stdio" op.

check(output, expected, float_tol) -> (accepted, message):
- Both texts are split into whitespace-separated tokens (spaces, tabs, newlines, \r): trailing spaces, blank lines
  and a missing final newline never matter; the token sequences must have the same length.
- Tokens that are equal as strings match.  Otherwise, when the EXPECTED token is a float (it has a '.', or an
  exponent: "0.5", "1e-9", "-3.25"), the output token matches when it parses as a float within float_tol absolute
  or float_tol relative to the expected value (default 1e-6, the usual "absolute or relative error 1e-6").
  Integer tokens are compared exactly (no tolerance: "3" != "3.0000001").
- Anything else is a mismatch; the message names the first differing token (bounded).
"""
from __future__ import annotations

import math
import re

_FLOAT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")
_MAX_SHOWN = 60


def _short(token: str) -> str:
    return repr(token if len(token) <= _MAX_SHOWN else token[:_MAX_SHOWN] + "...")


def _is_float_token(token: str) -> bool:
    return bool(_FLOAT.match(token)) and any(c in token for c in ".eE")


def _close(got: str, want: str, tol: float) -> bool:
    try:
        a, b = float(got), float(want)
    except ValueError:
        return False
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    diff = abs(a - b)
    return diff <= tol or diff <= tol * abs(b)


def check(output: str, expected: str, float_tol: float = 1e-6):
    got, want = output.split(), expected.split()
    for i, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        if _is_float_token(w) and _close(g, w, float_tol):
            continue
        return False, f"token {i + 1}: expected {_short(w)}, got {_short(g)}"
    if len(got) != len(want):
        return False, f"expected {len(want)} tokens, got {len(got)}"
    return True, ""
