"""Child side of one sandboxed execution: runs the untrusted program, then its test cases, and reports what it SAW.

Stdlib only.  Runs in a process forked by server.py, after the server has applied the rlimits and wired fd 0 to
/dev/null, fd 1/2 to capture pipes and fd RESULT_FD to a private result pipe.  Never returns: it ends with
os._exit(0) after writing its records.

Flow of one child (mode "verdict"):
  1. compile + exec the program in a fresh __main__ namespace (CPU budget: timeout, via ITIMER_PROF);
     record "P" (the program phase) -- if it did not complete, that status applies to every test of the batch;
  2. for each test case in order: re-arm the CPU timer, compile + exec the test in the same namespace, flush the
     streams, write the phase marker to fd 1 and 2, write record "<index>"; after a memory_limit the child stops (the server resumes the remaining tests
     in a fresh child, as it does when a test kills the child).
Mode "program": only step 1 (judged like `python3 file.py`).  Trace mode: one test per child, and
program + "\n" + test is compiled as ONE source and executed under the tracer (EG-CFG traces the whole script).

Anti-cheat rules (see README.md):
- Equality asserts (``assert A == B``) of the tests are judged by the harness (equality.py): an object whose __eq__
  claims equality with a built-in value, or with anything, gets the verdict suspicious_eq, never passed.
- A test passes only when this harness observed exec() of the test return normally.  A program that exits early
  (sys.exit -> SystemExit is caught and reported as an error; os._exit / being killed -> no record, and the server
  reports an error/killed), prints "passed" (stdout is just captured text), rebinds builtins.AssertionError (the
  `assert` statement raises the real one), replaces sys.exit / json / print, or writes junk to the result fd (the
  server accepts only well-formed records carrying a per-execution nonce) cannot turn its test into a pass.
- Everything the harness uses after user code ran is bound before it runs, and records are encoded by hand (no json
  module that user code could monkeypatch).  The builtins module is restored to its pristine state before every test
  (a program cannot patch builtins.abs / isinstance / ... that the tests rely on; names the program defines in the
  shared namespace of course stay visible to the tests, as in "program + assert" run as one script).
- Residual risk, documented: code that deliberately introspects the harness's frames (sys._getframe().f_back) or
  the gc to steal the nonce could forge a record.  Such code is still contained by nsjail; only its verdict could
  be wrong.

Record (bytes): b"EGRES1 " + nonce + b"\n", then per field b"<key> <len>\n" + value (utf-8) + b"\n", then b"END\n".
Fields: idx ("P" or the test index), status, etype, emsg, exit_code, cpu_ms, wall_ms, trace, trace_truncated.
"""
from __future__ import annotations

import builtins
import gc
import io
import linecache
import os
import signal
import sys
import time
import traceback
import types

from equality import SuspiciousEquality, compile_test, strict_eq
from tracer import TRACED_FILENAME, Tracer

# Bound at import time, before any user code: rebinding builtins.X later does not change what the harness catches.
_SyntaxError, _ValueError, _RecursionError, _MemoryError, _BaseException, _SystemExit = (
    SyntaxError, ValueError, RecursionError, MemoryError, BaseException, SystemExit)

RESULT_FD = 3
JOB_FD = 4     # the child reads its job here (see server.py), then closes it


def phase_marker(nonce: bytes) -> bytes:
    """Written by the harness to fd 1 and fd 2 at the end of every phase (after flushing the user's output), before
    the phase's record: the server cuts each stream at these markers (and removes them), so every phase gets exactly
    the output written during it, without a round trip per phase.  The nonce keeps user output from faking one."""
    return b"\x00\x1fEGCFG-PHASE-" + nonce + b"\x1f\x00"
PROGRAM_FILE = TRACED_FILENAME  # "<program>"
TEST_FILE = "<test>"
MAX_ERROR_MESSAGE = 2000


def encode_record(nonce: bytes, fields, _len=len, _str=str) -> bytes:
    out = [b"EGRES1 ", nonce, b"\n"]
    for key, value in fields:
        data = _str(value).encode("utf-8", "backslashreplace")
        out.append(key.encode("ascii") + b" " + _str(_len(data)).encode("ascii") + b"\n")
        out.append(data)
        out.append(b"\n")
    out.append(b"END\n")
    return b"".join(out)


def write_all(fd: int, data: bytes, _write=os.write, _len=len) -> None:
    view = memoryview(data)
    while _len(view):
        n = _write(fd, view)
        view = view[n:]


def _safe_str(value, limit=MAX_ERROR_MESSAGE) -> str:
    try:
        s = str(value)
    except BaseException as e:  # noqa: BLE001 - hostile __str__
        s = f"<str() failed: {type(e).__name__}>"
    if len(s) > limit:
        s = s[:limit] + f"... [{len(s) - limit} more chars]"
    return s


def _print_traceback(exc: BaseException, user_files=(PROGRAM_FILE, TEST_FILE)) -> None:
    """Like an uncaught exception in a script: traceback on stderr, without the harness's own frames."""
    try:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename not in user_files:
            tb = tb.tb_next
        sys.__stderr__.write("".join(traceback.format_exception(type(exc), exc, tb)))
    except BaseException:  # noqa: BLE001
        pass


_stdio_ready = False


def setup_stdio() -> None:
    """Fresh text streams over the (re-wired) fds 0/1/2 (once per child; the server does it ahead of the job)."""
    global _stdio_ready
    if not _stdio_ready:
        _setup_stdio()
        _stdio_ready = True


def _setup_stdio() -> None:
    """Fresh text streams over the (re-wired) fds 0/1/2, like a new interpreter's (utf-8, stderr backslashreplace)."""
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                                   encoding="utf-8", errors="strict")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                                   encoding="utf-8", errors="backslashreplace", line_buffering=True)


def _register_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, [ln + "\n" for ln in source.split("\n")], filename)


def classify(exc: BaseException, mode: str, isinstance=isinstance, type=type, SystemExit=SystemExit,
             MemoryError=MemoryError, AssertionError=AssertionError, int=int, str=str):
    """-> (status, etype, emsg, exit_code) for an exception that escaped the user code.  The builtins it needs are
    bound at import time (default arguments): user code rebinding builtins.AssertionError changes nothing here."""
    etype = type(exc).__name__
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            exit_code, msg = 0, "None"
        elif isinstance(code, int):
            exit_code, msg = code & 0xFF, str(code)
        else:
            exit_code, msg = 1, _safe_str(code)
        if mode == "program" and exit_code == 0:
            return "passed", "", "", 0
        return "error", "SystemExit", msg, exit_code
    if isinstance(exc, MemoryError):
        return "memory_limit", etype, _safe_str(exc) or "out of memory (RLIMIT_AS)", 1
    if isinstance(exc, AssertionError):
        return "failed", etype, _safe_str(exc), 1
    return "error", etype, _safe_str(exc), 1


def restore_python_signal_defaults() -> None:
    """What a fresh interpreter has: SIGINT -> KeyboardInterrupt, SIGPIPE/SIGXFSZ ignored; the rest default."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD,
                signal.SIGPROF, signal.SIGXCPU, signal.SIGVTALRM):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def run(job: dict) -> None:
    """job: {program, tests: [code, ...], first_index, mode ('verdict'|'program'), trace (bool), nonce (bytes),
    timeout_s, trace_max_steps, trace_max_chars}.  Never returns."""
    # Everything used after user code has run is bound here, before it runs.
    nonce: bytes = job["nonce"]
    mode: str = job["mode"]
    program: str = job["program"]
    tests: list = list(job["tests"])
    first_index: int = job["first_index"]
    tracing: bool = bool(job.get("trace"))
    timeout_s: float = job["timeout_s"]
    enc, write, exit_ = encode_record, write_all, os._exit
    marker = phase_marker(nonce)
    settrace, setitimer, sigset = sys.settrace, signal.setitimer, signal.signal
    ITIMER_PROF, SIGPROF, SIG_DFL = signal.ITIMER_PROF, signal.SIGPROF, signal.SIG_DFL
    cpu_now, wall_now, compile_, exec_, str_, isinstance_ = time.process_time, time.perf_counter, compile, exec, str, isinstance
    # Equality asserts of the tests are judged by strict_eq (equality.py), bound under a name the program cannot guess.
    eq_name = "__egcfg_eq_" + nonce.decode("ascii") + "__"
    compile_test_, strict_eq_, Suspicious = compile_test, strict_eq, SuspiciousEquality
    oom_fields = [("status", "memory_limit"), ("etype", "MemoryError"), ("emsg", "out of memory (RLIMIT_AS)"),
                  ("exit_code", "1"), ("cpu_ms", "0"), ("wall_ms", "0"), ("trace", ""), ("trace_truncated", "0")]
    oom_records = {str(i): enc(nonce, [("idx", str(i))] + oom_fields) for i in ["P"] + list(range(first_index, first_index + len(tests)))}

    setup_stdio()
    streams = (sys.stdout, sys.stderr)

    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    ns = main.__dict__
    ns["__builtins__"] = builtins
    sys.argv = [PROGRAM_FILE]
    # The harness modules are not importable by the user code (it can still reach them by introspection).
    for name in ("harness", "tracer", "partial", "server", "equality"):
        sys.modules.pop(name, None)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p != here]

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr) + streams:
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001 - the user may have replaced/closed the streams
                pass

    def report(idx: str, status, etype, emsg, exit_code, cpu0, wall0, tracer=None) -> None:
        flush()
        try:
            record = enc(nonce, [
                ("idx", idx), ("status", status), ("etype", etype), ("emsg", emsg), ("exit_code", exit_code),
                ("cpu_ms", f"{(cpu_now() - cpu0) * 1000:.3f}"), ("wall_ms", f"{(wall_now() - wall0) * 1000:.3f}"),
                ("trace", tracer.text() if tracer is not None else ""),
                ("trace_truncated", "1" if tracer is not None and tracer.truncated else "0")])
        except MemoryError:
            record = oom_records[idx]
        for fd in (1, 2):
            try:
                write(fd, marker)
            except BaseException:  # noqa: BLE001 - the user closed/replaced the fd: its output is not split
                pass
        try:
            write(RESULT_FD, record)
        except BaseException:  # noqa: BLE001 - fd closed by the user code: the server sees no record
            exit_(0)

    def execute(source_code, filename: str, tracer=None, judged=False):
        """compile + exec one piece of user code in ns -> (status, etype, emsg, exit_code).  judged: a test whose
        equality asserts strict_eq decides."""
        sigset(SIGPROF, SIG_DFL)
        setitimer(ITIMER_PROF, timeout_s)
        try:
            try:
                code = compile_test_(source_code, filename, eq_name) if judged else None
                if code is None:
                    code = compile_(source_code, filename, "exec", dont_inherit=True)
            except (_SyntaxError, _ValueError) as e:  # ValueError: NUL bytes in the source
                _print_traceback(e, ())
                return "syntax_error", type(e).__name__, _safe_str(e), 1
            except _RecursionError as e:
                return "syntax_error", "RecursionError", _safe_str(e), 1
            _register_source(filename, source_code)
            try:
                if tracer is not None:
                    settrace(tracer.global_trace)
                exec_(code, ns)
            finally:
                settrace(None)
            return "passed", "", "", 0
        except _MemoryError as e:
            settrace(None)
            e.__traceback__ = None
            gc.collect()
            return "memory_limit", "MemoryError", _safe_str(e) or "out of memory (RLIMIT_AS)", 1
        except Suspicious as e:
            settrace(None)
            _print_traceback(e)
            return "suspicious_eq", "SuspiciousEquality", _safe_str(e), 1
        except _BaseException as e:  # noqa: BLE001 - whatever the user code lets escape decides the verdict
            settrace(None)
            verdict = classify(e, mode)
            if isinstance_(e, _SystemExit):
                if verdict[3] != 0 and e.code is not None and not isinstance_(e.code, int):
                    try:
                        sys.__stderr__.write(_safe_str(e.code) + "\n")
                    except BaseException:  # noqa: BLE001
                        pass
            else:
                _print_traceback(e)
            return verdict
        finally:
            setitimer(ITIMER_PROF, 0)

    if tracing:
        # One test per child: the whole script (program + invocation) is traced, as EG-CFG does.
        source = program + "\n" + tests[0] if tests and mode != "program" else program
        cpu0, wall0 = cpu_now(), wall_now()
        try:
            tracer = Tracer(source, PROGRAM_FILE, int(job["trace_max_steps"]), int(job["trace_max_chars"]),
                            str(job.get("trace_format", "python")))
        except MemoryError:
            tracer = None
        status, etype, emsg, exit_code = execute(source, PROGRAM_FILE, tracer)
        report("P" if mode == "program" else str_(first_index), status, etype, emsg, exit_code, cpu0, wall0, tracer)
        exit_(0)

    # The builtins as they are before any user code; restored before every test, so a program cannot make the tests
    # pass by patching builtins the tests use (builtins.abs = ..., builtins.isinstance = ...).
    builtins_dict = builtins.__dict__
    pristine = dict(builtins_dict)

    def restore_builtins() -> None:
        for name in [k for k in builtins_dict if k not in pristine]:
            del builtins_dict[name]
        for name, value in pristine.items():
            if builtins_dict.get(name, pristine) is not value:
                builtins_dict[name] = value

    cpu0, wall0 = cpu_now(), wall_now()
    status, etype, emsg, exit_code = execute(program, PROGRAM_FILE)
    report("P", status, etype, emsg, exit_code, cpu0, wall0)
    if status != "passed" or mode == "program":
        exit_(0)
    for offset, test in enumerate(tests):
        restore_builtins()
        ns[eq_name] = strict_eq_
        cpu0, wall0 = cpu_now(), wall_now()
        status, etype, emsg, exit_code = execute(test, TEST_FILE, judged=True)
        report(str_(first_index + offset), status, etype, emsg, exit_code, cpu0, wall0)
        if status == "memory_limit":
            exit_(0)  # the namespace may hold the memory: continue in a fresh child
    exit_(0)
