// The sandbox's TypeScript API under real nsjail: validation, verdict aggregation, per-test output, resuming after a
// test that ends the child, trace mode, runProgram, prepare, FIFO order, worker restart, configuration errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createSandbox, getSharedSandbox, closeSharedSandbox, SandboxUnavailableError, type Sandbox,
} from '../../activities/sandbox/index.ts';
import { repoPath } from '../../core/repo.ts';
import { sandboxPython } from '../../core/tools.ts';
import { waitFor } from '../support/wait.ts';

let sandbox: Sandbox;
before(async () => { sandbox = await createSandbox({ poolSize: 2 }); }, { timeout: 300_000 });
after(async () => { await sandbox.close(); }, { timeout: 120_000 });

const F = 'def f(x):\n    return 2 * x\n';

describe('sandbox API (real nsjail)', { timeout: 600_000 }, () => {
  test('requests are validated with messages that name the problem', async () => {
    await assert.rejects(sandbox.run({ program: F, tests: [] }), /tests: tests must hold at least one test case/);
    await assert.rejects(sandbox.run({ program: F, tests: [{ id: 'a', code: '' }, { id: 'a', code: '' }] }), /tests\.1\.id: duplicate test id "a"/);
    await assert.rejects(sandbox.run({ program: F, tests: [{ id: 'a', code: '' }], timeoutMs: 5 }), /timeoutMs: timeoutMs must be >= 10/);
    await assert.rejects(sandbox.run({ program: F, tests: [{ id: 'a', code: '' }], memoryMb: 1.5 }), /memoryMb: memoryMb must be an integer/);
    await assert.rejects(sandbox.run({ program: F, tests: [{ id: 'a', code: '' }], memoryMb: 100_000 }), /memoryMb/);
    await assert.rejects(sandbox.run({ program: F, tests: [{ id: 'a', code: '' }], bogus: 1 } as never), /Unrecognized key.*bogus/i);
    await assert.rejects(sandbox.run({ program: 3, tests: [{ id: 'a', code: '' }] } as never), /program:/);
    await assert.rejects(createSandbox({ poolSize: 0 }), /poolSize must be >= 1/);
  });

  test('overall status = first non-passed test; counts; output of the deciding test', async () => {
    const r = await sandbox.run({
      program: `${F}print("program")`,
      tests: [
        { id: 'ok', code: 'print("A")\nassert f(2) == 4' },
        { id: 'wrong', code: 'print("B")\nassert f(2) == 5, "f(2) should be 5"' },
        { id: 'crash', code: 'f(None)' },
        { id: 'syntax', code: 'assert f(2) = 4' },
      ],
    });
    assert.equal(r.status, 'failed');
    assert.equal(r.passed, false);
    assert.equal(r.testsPassed, 1);
    assert.equal(r.testsTotal, 4);
    assert.deepEqual(r.tests.map((t) => t.status), ['passed', 'failed', 'error', 'syntax_error']);
    assert.deepEqual(r.tests[1]!.error, { type: 'AssertionError', message: 'f(2) should be 5' });
    assert.equal(r.tests[2]!.error!.type, 'TypeError');
    assert.equal(r.tests[3]!.error!.type, 'SyntaxError');
    assert.equal(r.tests[0]!.stdout, 'program\nA\n', 'each test sees the program output, then its own');
    assert.equal(r.tests[1]!.stdout, 'program\nB\n');
    assert.equal(r.stdout, 'program\nB\n');
    assert.match(r.stderr, /AssertionError: f\(2\) should be 5/);
    assert.equal(r.isolation, 'nsjail');
    const all = await sandbox.run({ program: F, tests: [{ id: 'a', code: 'assert f(1) == 2' }, { id: 'b', code: 'assert f(0) == 0' }] });
    assert.deepEqual([all.status, all.passed, all.testsPassed], ['passed', true, 2]);
  });

  test('per-test output is exact: NUL/control bytes, writes larger than a pipe, truncation flags', async () => {
    const r = await sandbox.run({
      program: 'import os, sys\n',
      tests: [
        { id: 'nul', code: 'os.write(1, b"\\x00\\x1f" * 5000 + b"t0-end")\nos.write(2, b"\\x00")' },
        { id: 'big', code: 'print("x" * 100000)\nsys.stderr.write("e" * 70000)' },
        { id: 'small', code: 'print("t2")' },
      ],
    });
    assert.deepEqual(r.tests.map((t) => t.status), ['passed', 'passed', 'passed']);
    assert.equal(r.tests[0]!.stdout, '\u0000\u001f'.repeat(5000) + 't0-end');
    assert.equal(r.tests[0]!.stderr, '\u0000');
    assert.equal(r.tests[1]!.stdout, 'x'.repeat(65536));
    assert.deepEqual([r.tests[1]!.stdoutTruncated, r.tests[1]!.stderrTruncated], [true, true]);
    assert.equal(r.tests[2]!.stdout, 't2\n');
    assert.deepEqual([r.tests[2]!.stdoutTruncated, r.tests[2]!.stderrTruncated], [false, false]);
  });

  test('a program that fails gives every test its verdict', async () => {
    const r = await sandbox.run({ program: 'import nonexistent_module', tests: [{ id: 'a', code: 'pass' }, { id: 'b', code: 'pass' }] });
    assert.deepEqual(r.tests.map((t) => [t.status, t.error?.type]), [['error', 'ModuleNotFoundError'], ['error', 'ModuleNotFoundError']]);
    const s = await sandbox.run({ program: 'def f(:\n', tests: [{ id: 'a', code: 'pass' }] });
    assert.equal(s.status, 'syntax_error');
  });

  test('a test that ends the child (timeout, memory, os._exit, crash) does not take the next tests with it', async () => {
    const r = await sandbox.run({
      program: F,
      tests: [
        { id: 'ok1', code: 'assert f(1) == 2' },
        { id: 'loop', code: 'while True:\n    pass' },
        { id: 'ok2', code: 'assert f(2) == 4' },
        { id: 'mem', code: 'x = bytearray(2 * 1024 ** 3)' },
        { id: 'ok3', code: 'assert f(3) == 6' },
        { id: 'exit', code: 'import os\nos._exit(0)' },
        { id: 'segv', code: 'import ctypes\nctypes.string_at(0)' },
        { id: 'ok4', code: 'assert f(4) == 8' },
      ],
      timeoutMs: 300,
    });
    assert.deepEqual(r.tests.map((t) => t.status), ['passed', 'timeout', 'passed', 'memory_limit', 'passed', 'error', 'killed', 'passed']);
    assert.equal(r.status, 'timeout');
  });

  test('tests share the program namespace in order; isolateTests gives each a fresh child', async () => {
    const req = { program: 'calls = []\n', tests: [{ id: 'a', code: 'calls.append(1)\nassert len(calls) == 1' }, { id: 'b', code: 'calls.append(1)\nassert len(calls) == 1' }] };
    assert.deepEqual((await sandbox.run(req)).tests.map((t) => t.status), ['passed', 'failed']);
    assert.deepEqual((await sandbox.run({ ...req, isolateTests: true })).tests.map((t) => t.status), ['passed', 'passed']);
  });

  test('PYTHONHASHSEED is fixed: set order and hash() are the same in every slot and run', async () => {
    const code = 'print(hash("eg-cfg"), list({"a", "b", "c", "d", "e"}))';
    const host = spawnSync(sandboxPython(), ['-c', code], { env: { PYTHONHASHSEED: '0', PATH: '/usr/bin:/bin' }, encoding: 'utf8' }).stdout;
    const outs = await Promise.all(Array.from({ length: 6 }, () => sandbox.runProgram({ code })));
    assert.ok(outs.every((o) => o.stdout === host), `${outs.map((o) => o.stdout).join('')} vs ${host}`);
  });

  test('every child gets a freshly seeded random (the server never imports random)', async () => {
    const outs = await Promise.all(Array.from({ length: 6 }, () => sandbox.runProgram({ code: 'import random\nprint(random.random())' })));
    assert.equal(new Set(outs.map((o) => o.stdout)).size, 6);
  });

  test('trace mode: EG-CFG trace of program + invocation, per test', async () => {
    const r = await sandbox.run({ program: 'def add(a, b):\n    s = a + b\n    return s', tests: [{ id: 'i1', code: 'add(1, 2)' }, { id: 'i2', code: 'add("x", 1)' }], mode: 'trace' });
    assert.equal(r.tests[0]!.status, 'passed');
    assert.equal(r.tests[0]!.traceTruncated, false);
    assert.equal(r.tests[0]!.trace, [
      '= {} , {}', 'LINE: def add(a, b):',
      "= {'add': <function add>} , {'add': 'function'}", 'LINE: add(1, 2)',
      "== {'a': 1, 'b': 2} , {'a': 'int', 'b': 'int'}", 'CALL: def add(a, b):',
      "== {'a': 1, 'b': 2} , {'a': 'int', 'b': 'int'}", 'LINE: s = a + b',
      "== {'a': 1, 'b': 2, 's': 3} , {'a': 'int', 'b': 'int', 's': 'int'}", 'LINE: return s',
      "== {'a': 1, 'b': 2, 's': 3} , {'a': 'int', 'b': 'int', 's': 'int'}", 'RETURN: return s', 'Return Value: 3',
    ].join('\n'));
    assert.equal(r.tests[1]!.status, 'error');
    assert.match(r.tests[1]!.trace!, /EXCEPTION: s = a \+ b\nReturn Value: TypeError\('can only concatenate str \(not "int"\) to str'\)/);
    const capped = await sandbox.run({ program: 'def spin(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t', tests: [{ id: 'big', code: 'spin(100000)' }], mode: 'trace', traceMaxSteps: 50 });
    assert.equal(capped.tests[0]!.status, 'passed', 'the program still runs to its verdict after the trace is cut');
    assert.equal(capped.tests[0]!.traceTruncated, true);
    assert.equal(capped.tests[0]!.trace!.split('\n').filter((l) => /^(LINE|CALL|RETURN|EXCEPTION): /.test(l)).length, 50);
  });

  test('runProgram: like python3 file.py', async () => {
    const ok = await sandbox.runProgram({ code: 'print("hi")' });
    assert.deepEqual([ok.status, ok.exit_code, ok.stdout, ok.stderr], ['passed', 0, 'hi\n', '']);
    const exit0 = await sandbox.runProgram({ code: 'import sys\nprint(1)\nsys.exit(0)\nprint(2)' });
    assert.deepEqual([exit0.status, exit0.exit_code, exit0.stdout], ['passed', 0, '1\n']);
    const exit3 = await sandbox.runProgram({ code: 'import sys\nsys.exit(3)' });
    assert.deepEqual([exit3.status, exit3.exit_code], ['error', 3]);
    const exitMsg = await sandbox.runProgram({ code: 'import sys\nsys.exit("bye")' });
    assert.deepEqual([exitMsg.status, exitMsg.exit_code, exitMsg.stderr], ['error', 1, 'bye\n']);
    const raw = await sandbox.runProgram({ code: 'import os\nos._exit(7)' });
    assert.deepEqual([raw.status, raw.exit_code], ['error', 7]);
    const boom = await sandbox.runProgram({ code: '1/0' });
    assert.deepEqual([boom.status, boom.exit_code, boom.error?.type], ['error', 1, 'ZeroDivisionError']);
    assert.match(boom.stderr, /Traceback \(most recent call last\):\n {2}File "<program>", line 1, in <module>\n/);
    const slow = await sandbox.runProgram({ code: 'while True:\n    pass', timeoutMs: 200 });
    assert.deepEqual([slow.status, slow.exit_code], ['timeout', 128 + 27], 'SIGPROF ended it: 128 + 27');
    const traced = await sandbox.runProgram({ code: 'x = 1\ny = x + 1', trace: true });
    assert.equal(traced.trace, "= {} , {}\nLINE: x = 1\n= {'x': 1} , {'x': 'int'}\nLINE: y = x + 1");
  });

  test('prepare: make_executable + normalization, computed in the jail', async () => {
    assert.deepEqual(await sandbox.prepare('def f(x):\n    """doc"""\n    # c\n    y = x +'), { ok: true, executable: 'def f(x):\n    pass' });
    const bad = await sandbox.prepare(')))');
    assert.equal(bad.ok, false);
    // A parser-crushing input is contained like any other execution (deep nesting).
    const deep = await sandbox.prepare('x = ' + '('.repeat(100_000) + '1' + ')'.repeat(100_000));
    assert.equal(deep.ok, false);
  });

  test('FIFO: with one worker, requests finish in the order they were submitted', async () => {
    const one = await createSandbox({ poolSize: 1 });
    try {
      const order: string[] = [];
      const mk = (name: string, secs: number) => one.run({ program: `import time\ntime.sleep(${secs})`, tests: [{ id: name, code: 'pass' }] })
        .then((r) => { order.push(name); return r; });
      const rs = await Promise.all([mk('a', 0.3), mk('b', 0.01), mk('c', 0.2), mk('d', 0)]);
      assert.deepEqual(order, ['a', 'b', 'c', 'd']);
      assert.ok(rs[3].queuedMs > rs[0].queuedMs, 'the last one waited in the queue');
    } finally {
      await one.close();
    }
  });

  test('a worker that dies mid-request is reported as killed and replaced', async () => {
    const one = await createSandbox({ poolSize: 1 });
    try {
      const [pid] = one.workerPids();
      const pending = one.run({ program: 'import time\ntime.sleep(30)', tests: [{ id: 't', code: 'pass' }] });
      // Kill it once it has the request (busy), not after a guessed delay.
      await waitFor('the worker busy with the request', () => (one.load?.().busy ?? 0) === 1, { timeoutMs: 30_000, intervalMs: 20 });
      process.kill(pid!, 'SIGKILL');
      const r = await pending;
      assert.equal(r.status, 'killed');
      assert.equal(r.tests[0]!.error!.type, 'SandboxWorkerDied');
      const again = await one.run({ program: F, tests: [{ id: 'a', code: 'assert f(2) == 4' }] });
      assert.equal(again.status, 'passed');
      assert.notDeepEqual(one.workerPids(), [pid]);
    } finally {
      await one.close();
    }
  });

  test('getSharedSandbox: one pool per process', async () => {
    const a = await getSharedSandbox();
    const b = await getSharedSandbox();
    assert.equal(a, b);
    assert.equal((await a.run({ program: F, tests: [{ id: 't', code: 'assert f(1) == 2' }] })).status, 'passed');
    await closeSharedSandbox();
    const c = await getSharedSandbox();
    assert.notEqual(c, a);
    await closeSharedSandbox();
  });

  test('no nsjail: createSandbox names what is missing and how to fix it', async () => {
    const saved = process.env.EGCFG_NSJAIL_BIN;
    process.env.EGCFG_NSJAIL_BIN = '/nonexistent/nsjail';
    try {
      await assert.rejects(createSandbox({ poolSize: 1 }), (e: unknown) => {
        assert.ok(e instanceof SandboxUnavailableError);
        assert.match(e.message, /nsjail binary is missing at \/nonexistent\/nsjail/);
        assert.match(e.message, /infra\/setup\.sh|EGCFG_NSJAIL_BIN/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.EGCFG_NSJAIL_BIN; else process.env.EGCFG_NSJAIL_BIN = saved;
    }
  });

  test('a jail that cannot start: createSandbox fails with the worker output and a fix hint, never degrades', async () => {
    const saved = process.env.EGCFG_NSJAIL_BIN;
    process.env.EGCFG_NSJAIL_BIN = '/bin/false'; // a real executable that exits 1 at once, like nsjail failing to clone()
    try {
      await assert.rejects(createSandbox({ poolSize: 1 }), (e: unknown) => {
        assert.ok(e instanceof SandboxUnavailableError);
        assert.match(e.message, /exited with code 1 before it was ready/);
        assert.match(e.message, /\nfix: /);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.EGCFG_NSJAIL_BIN; else process.env.EGCFG_NSJAIL_BIN = saved;
    }
  });

  test('unsafeNoSandbox is explicit, loud, and labelled on every result', async () => {
    const lines: string[] = [];
    const unsafe = await createSandbox({ poolSize: 1, unsafeNoSandbox: true, log: (l) => lines.push(l) });
    try {
      assert.ok(lines.some((l) => /SANDBOX DISABLED/.test(l)));
      const r = await unsafe.run({ program: F, tests: [{ id: 'a', code: 'assert f(2) == 4' }, { id: 'b', code: 'while True:\n    pass' }], timeoutMs: 200 });
      assert.deepEqual(r.tests.map((t) => t.status), ['passed', 'timeout']);
      assert.equal(r.isolation, 'none');
    } finally {
      await unsafe.close();
    }
  });

  test('a script that forgets close() still exits, and its jails go away', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `import { createSandbox } from ${JSON.stringify(repoPath('activities', 'sandbox', 'index.ts'))};\nconst s = await createSandbox({ poolSize: 1 });\nconst r = await s.run({ program: 'x = 1', tests: [{ id: 't', code: 'assert x == 1' }] });\nconsole.log(r.status, s.workerPids()[0]);`],
    { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const [status, pid] = r.stdout.trim().split(' ');
    assert.equal(status, 'passed');
    const deadline = Date.now() + 5000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try { process.kill(Number(pid), 0); spawnSync('sleep', ['0.1']); } catch { alive = false; }
    }
    assert.equal(alive, false, 'the nsjail process ended after its parent exited');
  });

  test('CLI: egcfg sandbox exec prints one JSON object', () => {
    const file = repoPath('test-artifacts', 'sandbox-cli.py');
    spawnSync('mkdir', ['-p', repoPath('test-artifacts')]);
    spawnSync('sh', ['-c', `printf 'print("hello")\\nx = 2\\n' > ${file}`]);
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      `import { sandboxExecCommand } from ${JSON.stringify(repoPath('cli', 'commands', 'sandbox.ts'))};\nprocess.exitCode = await sandboxExecCommand(${JSON.stringify(args)});`],
    { encoding: 'utf8', cwd: repoPath() });
    const ok = run(['--code-file', file, '--trace', '--timeout-ms', '2000', '--memory-mb', '256']);
    assert.equal(ok.status, 0, ok.stderr);
    const lines = ok.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!);
    assert.equal(out.status, 'passed');
    assert.equal(out.exit_code, 0);
    assert.equal(out.stdout, 'hello\n');
    assert.equal(out.stderr, '');
    assert.equal(typeof out.duration_ms, 'number');
    assert.equal(out.trace, "= {} , {}\nLINE: print(\"hello\")\n= {} , {}\nLINE: x = 2");
    const bad = run(['--code-file', file, '--timeout-ms', 'soon']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--timeout-ms must be a whole number/);
    const missing = run([]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--code-file FILE is required/);
  });
});
