"""Equality asserts judged by the harness, not by the objects a program returns (issue 13).

A solution can return an object whose ``__eq__`` always answers True; ``assert f(x) == y`` would then pass whatever
f computes (reward hacking).  Like evalplus, which compares a solution's output with the expected output itself, the
harness rewrites every ``assert A == B`` of a test (one ``==``, anywhere in the test, also inside HumanEval's
``check``) into ``assert <eq>(A, B)``, where <eq> is ``strict_eq`` bound under a per-execution name:

- both values built only from trusted types (int, float, complex, bool, str, bytes, None, list, tuple, dict, set,
  frozenset, range, the collections and dict-view types, Decimal, Fraction; or subclasses of them that do not
  override ``__eq__``, e.g. a namedtuple), all the way down: plain ``A == B``, exactly Python's semantics, so every
  honest program keeps its verdict;
- otherwise ``A == B`` is still asked; if it says False, the assert fails as usual.  If it says True although one
  side is made of trusted types and the other is not (an object claiming to equal a list), or although an object
  also claims to equal a fresh ``object()`` (an ``__eq__`` that always answers True), the test ends with
  ``SuspiciousEquality``: its own verdict, ``suspicious_eq``, never a pass.

Stdlib only; everything is bound at import time, before user code runs.  Residual risk (documented): code that
introspects the harness (frames, gc, the namespace) to find and replace <eq> can still forge a comparison.
"""
from __future__ import annotations

import ast
import collections
import decimal
import fractions

_type, _id, _len, _bool, _isinstance, _object = type, id, len, bool, isinstance, object
_dict_of = type.__dict__["__dict__"].__get__      # a class's own namespace, without metaclass hooks
_mro_of = type.__dict__["__mro__"].__get__

_CONTAINERS = (list, tuple, set, frozenset, collections.deque, type({}.keys()), type({}.items()))
_MAPPINGS = (dict, collections.OrderedDict, collections.defaultdict, collections.Counter)
_SCALARS = (int, float, complex, bool, str, bytes, bytearray, type(None), range, type(Ellipsis),
            decimal.Decimal, fractions.Fraction)
TRUSTED = frozenset(_CONTAINERS + _MAPPINGS + _SCALARS)

#: Beyond this many values the walk stops and the structure counts as trusted (huge honest outputs stay cheap).
MAX_NODES = 2_000_000


class SuspiciousEquality(BaseException):
    """Raised by strict_eq: a BaseException, so a test's own ``except Exception`` cannot turn it into a pass."""


def _trusted_base(t):
    """The trusted type `t` stands for (itself, or the first trusted base when no class on the way defines
    ``__eq__``), or None."""
    if t in TRUSTED:
        return t
    for klass in _mro_of(t):
        if klass in TRUSTED:
            return klass
        if "__eq__" in _dict_of(klass):
            return None
    return None


def is_trusted(value) -> bool:
    """True when `value` and everything inside it is made of trusted types (see the module docstring)."""
    stack, seen, nodes = [value], set(), 0
    while stack:
        v = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return True
        base = _trusted_base(_type(v))
        if base is None:
            return False
        if base in _SCALARS:
            continue
        if _id(v) in seen:
            continue
        seen.add(_id(v))
        if base in _MAPPINGS:
            items = dict.items(v)
            stack.extend(k for k, _ in items)
            stack.extend(x for _, x in items)
        elif base in (list, tuple):
            stack.extend(base.__iter__(v))
        else:  # set, frozenset, deque, dict views: their own iterators (C code of the trusted base)
            stack.extend(base.__iter__(v))
    return True


def strict_eq(a, b) -> bool:
    """``a == b`` as the harness judges it (see the module docstring)."""
    trusted_a, trusted_b = is_trusted(a), is_trusted(b)
    answer = a == b
    if trusted_a and trusted_b:
        return answer
    if not _bool(answer):
        return False
    if trusted_a or trusted_b:
        odd, plain = (b, a) if trusted_a else (a, b)
        what = (f"a {_type(odd).__name__} object" if _trusted_base(_type(odd)) is None
                else f"a {_type(odd).__name__} holding objects of non-built-in types")
        raise SuspiciousEquality(f"{what} claims to equal a {_type(plain).__name__}: "
                                 "the harness compares values of built-in types only")
    probe = _object()
    if _bool(a == probe) or _bool(b == probe):
        raise SuspiciousEquality(f"a {_type(a).__name__} object claims to equal anything (its __eq__ always answers True)")
    return True


class _Rewrite(ast.NodeTransformer):
    def __init__(self, name: str) -> None:
        self.name = name

    def visit_Assert(self, node: ast.Assert):
        self.generic_visit(node)
        t = node.test
        if _isinstance(t, ast.Compare) and _len(t.ops) == 1 and _isinstance(t.ops[0], ast.Eq):
            call = ast.Call(func=ast.Name(id=self.name, ctx=ast.Load()), args=[t.left, t.comparators[0]], keywords=[])
            node.test = ast.copy_location(call, t)
        return node


def compile_test(source: str, filename: str, name: str):
    """The test's code with its equality asserts judged by `name` (bound to strict_eq in the namespace), or None
    when the source does not parse (the caller compiles it as it is and reports the syntax error)."""
    try:
        tree = ast.parse(source, filename, "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    tree = ast.fix_missing_locations(_Rewrite(name).visit(tree))
    return compile(tree, filename, "exec", dont_inherit=True)
