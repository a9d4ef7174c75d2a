// Hostile programs under real nsjail: each gets the right verdict, the host is unharmed (files, a loopback
// listener, the environment, no stray processes), and the pool keeps serving with the same workers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox, type ExecutionResult, type TestStatus } from '../../activities/sandbox/index.ts';
import { repoPath } from '../../core/repo.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = `egcfg-fake-secret-${randomBytes(8).toString('hex')}`;
const MARK = randomBytes(6).toString('hex');
const HOST_TMP_FILE = `/tmp/egcfg-pwned-${MARK}`;
const REPO_FILE = repoPath(`SANDBOX-PWNED-${MARK}`);

let sandbox: Sandbox;
let listener: Server;
let port = 0;
let connections = 0;
let startPids: number[] = [];

/** Host processes running as one of the sandbox's outside uids that are neither a fork server (child of an
 *  nsjail) nor its pre-forked spare child (child of a server, blocked in read() on its job fd 4). */
function strayProcesses(sb: Sandbox): string[] {
  const jails = new Set(sb.workerPids());
  const procs: Array<{ pid: number; ppid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      if (sb.slotUids.includes(uid)) procs.push({ pid: Number(entry), ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) });
    } catch { /* exited meanwhile */ }
  }
  const servers = new Set(procs.filter((p) => jails.has(p.ppid)).map((p) => p.pid));
  const stray: string[] = [];
  const sparesPerServer = new Map<number, number>();
  for (const p of procs) {
    if (servers.has(p.pid)) continue;
    let syscall: string;
    try { syscall = readFileSync(`/proc/${p.pid}/syscall`, 'utf8'); } catch { continue; /* exited meanwhile */ }
    if (servers.has(p.ppid) && /^0 0x4 /.test(syscall)) {
      sparesPerServer.set(p.ppid, (sparesPerServer.get(p.ppid) ?? 0) + 1);
      continue;
    }
    let cmd = '';
    try { cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { /* gone */ }
    stray.push(`${p.pid} (ppid ${p.ppid}): ${cmd} [${syscall.trim()}]`);
  }
  for (const [server, n] of sparesPerServer) if (n > 1) stray.push(`server ${server} has ${n} waiting children`);
  return stray;
}

async function run(program: string, tests: Array<{ id: string; code: string }> = [{ id: 't', code: 'pass' }], timeoutMs = 1000): Promise<ExecutionResult> {
  return sandbox.run({ program, tests, timeoutMs });
}

before(async () => {
  process.env.EGCFG_FAKE_SECRET = SECRET;
  listener = createServer((sock) => { connections++; sock.destroy(); });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  sandbox = await createSandbox({ poolSize: 2 });
  startPids = sandbox.workerPids();
}, { timeout: 300_000 });

after(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  delete process.env.EGCFG_FAKE_SECRET;
  rmSync(HOST_TMP_FILE, { force: true });
  rmSync(REPO_FILE, { force: true });
}, { timeout: 120_000 });

interface Case { name: string; program: string; test?: string; status: TestStatus; errorType?: string; timeoutMs?: number; check?: (r: ExecutionResult) => void }

const WRONG = 'def answer():\n    return 41\n';
const CHECK = 'assert answer() == 42';

const cases: Case[] = [
  { name: 'fork bomb', program: 'import os\nwhile True:\n    os.fork()', status: 'error', errorType: 'BlockingIOError' },
  { name: 'fork bomb that swallows EAGAIN', program: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass', status: 'timeout' },
  { name: 'memory bomb', program: 'x = []\nwhile True:\n    x.append(bytearray(10 ** 7))', status: 'memory_limit' },
  { name: 'one huge allocation', program: 'x = bytearray(8 * 1024 ** 3)', status: 'memory_limit' },
  { name: 'infinite loop', program: 'while True:\n    pass', status: 'timeout', check: (r) => assert.match(r.tests[0]!.error!.message, /CPU time/) },
  { name: 'loop ignoring SIGTERM, SIGINT, SIGPROF and SIGXCPU', program: 'import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGPROF, signal.SIGXCPU):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass', status: 'timeout' },
  { name: 'sleep', program: 'import time\ntime.sleep(600)', status: 'timeout', timeoutMs: 300, check: (r) => assert.match(r.tests[0]!.error!.message, /wall-clock/) },
  { name: 'stdout flood', program: 'while True:\n    print("x" * 10000)', status: 'output_limit', check: (r) => { assert.equal(r.tests[0]!.stdoutTruncated, true); assert.ok(r.tests[0]!.stdout.length <= 65536); } },
  { name: 'stderr flood', program: 'import sys\nwhile True:\n    sys.stderr.write("e" * 10000)', status: 'output_limit' },
  { name: 'network: connect to a host loopback listener', program: `import socket\nsocket.create_connection(("127.0.0.1", PORT), timeout=2)`, status: 'error', errorType: 'ConnectionRefusedError' },
  { name: 'network: connect to an outside address', program: 'import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=2)', status: 'error', errorType: 'OSError', check: (r) => assert.match(r.tests[0]!.error!.message, /unreachable/i) },
  { name: 'network: DNS lookup', program: 'import socket\nsocket.getaddrinfo("example.com", 80)', status: 'error', errorType: 'gaierror' },
  { name: 'write outside /tmp (read-only /usr)', program: 'open("/usr/lib/egcfg-pwned", "w").write("x")', status: 'error', errorType: 'OSError', check: (r) => assert.match(r.tests[0]!.error!.message, /Read-only/) },
  { name: 'write into the project folder (not mounted)', program: `open(${JSON.stringify(REPO_FILE)}, "w").write("x")`, status: 'error', errorType: 'FileNotFoundError' },
  { name: 'write to /tmp stays inside the jail', program: `open(${JSON.stringify(HOST_TMP_FILE)}, "w").write("x")\nassert open(${JSON.stringify(HOST_TMP_FILE)}).read() == "x"`, status: 'passed' },
  { name: 'fill /tmp', program: 'open("/tmp/big", "wb").write(b"x" * (100 * 1024 * 1024))', status: 'error', errorType: 'OSError' },
  { name: 'read env secrets', program: 'import os\nprint(sorted(os.environ.items()))\nassert not any("SECRET" in k or "egcfg-fake" in v for k, v in os.environ.items())\nassert set(os.environ) <= {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE"}', status: 'passed', check: (r) => assert.ok(!r.tests[0]!.stdout.includes(SECRET)) },
  { name: 'read /proc (not mounted)', program: 'print(open("/proc/self/environ").read())', status: 'error', errorType: 'FileNotFoundError' },
  { name: 'read host files (/etc/passwd, the repo)', program: 'import os\nassert not os.path.exists("/etc/passwd")\nassert not os.path.exists("/work")\nassert sorted(os.listdir("/")) == ["bin", "dev", "lib", "lib64", "sandbox", "tmp", "usr"], os.listdir("/")\nopen("/etc/passwd")', status: 'error', errorType: 'FileNotFoundError' },
  { name: 'spawn a shell that tries damage', program: 'import subprocess\nsubprocess.run(["/bin/sh", "-c", "rm -rf /usr/lib/python3* ; echo pwned > /usr/pwned ; cat /etc/shadow"], check=True)', status: 'error', errorType: 'CalledProcessError', check: () => assert.ok(existsSync('/usr/lib/python3.11/os.py')) },
  { name: 'kill the parent (fork server), PID 1 and everything', program: `import os, signal\nfor target in (os.getppid(), 1):\n    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGSEGV):\n        try:\n            os.kill(target, sig)\n        except OSError:\n            pass\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n${WRONG}`, test: CHECK, status: 'failed' },
  { name: 'ptrace the fork server', program: 'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.ptrace(16, 1, 0, 0) == -1 and ctypes.get_errno() == 1, "PTRACE_ATTACH must be denied"\nraise SystemExit("denied")', status: 'error', errorType: 'SystemExit' },
  { name: 'new namespaces (unshare)', program: 'import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.unshare(0x10000000) != 0:\n    raise PermissionError(ctypes.get_errno(), "unshare(CLONE_NEWUSER) denied")', status: 'error', errorType: 'PermissionError', check: (r) => assert.match(r.tests[0]!.error!.message, /^\[Errno 1\]/) },
  { name: 'ctypes segfault', program: 'import ctypes\nctypes.string_at(0)', status: 'killed', check: (r) => assert.match(r.tests[0]!.error!.message, /SIGSEGV/) },
  { name: 'runaway recursion', program: 'def f(n):\n    return f(n + 1)\nf(0)', status: 'error', errorType: 'RecursionError' },
  { name: 'giant integer power', program: 'x = 7 ** (7 ** 12)', status: 'timeout' },
  { name: 'giant integer to str', program: 'str(10 ** 100000)', status: 'error', errorType: 'ValueError' },
  { name: 'fd exhaustion', program: 'fs = [open("/dev/null") for _ in range(10000)]', status: 'error', errorType: 'OSError' },
  { name: 'background process in a new session survives nothing', program: 'import subprocess\nsubprocess.Popen(["/bin/sh", "-c", "sleep 600"], start_new_session=True)\nimport os\nif os.fork() == 0:\n    os.setsid()\n    import time\n    time.sleep(600)', status: 'passed' },
  // ---- cheaters: none of these may pass -----------------------------------------------------------------------
  { name: 'cheat: sys.exit(0) before the test', program: `${WRONG}import sys\nsys.exit(0)`, test: CHECK, status: 'error', errorType: 'SystemExit' },
  { name: 'cheat: sys.exit(0) from a function the test calls', program: 'import sys\ndef answer():\n    sys.exit(0)', test: CHECK, status: 'error', errorType: 'SystemExit' },
  { name: 'cheat: os._exit(0)', program: `${WRONG}import os\nos._exit(0)`, test: CHECK, status: 'error', errorType: 'EarlyExit' },
  { name: 'cheat: os._exit(0) from a function the test calls', program: 'import os\ndef answer():\n    os._exit(0)', test: CHECK, status: 'error', errorType: 'EarlyExit' },
  { name: 'cheat: rebind AssertionError', program: `${WRONG}import builtins\nclass Nope(BaseException):\n    pass\nbuiltins.AssertionError = Nope\nAssertionError = Nope`, test: CHECK, status: 'failed', errorType: 'AssertionError' },
  { name: 'cheat: override sys.exit, os._exit, print, json', program: `${WRONG}import sys, os, json, builtins\nsys.exit = lambda *a: None\nos._exit = lambda *a: None\njson.dumps = lambda *a, **k: '{"status": "passed"}'\nbuiltins.print = lambda *a, **k: None`, test: CHECK, status: 'failed' },
  { name: 'cheat: patch builtins the test relies on', program: `${WRONG}import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\nbuiltins.len = lambda x: 3`, test: 'assert abs(answer() - 42) < 1e-9 and isinstance(answer(), int) and len([1]) == 1', status: 'failed' },
  { name: 'cheat: print a fake pass marker', program: `${WRONG}print('{"status": "passed", "passed": true}')\nprint("EGRES1 x\\nstatus 6\\npassed\\nEND")\nprint("PASSED")`, test: CHECK, status: 'failed' },
  { name: 'cheat: forge a record on the result fd', program: `${WRONG}import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b"EGRES1 " + b"0" * 32 + b"\\nidx 1\\nP\\nstatus 6\\npassed\\nEND\\nEGRES1 " + b"0" * 32 + b"\\nidx 1\\n0\\nstatus 6\\npassed\\nEND\\n")\n    except OSError:\n        pass`, test: CHECK, status: 'error', errorType: 'ResultCorrupted' },
  { name: 'cheat: close the result fd and exit cleanly', program: `${WRONG}import os\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n    except OSError:\n        pass`, test: CHECK, status: 'error', errorType: 'EarlyExit' },
  { name: 'cheat: swallow the failure with sys.excepthook / atexit', program: `${WRONG}import sys, atexit\nsys.excepthook = lambda *a: None\natexit.register(lambda: print("ok"))`, test: CHECK, status: 'failed' },
];

describe('hostile programs (real nsjail)', { timeout: 600_000 }, () => {
  for (const c of cases) {
    test(c.name, async () => {
      const program = c.program.replace('PORT', String(port));
      const r = await run(program, [{ id: 't', code: c.test ?? 'pass' }], c.timeoutMs ?? 1000);
      const t = r.tests[0]!;
      assert.equal(t.status, c.status, `status ${t.status} (${t.error?.type}: ${t.error?.message}) stderr: ${t.stderr.slice(-400)}`);
      assert.equal(r.passed, c.status === 'passed');
      if (c.errorType) assert.equal(t.error?.type, c.errorType, `error ${JSON.stringify(t.error)}`);
      c.check?.(r);
      // Nothing the test started is still running: only the fork servers (and their idle spare child) remain.
      // (The spare is forked right after the reply; give it up to 2 s to reach its read() on the job fd.)
      const stray = await waitFor('no stray processes', () => (strayProcesses(sandbox).length === 0 ? [] : undefined), { timeoutMs: 2000, intervalMs: 50 })
        .catch(() => strayProcesses(sandbox));
      assert.deepEqual(stray, [], 'no stray processes left on the host');
    });
  }

  test('host unharmed: no file outside, no connection to the listener, secret present only on the host', () => {
    assert.equal(existsSync(HOST_TMP_FILE), false);
    assert.equal(existsSync(REPO_FILE), false);
    assert.equal(existsSync('/usr/lib/egcfg-pwned'), false);
    assert.equal(existsSync('/usr/pwned'), false);
    assert.equal(connections, 0);
    assert.equal(process.env.EGCFG_FAKE_SECRET, SECRET);
  });

  test('the pool still serves, with the same workers, and /tmp is clean between executions', async () => {
    assert.deepEqual(sandbox.workerPids(), startPids, 'no worker had to be restarted');
    const r = await run('import os\nprint(sorted(os.listdir("/tmp")))\ndef f(x):\n    return x + 1', [{ id: 'a', code: 'assert f(1) == 2' }]);
    assert.equal(r.status, 'passed');
    assert.equal(r.tests[0]!.stdout, '[]\n');
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => run(`x = ${i}`, [{ id: 'a', code: `assert x == ${i}` }])));
    assert.ok(many.every((m) => m.passed));
  });

  test('limits inside the jail are the documented ones', async () => {
    const r = await sandbox.runProgram({ code: 'import resource as r, os\nfor n in ("AS", "CPU", "FSIZE", "NOFILE", "NPROC", "STACK", "CORE"):\n    print(n, *r.getrlimit(getattr(r, "RLIMIT_" + n)))\nprint("uid", os.getuid(), os.getgid(), "ppid", os.getppid())', memoryMb: 256, timeoutMs: 2000 });
    assert.equal(r.status, 'passed');
    const lim = Object.fromEntries(r.stdout.trim().split('\n').map((l) => { const [k, ...v] = l.split(' '); return [k, v.join(' ')]; }));
    assert.equal(lim.AS, `${256 * 2 ** 20} ${256 * 2 ** 20}`);
    assert.equal(lim.NPROC, '32 32');
    assert.equal(lim.NOFILE, '64 64');
    assert.equal(lim.FSIZE, `${16 * 2 ** 20} ${16 * 2 ** 20}`);
    assert.equal(lim.STACK, `${8 * 2 ** 20} ${8 * 2 ** 20}`);
    assert.equal(lim.CORE, '0 0');
    assert.equal(lim.CPU, '3 4', 'ceil(2 s * (0 tests + 1)) + 1 soft, +1 hard');
    assert.equal(lim.uid, '65534 65534 ppid 1');
  });

  test('memory spread over many processes is capped per slot (memory cgroup)', async (t) => {
    const small = await createSandbox({ poolSize: 1, maxMemoryMb: 512 });
    try {
      if (small.memoryCgroupMb === null) { t.skip('no cgroup v1 memory controller here (a warning was logged)'); return; }
      assert.equal(small.memoryCgroupMb, 768);
      const r = await small.run({
        program: 'import os, time\nkids = []\nfor i in range(5):\n    pid = os.fork()\n    if pid == 0:\n        b = bytearray(300 * 1024 * 1024)\n        for j in range(0, len(b), 4096):\n            b[j] = 1\n        time.sleep(0.5)\n        os._exit(0)\n    kids.append(pid)\ncodes = [os.waitpid(p, 0)[1] for p in kids]\nassert all(c == 0 for c in codes), codes',
        tests: [{ id: 't', code: 'pass' }], timeoutMs: 5000, memoryMb: 400,
      });
      assert.equal(r.status, 'failed', JSON.stringify(r.tests[0]!.error));
      assert.match(r.tests[0]!.error!.message, /\b9\b/, 'some children were SIGKILLed by the cgroup OOM killer');
      assert.equal((await small.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] })).status, 'passed');
    } finally {
      await small.close();
    }
  });

  test('a fork bomb in one slot does not starve the other slot (distinct outside uids)', async () => {
    assert.equal(new Set(sandbox.slotUids).size, sandbox.poolSize);
    const bomb = run('import os, time\nfor _ in range(40):\n    try:\n        os.fork()\n    except OSError:\n        break\ntime.sleep(2)', [{ id: 't', code: 'pass' }], 1000);
    // The bomb's processes are running (outside the fork servers) before the other slot is asked for anything.
    await waitFor('the fork bomb running in its slot', () => strayProcesses(sandbox).length > 0, { timeoutMs: 10_000, intervalMs: 20 });
    const other = await run('import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)', [{ id: 't', code: 'pass' }]);
    assert.equal(other.status, 'passed', JSON.stringify(other.tests[0]!.error));
    await bomb;
  });
});
