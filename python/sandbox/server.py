"""Warm sandbox worker: a fork server that runs inside ONE nsjail (one pool slot) for its whole life.

Stdlib only.  Started by activities/sandbox/pool.ts as

    nsjail --config infra/nsjail/sandbox.cfg --user 65534:<slot uid> ... -- /usr/bin/python3 -B -s /sandbox/server.py --jailed

(or, only with unsafeNoSandbox, directly as `python3 server.py --unsafe-no-sandbox`).

Protocol: newline-delimited JSON on the server's ORIGINAL stdin/stdout.  At start the server moves those two fds out
of the way and points fd 0/1 at /dev/null, so no child ever holds them.  Requests are handled one at a time:

    {"id": 7, "op": "run", "mode": "verdict"|"program", "trace": false, "isolate": false, "program": "...",
     "tests": [{"id": "t0", "code": "assert f(1) == 2"}], "timeout_ms": 10000, "wall_ms": 31000, "memory_mb": 512,
     "max_output_bytes": 1048576, "keep_output_bytes": 65536, "trace_max_steps": 1000, "trace_max_chars": 100000}
    -> {"id": 7, "ok": true, "results": [{"id": "t0", "status": "passed", "error": null, "stdout": "", ...}]}
    {"id": 8, "op": "prepare", "code": "def f(x):\n    y = x +"}
    -> {"id": 8, "ok": true, "prepare": {"ok": true, "executable": "def f(x):\n    pass"}}
    {"id": 9, "op": "ping"}  -> {"id": 9, "ok": true, "pong": true}
    {"id": 10, "op": "stdio", "program": "print(int(input()) * 2)", "tests": [{"id": "t0", "input": "2\n",
     "output": "4\n"}], "timeout_ms": 2000, "memory_mb": 256, "float_tol": 1e-6, "stop_on_failure": true}
    -> {"id": 10, "ok": true, "stdio": [{"id": "t0", "verdict": "accepted", "status": "passed", "checker": "", ...}]}
       (contest judging: each test a fresh child running the whole program with the input on stdin (a memfd), stdout
       judged by checker.py; verdicts accepted, wrong_answer, time_limit, memory_limit, runtime_error, skipped)
    A "run" test may carry "stdin" (trace / isolate mode: one test per child): the traced script reads it.
    bad request -> {"id": ..., "ok": false, "error": "<what is wrong>"}
On start it prints {"ready": true, "pid": 1, "python": "3.11.2", "jailed": true, "hashseed": "0"}.

Per run request ONE clean child forked from the server's warm, pre-imported state does the work (more only when
needed, below).  It is forked ahead of time: right after each reply the server forks a spare child that sets up
everything job-independent and then blocks reading its job (fd 4); the next request just hands it the job.
The child:
  - gets its own process group, fd 0 = /dev/null, fd 1/2 = capture pipes, fd 3 = a private result pipe, fd 4 = the
    job pipe (closed once read), all other fds closed, cwd = the (emptied) private /tmp;
  - sets RLIMIT_AS = memory_mb, RLIMIT_CPU = ceil(timeout * (tests + 1)) + 1 s soft / +1 s hard (a backstop),
    RLIMIT_CORE = 0, and before each phase an ITIMER_PROF of exactly timeout_ms of CPU time (SIGPROF kills it: the
    precise, load-independent time verdict);
  - runs harness.run(): the program, then each test in order in the same fresh __main__ namespace, writing one record
    per phase, and a nonce'd marker into stdout and stderr at each phase end (the server cuts the streams there, so
    each phase's stdout/stderr is attributed exactly without a round trip).
When a test ends the child (timeout, crash, os._exit, wall limit, output limit; or memory_limit, after which the
harness stops on purpose) the remaining tests continue in a fresh child (the program is executed again).  A program
phase that does not complete gives every test of the batch its status.  isolate / trace: one child per test.
The server meanwhile reads the pipes (keeping the first keep_output_bytes of each stream per phase, killing the
child once a phase passes max_output_bytes on a stream: status output_limit) and enforces the wall-clock limit
wall_ms per phase (status timeout).  When the child is gone, the server (PID 1 of the jail's PID namespace) sends
SIGKILL to every other process in the namespace (kill(-1)) and reaps them, so nothing a test started survives it;
then it empties /tmp.  PID 1 ignores every signal it has no handler for when it comes from inside its namespace, and
the server installs no handlers, so a test cannot kill the server (seccomp also denies ptrace).

Verdict statuses: passed, failed (AssertionError), error (exception type + message; also: exited before the test
completed), timeout (CPU limit, or wall limit), memory_limit (MemoryError under RLIMIT_AS), output_limit,
killed (ended by a signal that is not a limit, e.g. SIGSEGV), syntax_error (program or test does not compile).
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import stat  # noqa: E402
import time  # noqa: E402

import checker  # noqa: E402
import harness  # noqa: E402
import partial  # noqa: E402

# Imported once here so that a test's `import re` is a dict lookup in the forked child.  Kept small on purpose: every
# page the server maps makes each fork (and each child's exit) slower; these are the modules MBPP/HumanEval-style
# code imports most.  Deliberately NOT `random` (each child must get a fresh, independently seeded generator, as a new
# interpreter would): the server never imports it (tempfile, which would, is only imported in unsafe mode).
PREIMPORT = ("bisect", "collections", "functools", "heapq", "itertools", "math", "operator", "re", "string")

STATUSES = ("passed", "failed", "error", "timeout", "memory_limit", "output_limit", "killed", "syntax_error",
            "suspicious_eq")
DEFAULTS = dict(timeout_ms=10_000, memory_mb=512, max_output_bytes=1 << 20, keep_output_bytes=64 << 10,
                trace_max_steps=1000, trace_max_chars=100_000)
PREPARE_LIMITS = dict(timeout_ms=5_000, wall_ms=15_000, memory_mb=512)
MAX_REQUEST_BYTES = 64 << 20
SIGNAL_NAMES = {int(s): s.name for s in signal.Signals}

JAILED = False        # PID 1 of a private PID namespace (set in main)
WORK_ROOT = "/tmp"    # emptied after every execution when jailed; a private mkdtemp() otherwise
PROTO_IN = PROTO_OUT = -1
DEVNULL = -1


# ---------------------------------------------------------------------------------------------------------------
# killing and cleaning
def _kill_everything(pid: int) -> None:
    """Kill the test's whole process tree.  Jailed: every process of the PID namespace except us (kill(-1) from
    PID 1), which also catches children that changed process group or session.  Unsafe mode: the test's group."""
    try:
        if JAILED:
            os.kill(-1, signal.SIGKILL)
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _reap_all() -> None:
    if not JAILED:
        while True:  # only our own direct children can be reaped here
            try:
                if os.waitpid(-1, os.WNOHANG) == (0, 0):
                    return
            except ChildProcessError:
                return
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _rmtree(path: str) -> None:
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            try:
                os.unlink(os.path.join(dirpath, name))
            except OSError:
                pass
        for name in dirnames:
            try:
                os.rmdir(os.path.join(dirpath, name))
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


def _mkdtemp(root: str) -> str:
    """Unsafe mode only: a private work dir per child."""
    while True:
        path = os.path.join(root, "x" + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue


def _make_writable(path: str) -> None:
    try:
        os.chmod(path, stat.S_IRWXU)
    except OSError:
        pass


def _empty_dir(root: str) -> None:
    """Remove everything below root (the test may have left read-only dirs: make them writable first)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        path = entry.path
        try:
            if entry.is_dir(follow_symlinks=False):
                for dirpath, dirnames, _ in os.walk(path):
                    _make_writable(dirpath)
                    for d in dirnames:
                        _make_writable(os.path.join(dirpath, d))
                _rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------------------------
# one forked child
class _Capture:
    """One stream of one phase: keeps the first `keep` bytes, counts all of them."""
    __slots__ = ("keep", "chunks", "kept", "total")

    def __init__(self, keep: int) -> None:
        self.keep, self.chunks, self.kept, self.total = keep, [], 0, 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        if self.kept < self.keep:
            piece = data[: self.keep - self.kept]
            self.chunks.append(piece)
            self.kept += len(piece)

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")

    @property
    def truncated(self) -> bool:
        return self.total > self.kept


class _Splitter:
    """One output stream of a child, cut into phases at the harness's phase markers (which are removed)."""
    __slots__ = ("marker", "keep", "segments", "current", "pending")

    def __init__(self, marker: bytes, keep: int) -> None:
        self.marker, self.keep, self.segments, self.current, self.pending = marker, keep, [], _Capture(keep), b""

    def feed(self, data: bytes) -> None:
        buf = self.pending + data if self.pending else data
        m = self.marker
        while True:
            i = buf.find(m)
            if i < 0:
                # Keep a possible marker prefix at the end for the next chunk.
                hold = min(len(m) - 1, len(buf))
                while hold and not m.startswith(buf[len(buf) - hold:]):
                    hold -= 1
                if len(buf) - hold:
                    self.current.add(buf[: len(buf) - hold])
                self.pending = buf[len(buf) - hold:] if hold else b""
                return
            if i:
                self.current.add(buf[:i])
            self.segments.append(self.current)
            self.current = _Capture(self.keep)
            buf = buf[i + len(m):]

    def finish(self) -> None:
        if self.pending:
            self.current.add(self.pending)
            self.pending = b""

    def segment(self, j: int) -> _Capture:
        if j < len(self.segments):
            return self.segments[j]
        return self.current if j == len(self.segments) else _Capture(0)


class _Phase:
    """What one phase (the program, or one test) printed, and when it started."""
    __slots__ = ("out", "err", "t0")

    def __init__(self, out: _Capture, err: _Capture, t0: float) -> None:
        self.out, self.err, self.t0 = out, err, t0


JOB_FD = harness.JOB_FD  # the child reads its job (JSON) here, to EOF, before anything else; then the fd is closed


def _child_setup(out_w: int, err_w: int, res_w: int, job_r: int, workdir: str) -> None:
    """Everything that does not depend on the job: done ahead of time in the spare child."""
    os.setpgid(0, 0)
    os.dup2(DEVNULL, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    # The pipe fds are >= 6 (fds 0-5 are taken in the server), so these dup2s clobber nothing still needed.
    os.dup2(res_w, harness.RESULT_FD)
    os.dup2(job_r, JOB_FD)
    os.closerange(JOB_FD + 1, max(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1024) if JAILED else 65536)
    os.chdir(workdir)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    harness.restore_python_signal_defaults()
    harness.setup_stdio()


def _child_main() -> None:
    """Wait for the job, apply its limits, run it.  Never returns."""
    chunks = []
    while True:
        data = os.read(JOB_FD, 1 << 20)
        if not data:
            break
        chunks.append(data)
    os.close(JOB_FD)
    if not chunks:
        os._exit(0)  # discarded spare
    job = json.loads(b"".join(chunks))
    if isinstance(job.get("stdin"), str):
        # stdin/stdout programs: the input on fd 0 as an anonymous in-memory file (seekable, like a judge's input file;
        # invisible in /tmp, not counted against the /tmp tmpfs).  Written before RLIMIT_AS is lowered.
        fd = os.memfd_create("stdin", 0)
        harness.write_all(fd, job["stdin"].encode("utf-8"))
        os.lseek(fd, 0, os.SEEK_SET)
        os.dup2(fd, 0)
        os.close(fd)
        del job["stdin"]
    mem = job["memory_mb"] << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_limit_s"], job["cpu_limit_s"] + 1))
    nonce = job["nonce"].encode("ascii")
    if job["kind"] == "prepare":
        data = json.dumps(partial.prepare_result(job["code"]))
        harness.write_all(harness.RESULT_FD, harness.encode_record(nonce, [("idx", "P"), ("status", "passed"),
                                                                           ("json", data)]))
        os._exit(0)
    job["nonce"] = nonce
    harness.run(job)


class _Child:
    """A forked child waiting for (or running) its job, and the server's ends of its pipes."""
    __slots__ = ("pid", "pidfd", "out_r", "err_r", "res_r", "job_w", "workdir")

    def __init__(self) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        res_r, res_w = os.pipe()
        job_r, job_w = os.pipe()
        workdir = WORK_ROOT if JAILED else _mkdtemp(WORK_ROOT)
        pid = os.fork()
        if pid == 0:  # --------------------------------------------------------------------------- child
            try:
                _child_setup(out_w, err_w, res_w, job_r, workdir)
                _child_main()
            finally:
                os._exit(70)
        for fd in (out_w, err_w, res_w, job_r):
            os.close(fd)
        for fd in (out_r, err_r, res_r):
            os.set_blocking(fd, False)
        self.pid, self.pidfd = pid, os.pidfd_open(pid)
        self.out_r, self.err_r, self.res_r, self.job_w, self.workdir = out_r, err_r, res_r, job_w, workdir

    def alive(self) -> bool:
        return not select.select([self.pidfd], [], [], 0)[0]

    def discard(self) -> None:
        """Close the job pipe unused (the child exits at EOF), reap it, release everything."""
        for fd in (self.job_w, self.out_r, self.err_r, self.res_r, self.pidfd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        if not JAILED:
            _rmtree(self.workdir)


_spare = None  # a pre-forked child waiting for its job (forked right after a reply is sent, off the critical path)


def ensure_spare() -> None:
    global _spare
    if _spare is None:
        _spare = _Child()


def _take_child() -> _Child:
    global _spare
    child, _spare = _spare, None
    if child is not None and child.alive():
        return child
    if child is not None:
        child.discard()
    return _Child()


def _read_ready(fd: int, sink) -> bool:
    """Read what is available without blocking; False at EOF."""
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return True
        if not data:
            return False
        sink(data)


def _fork_and_watch(job: dict, phases: list, limits: dict, cpu_limit_s: int, nonce: bytes) -> dict:
    """Give `job` to a fresh child (the pre-forked spare, or a new one), watch it until it is gone, then kill the rest
    of the tree, reap, and clean the work dir.  Records arriving on the result pipe close the current phase: the
    output read so far is that phase's, and the wall-clock deadline restarts.
    phases: the record idx values expected, in order.  Returns records + per-phase output + how the child ended."""
    wall_s = limits["wall_ms"] / 1000
    keep, max_out = limits["keep_output_bytes"], limits["max_output_bytes"]
    child = _take_child()
    pid, pidfd, workdir = child.pid, child.pidfd, child.workdir
    out_r, err_r, res_r = child.out_r, child.err_r, child.res_r
    t_start = time.monotonic()
    try:
        harness.write_all(child.job_w, json.dumps(dict(job, memory_mb=limits["memory_mb"], cpu_limit_s=cpu_limit_s,
                                                       nonce=nonce.decode("ascii"))).encode("utf-8"))
    except OSError:
        pass  # the child is gone: reported below like any child that ended without its records
    os.close(child.job_w)
    done: list = []              # (idx, fields, phase start time)
    marker = harness.phase_marker(nonce)
    out_split, err_split = _Splitter(marker, keep), _Splitter(marker, keep)
    phase_t0 = t_start
    res_buf = bytearray()
    res_limit = limits["max_result_bytes"]
    state = {"bad_record": False, "output_exceeded": False, "killed_by_us": False, "wall_timeout": False}
    deadline = t_start + wall_s

    on_out, on_err = out_split.feed, err_split.feed

    def kill() -> None:
        if not state["killed_by_us"]:
            state["killed_by_us"] = True
            _kill_everything(pid)

    def on_res(data: bytes) -> None:
        nonlocal phase_t0, deadline
        if state["bad_record"]:
            return
        res_buf.extend(data)
        if len(res_buf) > res_limit:
            state["bad_record"] = True
            kill()
            return
        while res_buf:
            parsed = parse_record(res_buf, nonce)
            if parsed is None:          # incomplete so far
                return
            if parsed is False or len(done) >= len(phases) or parsed[0].get("idx") != phases[len(done)] \
                    or parsed[0].get("status") not in STATUSES:
                state["bad_record"] = True
                kill()
                return
            fields, used = parsed
            del res_buf[:used]
            done.append((fields["idx"], fields, phase_t0))
            phase_t0 = time.monotonic()
            deadline = phase_t0 + wall_s

    sinks = {out_r: on_out, err_r: on_err, res_r: on_res}
    open_fds = {out_r, err_r, res_r}
    exited = False
    while not exited:
        wait = deadline - time.monotonic()
        if wait <= 0 and not state["killed_by_us"]:
            state["wall_timeout"] = True
            kill()
        rlist, _, _ = select.select(list(open_fds) + [pidfd], [], [], 5.0 if state["killed_by_us"] else max(wait, 0))
        for fd in rlist:
            if fd == pidfd:
                exited = True
            elif not _read_ready(fd, sinks[fd]):
                open_fds.discard(fd)
        if (out_split.current.total > max_out or err_split.current.total > max_out) and not state["killed_by_us"]:
            state["output_exceeded"] = True
            kill()
    _, wstatus, rusage = os.wait4(pid, 0)
    os.close(pidfd)
    if res_r in open_fds and not _read_ready(res_r, on_res):  # records written just before the exit
        open_fds.discard(res_r)
    _kill_everything(pid)
    _reap_all()
    # Drain what is left.  Jailed: every writer is dead now, so this ends at EOF at once.  Unsafe mode: a process
    # that left the group could hold a pipe open; give up after 100 ms of silence.
    while open_fds:
        rlist, _, _ = select.select(list(open_fds), [], [], 0.1)
        if not rlist:
            break
        for fd in rlist:
            if not _read_ready(fd, sinks[fd]):
                open_fds.discard(fd)
    if res_buf and not state["bad_record"]:
        state["bad_record"] = True  # a partial or foreign record was left behind
    if out_split.current.total > max_out or err_split.current.total > max_out:
        state["output_exceeded"] = True
    out_split.finish()
    err_split.finish()
    for fd in (out_r, err_r, res_r):
        os.close(fd)
    if JAILED:
        _empty_dir(WORK_ROOT)
    else:
        _empty_dir(workdir)
        _rmtree(workdir)
    phases_out = [(idx, fields, _Phase(out_split.segment(j), err_split.segment(j), t0))
                  for j, (idx, fields, t0) in enumerate(done)]
    current = _Phase(out_split.segment(len(done)), err_split.segment(len(done)), phase_t0)
    return dict(done=phases_out, current=current, wstatus=wstatus, cpu_ms=(rusage.ru_utime + rusage.ru_stime) * 1000,
                duration_ms=(time.monotonic() - t_start) * 1000, **state)


def parse_record(buf, nonce: bytes):
    """First record in buf: (fields, bytes used); None when incomplete; False when malformed or foreign."""
    prefix = b"EGRES1 " + nonce + b"\n"
    if len(buf) < len(prefix):
        return None if prefix.startswith(bytes(buf)) else False
    if not buf.startswith(prefix):
        return False
    pos, fields = len(prefix), {}
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            return None if len(buf) - pos < 64 else False
        header = bytes(buf[pos:nl])
        if header == b"END":
            return fields, nl + 1
        key, sep, length = header.partition(b" ")
        if not sep or not length.isdigit() or not key.replace(b"_", b"").isalnum():
            return False
        start, end = nl + 1, nl + 1 + int(length)
        if len(buf) < end + 1:
            return None
        if buf[end:end + 1] != b"\n":
            return False
        fields[key.decode("ascii")] = bytes(buf[start:end]).decode("utf-8", "replace")
        pos = end + 1


def _death(obs: dict, mode: str, limits: dict, cpu_limit_s: int):
    """How a phase that wrote no record ended -> (status, error, exit_code)."""
    wstatus = obs["wstatus"]
    signaled = os.WIFSIGNALED(wstatus)
    sig = os.WTERMSIG(wstatus) if signaled else 0
    exit_code = 128 + sig if signaled else os.WEXITSTATUS(wstatus)
    if obs["output_exceeded"]:
        return "output_limit", {"type": "OutputLimit",
                                "message": f"stdout or stderr exceeded {limits['max_output_bytes']} bytes"}, exit_code
    if obs["bad_record"]:
        return "error", {"type": "ResultCorrupted",
                         "message": "the result channel held something other than the harness's records"}, exit_code
    if obs["wall_timeout"]:
        return "timeout", {"type": "Timeout", "message": f"wall-clock limit of {limits['wall_ms']} ms exceeded"}, exit_code
    if signaled and (sig in (signal.SIGPROF, signal.SIGXCPU)
                     or (sig == signal.SIGKILL and not obs["killed_by_us"] and obs["cpu_ms"] >= cpu_limit_s * 1000)):
        return "timeout", {"type": "Timeout", "message": f"CPU time limit of {limits['timeout_ms']} ms exceeded"}, exit_code
    if signaled:
        why = " (not a CPU limit: e.g. the OOM killer of the slot's memory cgroup)" if sig == signal.SIGKILL else ""
        return "killed", {"type": "Signal", "message": f"terminated by {SIGNAL_NAMES.get(sig, sig)}{why}"}, exit_code
    if mode == "program":
        if exit_code == 0:
            return "passed", None, 0
        return "error", {"type": "Exit", "message": f"exited with code {exit_code}"}, exit_code
    return "error", {"type": "EarlyExit",
                     "message": f"the process exited with code {exit_code} before the test completed"}, exit_code


def _result(test_id: str, status: str, error, exit_code: int, phases: list, duration_ms: float, cpu_ms: float,
            trace: bool, fields=None) -> dict:
    out = dict(id=test_id, status=status, error=error,
               stdout="".join(p.out.text() for p in phases), stderr="".join(p.err.text() for p in phases),
               stdout_truncated=any(p.out.truncated for p in phases),
               stderr_truncated=any(p.err.truncated for p in phases),
               duration_ms=round(duration_ms, 3), cpu_ms=round(cpu_ms, 3), exit_code=exit_code)
    if trace:
        out["trace"] = fields.get("trace", "") if fields else ""
        out["trace_truncated"] = bool(fields) and fields.get("trace_truncated") == "1"
    return out


def _from_record(test_id: str, fields: dict, phases: list, trace: bool) -> dict:
    error = {"type": fields["etype"], "message": fields.get("emsg", "")} if fields.get("etype") else None
    try:
        exit_code = int(fields.get("exit_code", "0"))
    except ValueError:
        exit_code = 1
    return _result(test_id, fields["status"], error, exit_code, phases,
                   float(fields.get("wall_ms", 0) or 0), float(fields.get("cpu_ms", 0) or 0), trace, fields)


def run_request(program: str, tests: list, mode: str, trace: bool, isolate: bool, limits: dict) -> list:
    """All results of one run request.  Verdict mode: one child runs the program and then the tests in order;
    when a test ends the child (timeout, crash, os._exit, memory) the remaining tests continue in a fresh child.
    isolate / trace: one child per test (program re-executed each time, like `python3 program+test`)."""
    timeout_s = limits["timeout_ms"] / 1000
    results: list = []
    start = 0
    n = len(tests)
    while True:
        if mode == "program":
            batch, phases_expected = [], ["P"]
        else:
            batch = tests[start:start + 1] if (trace or isolate) else tests[start:]
            phases_expected = [str(start)] if trace else ["P"] + [str(start + k) for k in range(len(batch))]
        nonce = os.urandom(16).hex().encode("ascii")
        job = dict(kind="run", program=program, tests=[t["code"] for t in batch], first_index=start, mode=mode,
                   trace=trace, timeout_s=timeout_s, trace_max_steps=limits["trace_max_steps"],
                   trace_max_chars=limits["trace_max_chars"], trace_format=limits.get("trace_format", "python"))
        if len(batch) == 1 and isinstance(batch[0].get("stdin"), str):
            job["stdin"] = batch[0]["stdin"]  # trace / isolate only (one test per child)
        cpu_limit_s = math.ceil(timeout_s * (len(batch) + 1)) + 1
        obs = _fork_and_watch(job, phases_expected, limits, cpu_limit_s, nonce)
        by_idx = {idx: (fields, phase) for idx, fields, phase in obs["done"]}
        program_phase = by_idx.get("P")
        if mode == "program":
            if program_phase:
                return [_from_record("program", program_phase[0], [program_phase[1], obs["current"]], trace)]
            status, error, code = _death(obs, mode, limits, cpu_limit_s)
            return [_result("program", status, error, code, [obs["current"]], obs["duration_ms"], obs["cpu_ms"], trace)]
        if not trace and program_phase is None:
            # The program itself did not complete: every test of the batch shares that outcome.
            status, error, code = _death(obs, mode, limits, cpu_limit_s)
            for t in batch:
                results.append(_result(t["id"], status, error, code, [obs["current"]], obs["duration_ms"],
                                       obs["cpu_ms"], trace))
            return results
        if not trace and program_phase[0]["status"] != "passed":
            for t in batch:
                results.append(_from_record(t["id"], program_phase[0], [program_phase[1]], trace))
            return results
        prefix = [] if trace else [program_phase[1]]
        recorded_cpu = sum(float(f.get("cpu_ms", 0) or 0) for _, f, _ in obs["done"])
        for k, t in enumerate(batch):
            rec = by_idx.get(str(start + k))
            if rec is not None:
                results.append(_from_record(t["id"], rec[0], prefix + [rec[1]], trace))
                continue
            previous = obs["done"][-1][1] if obs["done"] else None
            if previous is not None and previous.get("status") == "memory_limit" and not obs["bad_record"] \
                    and os.WIFEXITED(obs["wstatus"]) and os.WEXITSTATUS(obs["wstatus"]) == 0:
                # The harness stopped on purpose after a memory_limit (the namespace may hold the memory): this
                # test never started; resume with it in a fresh child.
                start += k
                break
            # This test ended the child: classify how, then resume after it in a fresh child.
            status, error, code = _death(obs, mode, limits, cpu_limit_s)
            results.append(_result(t["id"], status, error, code, prefix + [obs["current"]],
                                   (time.monotonic() - obs["current"].t0) * 1000,
                                   max(obs["cpu_ms"] - recorded_cpu, 0), trace))
            start += k + 1
            break
        else:
            start += len(batch)
            if obs["current"].out.total or obs["current"].err.total:
                # Output after the last record (a background process): keep it with the last test.
                last = results[-1]
                last["stdout"] += obs["current"].out.text()
                last["stderr"] += obs["current"].err.text()
        if start >= n:
            return results


# Contest verdicts of the "stdio" op, from the harness status of a whole-program run (see checker.py for the rest).
CONTEST_VERDICT = {"timeout": "time_limit", "memory_limit": "memory_limit", "output_limit": "wrong_answer",
                   "error": "runtime_error", "syntax_error": "runtime_error", "killed": "runtime_error",
                   "suspicious_eq": "runtime_error", "failed": "runtime_error"}


def run_stdio(program: str, tests: list, limits: dict, float_tol: float, stop_on_failure: bool) -> list:
    """Each test: a fresh child runs the whole program (mode "program") with the test's input on stdin; its stdout
    (kept whole up to the output limit) is judged by checker.check against the expected output.  After the first
    test that is not accepted, stop_on_failure leaves the remaining ones as "skipped" (a judge stops there too)."""
    keep = limits["keep_output_bytes"]
    timeout_s = limits["timeout_ms"] / 1000
    cpu_limit_s = math.ceil(timeout_s) + 1
    results: list = []
    failed = False
    for t in tests:
        if failed and stop_on_failure:
            results.append(dict(id=t["id"], verdict="skipped", status="skipped", error=None, stdout="", stderr="",
                                stdout_truncated=False, stderr_truncated=False, duration_ms=0, cpu_ms=0, exit_code=0,
                                checker=""))
            continue
        expected = t["output"]
        max_out = max(limits["max_output_bytes"], 2 * len(expected.encode("utf-8")) + (64 << 10))
        run_limits = dict(limits, keep_output_bytes=max_out, max_output_bytes=max_out)
        nonce = os.urandom(16).hex().encode("ascii")
        job = dict(kind="run", program=program, tests=[], first_index=0, mode="program", trace=False,
                   timeout_s=timeout_s, trace_max_steps=1, trace_max_chars=1, stdin=t["input"])
        obs = _fork_and_watch(job, ["P"], run_limits, cpu_limit_s, nonce)
        phases = [obs["done"][0][2], obs["current"]] if obs["done"] else [obs["current"]]
        if obs["done"] and not obs["output_exceeded"]:
            r = _from_record(t["id"], obs["done"][0][1], phases, False)
        else:
            status, error, code = _death(obs, "program", run_limits, cpu_limit_s)
            r = _result(t["id"], status, error, code, phases, obs["duration_ms"], obs["cpu_ms"], False)
        message = ""
        if r["status"] == "passed":
            ok, message = checker.check(r["stdout"], expected, float_tol)
            verdict = "accepted" if ok else "wrong_answer"
        elif r["status"] == "killed" and r["exit_code"] == 128 + signal.SIGKILL and not obs["killed_by_us"]:
            verdict = "memory_limit"  # SIGKILL from outside: the slot's memory cgroup (OOM killer)
        else:
            verdict = CONTEST_VERDICT.get(r["status"], "runtime_error")
        raw = r["stdout"].encode("utf-8")
        if len(raw) > keep:
            r["stdout"], r["stdout_truncated"] = raw[:keep].decode("utf-8", "ignore"), True
        err = r["stderr"].encode("utf-8")
        if len(err) > keep:
            r["stderr"], r["stderr_truncated"] = err[:keep].decode("utf-8", "ignore"), True
        r.update(verdict=verdict, checker=message)
        failed = failed or verdict != "accepted"
        results.append(r)
    return results


def run_prepare(code: str) -> dict:
    nonce = os.urandom(16).hex().encode("ascii")
    limits = dict(PREPARE_LIMITS, keep_output_bytes=0, max_output_bytes=1 << 20, max_result_bytes=64 << 20)
    obs = _fork_and_watch(dict(kind="prepare", code=code), ["P"], limits, math.ceil(limits["timeout_ms"] / 1000), nonce)
    if obs["done"]:
        try:
            return json.loads(obs["done"][0][1]["json"])
        except (KeyError, ValueError):
            pass
    status, error, _ = _death(obs, "program", limits, math.ceil(limits["timeout_ms"] / 1000))
    return {"ok": False, "error": f"make_executable did not finish: {status} ({(error or {}).get('message', '')})"}


# ---------------------------------------------------------------------------------------------------------------
# protocol
def _int_field(req: dict, name: str, lo: int, hi: int) -> int:
    value = req.get(name, DEFAULTS.get(name))
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def _limits(req: dict) -> dict:
    limits = {name: _int_field(req, name, lo, hi) for name, lo, hi in (
        ("timeout_ms", 10, 600_000), ("memory_mb", 16, 65_536), ("max_output_bytes", 0, 1 << 30),
        ("keep_output_bytes", 0, 64 << 20), ("trace_max_steps", 1, 10_000_000), ("trace_max_chars", 1, 1 << 28))}
    limits["wall_ms"] = _int_field(dict(req, wall_ms=req.get("wall_ms", 3 * limits["timeout_ms"] + 1000)),
                                   "wall_ms", 10, 1_800_000)
    limits["max_result_bytes"] = 4 * limits["trace_max_chars"] + (1 << 20)
    limits["trace_format"] = req.get("trace_format", "python")
    if limits["trace_format"] not in ("python", "authors"):
        raise ValueError(f"trace_format must be 'python' or 'authors', got {limits['trace_format']!r}")
    return limits


def _handle_stdio(req: dict) -> dict:
    program, tests = req.get("program"), req.get("tests")
    if not isinstance(program, str):
        raise ValueError("stdio: program must be a string")
    if not isinstance(tests, list) or not tests or not all(
            isinstance(t, dict) and isinstance(t.get("id"), str) and isinstance(t.get("input"), str)
            and isinstance(t.get("output"), str) for t in tests):
        raise ValueError("stdio: tests must be a non-empty list of {id: str, input: str, output: str}")
    tol = req.get("float_tol", 1e-6)
    if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not 0 <= tol < 1:
        raise ValueError(f"stdio: float_tol must be a number in [0, 1), got {tol!r}")
    stop = req.get("stop_on_failure", True)
    if not isinstance(stop, bool):
        raise ValueError("stdio: stop_on_failure must be a boolean")
    return {"stdio": run_stdio(program, tests, _limits(req), float(tol), stop)}


def handle(req) -> dict:
    if not isinstance(req, dict):
        raise ValueError("request must be a JSON object")
    op = req.get("op")
    if op == "ping":
        return {"pong": True}
    if op == "prepare":
        if not isinstance(req.get("code"), str):
            raise ValueError("prepare: code must be a string")
        return {"prepare": run_prepare(req["code"])}
    if op == "stdio":
        return _handle_stdio(req)
    if op != "run":
        raise ValueError(f"unknown op {op!r} (expected run, stdio, prepare or ping)")
    program, tests, mode, trace = req.get("program"), req.get("tests"), req.get("mode", "verdict"), req.get("trace", False)
    if not isinstance(program, str):
        raise ValueError("run: program must be a string")
    if mode not in ("verdict", "program"):
        raise ValueError(f"run: mode must be 'verdict' or 'program', got {mode!r}")
    if not isinstance(trace, bool):
        raise ValueError("run: trace must be a boolean")
    if mode == "verdict":
        if not isinstance(tests, list) or not tests or not all(
                isinstance(t, dict) and isinstance(t.get("id"), str) and isinstance(t.get("code"), str)
                and isinstance(t.get("stdin", ""), str) for t in tests):
            raise ValueError("run: tests must be a non-empty list of {id: str, code: str}")
    limits = _limits(req)
    isolate = req.get("isolate", False)
    if not isinstance(isolate, bool):
        raise ValueError("run: isolate must be a boolean")
    return {"results": run_request(program, tests if mode == "verdict" else [], mode, trace, isolate, limits)}


def _send(obj: dict) -> None:
    harness.write_all(PROTO_OUT, json.dumps(obj).encode("utf-8") + b"\n")


def main() -> None:
    global JAILED, WORK_ROOT, PROTO_IN, PROTO_OUT, DEVNULL
    unsafe = "--unsafe-no-sandbox" in sys.argv[1:]
    if "--jailed" in sys.argv[1:]:
        if os.getpid() != 1:
            sys.stderr.write("server.py --jailed: expected to be PID 1 of a fresh PID namespace (nsjail)\n")
            sys.exit(2)
        JAILED = True
    elif not unsafe:
        sys.stderr.write("usage: server.py --jailed | --unsafe-no-sandbox\n")
        sys.exit(2)
    else:
        import tempfile  # only here: it imports `random`, which the children must not inherit
        WORK_ROOT = tempfile.mkdtemp(prefix="egcfg-sandbox-")
    # Keep the protocol fds out of reach of children (they are closed in every child anyway) and point 0/1 at
    # /dev/null.  No signal handlers: as PID 1 that makes the server immune to signals sent from inside the jail.
    PROTO_IN, PROTO_OUT = os.dup(0), os.dup(1)
    DEVNULL = os.open(os.devnull, os.O_RDWR)
    os.dup2(DEVNULL, 0)
    os.dup2(DEVNULL, 1)
    sys.stdin = sys.stdout = None  # type: ignore[assignment]
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    for name in PREIMPORT:
        __import__(name)
    # Move everything allocated so far out of the collector's reach: the forked children then do not touch (and
    # copy-on-write) these pages when they collect garbage.
    gc.collect()
    gc.freeze()
    ensure_spare()
    _send({"ready": True, "pid": os.getpid(), "python": sys.version.split()[0], "jailed": JAILED,
           "hashseed": os.environ.get("PYTHONHASHSEED")})
    buf = b""
    while True:
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > MAX_REQUEST_BYTES:
                _send({"id": None, "ok": False, "error": f"request larger than {MAX_REQUEST_BYTES} bytes"})
                return
            data = os.read(PROTO_IN, 1 << 20)
            if not data:
                if _spare is not None:
                    _spare.discard()
                return  # the pool closed our stdin: shut down
            buf += data
            continue
        line, buf = buf[:nl], buf[nl + 1:]
        if not line.strip():
            continue
        req_id = None
        try:
            req = json.loads(line)
            req_id = req.get("id") if isinstance(req, dict) else None
            reply = handle(req)
            _send(dict(reply, id=req_id, ok=True))
        except (ValueError, TypeError, KeyError) as e:
            _send({"id": req_id, "ok": False, "error": str(e)})
        ensure_spare()  # fork the next child now, while the pool is busy with our reply


if __name__ == "__main__":
    main()
