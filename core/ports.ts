// Free TCP ports for the local services this project starts (Temporal dev servers, llama-server, simulated model
// servers, test servers): the one implementation.
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago on `host`: from the system, or tried at random within `range` (inclusive);
 * never one of `avoid`. Throws after 200 tries.
 */
export async function freePort(range?: [number, number], avoid: number[] = [], host = '127.0.0.1'): Promise<number> {
  const tryListen = (port: number) => new Promise<number | undefined>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
  for (let i = 0; i < 200; i++) {
    const candidate = range ? range[0] + Math.floor(Math.random() * (range[1] - range[0] + 1)) : 0;
    if (avoid.includes(candidate)) continue;
    const got = await tryListen(candidate);
    if (got !== undefined && !avoid.includes(got)) return got;
  }
  throw new Error(`no free port${range ? ` in ${range[0]}-${range[1]}` : ''} on ${host}`);
}

/** EGCFG_LOCAL_PORTS=LOW-HIGH: the range the local model servers take free ports from (undefined: any port). */
export function localPortRange(env: NodeJS.ProcessEnv = process.env): [number, number] | undefined {
  const raw = env.EGCFG_LOCAL_PORTS;
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d+)-(\d+)$/.exec(raw.trim());
  const lo = Number(m?.[1]), hi = Number(m?.[2]);
  if (!m || lo < 1 || hi > 65535 || lo > hi) throw new Error(`EGCFG_LOCAL_PORTS: expected LOW-HIGH (e.g. 19000-19999), got '${raw}'`);
  return [lo, hi];
}
