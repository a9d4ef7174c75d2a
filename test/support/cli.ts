// Running the `egcfg` command from end-to-end tests: a free port, a child process, its output.
import { spawn } from 'node:child_process';
import { repoPath } from '../../core/repo.ts';

/** A TCP port that was free a moment ago on 127.0.0.1 (core/ports.ts). */
export { freePort } from '../../core/ports.ts';

export interface CliResult { code: number; stdout: string; stderr: string }

/** Run `egcfg <args>` to its end with this environment, collecting its exit code and output. */
export function runEgcfg(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoPath('cli', 'bin', 'egcfg.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
