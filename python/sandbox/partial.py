"""Turning a partial candidate program into an executable, normalized one (EG-CFG spec section 2.1).

Stdlib only.  Two public functions:

    make_executable(code)        -> str   the raw repair loop of section 2.1 (no normalization)
    prepare(code)                -> str   make_executable + strip comments/docstrings + ast.unparse + strip
                                          (this normalized text is the candidates' dedupe key)

Both raise NotExecutableError when no prefix of the code can be made to parse.

Command line (used by unit tests and by anyone who wants to check a candidate by hand):
    python3 partial.py < request.json      request: {"code": "..."}
    -> {"ok": true, "executable": "..."}  or  {"ok": false, "error": "..."}
"""
from __future__ import annotations

import ast
import io
import re
import tokenize

_INDENT = re.compile(r"\s*")


class NotExecutableError(ValueError):
    """No prefix of the candidate could be made to parse."""


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        # ValueError: source contains NUL bytes; MemoryError/RecursionError: the parser gave up on deep nesting.
        return False
    return True


def _indent_of(line: str) -> str:
    m = _INDENT.match(line)
    return m.group(0) if m else ""


def make_executable(code: str) -> str:
    """Section 2.1, step by step.  Loop while lines remain:
    1. if the text parses: done;
    2. else append a `pass` indented like the last line; if it parses: done; else take it back;
    3. remove the last line; (nothing left: give up) if the rest parses: done;
    4. else put a `pass` with the removed line's indentation in its place; if it parses: done; else take it back, loop.
    Raises NotExecutableError when nothing parses (there is no known function signature to fall back to)."""
    lines = code.split("\n")
    executable = ""
    while lines:
        executable = "\n".join(lines)
        if _parses(executable):
            break
        # 2. try a `pass` indented like the last line (closes an open block whose header is at that indentation)
        lines.append(_indent_of(lines[-1]) + "pass")
        executable = "\n".join(lines)
        if _parses(executable):
            break
        lines.pop()
        # 3. drop the (probably unfinished) last line
        removed = lines.pop()
        if not lines:
            break
        executable = "\n".join(lines)
        if _parses(executable):
            break
        # 4. replace the dropped line by a `pass` at its indentation (keeps the enclosing block non-empty)
        lines.append(_indent_of(removed) + "pass")
        executable = "\n".join(lines)
        if _parses(executable):
            break
        lines.pop()
    if not _parses(executable):
        raise NotExecutableError("no prefix of the candidate parses as Python (make_executable gave up)")
    return executable


def _strip_comments(code: str) -> str:
    """Drop COMMENT tokens (tokenize keeps everything else, so untokenize re-creates the text without them)."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code  # ast.unparse below drops comments anyway


class _DropDocstrings(ast.NodeTransformer):
    """Remove the docstring (a leading string-constant expression statement) of modules, classes and functions."""

    def _strip(self, node):
        self.generic_visit(node)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
            if not body and not isinstance(node, ast.Module):
                body = [ast.Pass()]
        node.body = body
        return node

    visit_Module = _strip
    visit_ClassDef = _strip
    visit_FunctionDef = _strip
    visit_AsyncFunctionDef = _strip


def strip_comments_and_docstrings(code: str) -> str:
    """Comments (tokenize) and docstrings (AST) removed, re-printed with ast.unparse, surrounding whitespace stripped."""
    tree = ast.parse(_strip_comments(code))
    tree = _DropDocstrings().visit(tree)
    ast.fix_missing_locations(tree)
    return ast.unparse(tree).strip()


def prepare(code: str) -> str:
    """make_executable, then normalize: the text that is executed, shown in the dynamic signal, and used as dedupe key."""
    return strip_comments_and_docstrings(make_executable(code))


def prepare_result(code: object) -> dict:
    """JSON-ready outcome of prepare(), never raises."""
    if not isinstance(code, str):
        return {"ok": False, "error": "code must be a string"}
    try:
        return {"ok": True, "executable": prepare(code)}
    except NotExecutableError as e:
        return {"ok": False, "error": str(e)}
    except (SyntaxError, ValueError, MemoryError, RecursionError) as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


if __name__ == "__main__":
    import json
    import sys

    request = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(prepare_result(request.get("code") if isinstance(request, dict) else None)))
