// `egcfg sandbox exec --code-file FILE [--timeout-ms N] [--memory-mb N] [--trace]`: run one Python file in the
// sandbox (nsjail) like `python3 FILE` and print ONE JSON object:
//   {"status": "passed"|"failed"|"error"|"timeout"|"memory_limit"|"output_limit"|"killed"|"syntax_error"|"suspicious_eq",
//    "exit_code": N, "stdout": "...", "stderr": "...", "duration_ms": N, ... , "trace": "..." (with --trace)}
// Exit code: 0 when the program was run (whatever its status: read it from the JSON), 2 for bad arguments,
// 1 when the sandbox is unavailable (the message says what is missing and how to fix it).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createSandbox, LIMITS } from '../../activities/sandbox/index.ts';
import { sandboxExecFlags } from '../spec.ts';

const USAGE = 'usage: egcfg sandbox exec --code-file FILE [--timeout-ms N] [--memory-mb N] [--trace]';

function intFlag(name: string, raw: string | undefined, lim: { min: number; max: number }): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < lim.min || n > lim.max) throw new UsageError(`--${name} must be between ${lim.min} and ${lim.max}, got ${n}`);
  return n;
}

class UsageError extends Error {}

export async function sandboxExecCommand(argv: string[]): Promise<number> {
  let codeFile: string;
  let timeoutMs: number | undefined;
  let memoryMb: number | undefined;
  let trace: boolean;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...sandboxExecFlags, trace: { ...sandboxExecFlags.trace, default: false } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values['code-file']) throw new UsageError('--code-file FILE is required');
    codeFile = values['code-file'];
    timeoutMs = intFlag('timeout-ms', values['timeout-ms'], LIMITS.timeoutMs);
    memoryMb = intFlag('memory-mb', values['memory-mb'], LIMITS.memoryMb);
    trace = values.trace ?? false;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || e.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`egcfg sandbox exec: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  let code: string;
  try {
    code = await readFile(codeFile, 'utf8');
  } catch (err) {
    console.error(`egcfg sandbox exec: cannot read --code-file ${codeFile}: ${(err as Error).message}`);
    return 2;
  }
  let sandbox;
  try {
    sandbox = await createSandbox({ poolSize: 1, ...(memoryMb !== undefined && memoryMb > 4096 ? { maxMemoryMb: memoryMb } : {}) });
  } catch (err) {
    console.error(`egcfg sandbox exec: ${(err as Error).message}`);
    return 1;
  }
  try {
    const result = await sandbox.runProgram({ code, trace, ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(memoryMb !== undefined ? { memoryMb } : {}) });
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } finally {
    await sandbox.close();
  }
}
