// GET /healthz: Temporal, the database, the model servers in use and the sandbox, each `ok` or `error` with a detail.
import type { Client } from '@temporalio/client';
import { eq, inArray, sql } from 'drizzle-orm';
import { getSharedSandbox } from '../activities/sandbox/index.ts';
import type { Database } from '../db/client.ts';
import { campaigns } from '../db/schema/index.ts';
import type { SimulatedModels } from './simulated-models.ts';
import { campaignConfigSchema, campaignModelSpecs } from '../campaigns/options/stored.ts';
import { parseStored } from '../core/stored/parse.ts';

export interface CheckResult { status: 'ok' | 'error'; detail: string; ms: number }
/** A check resolves to a detail line when ok and throws when not. */
export type HealthCheck = () => Promise<string>;
export type HealthChecks = Partial<Record<'temporal' | 'database' | 'model' | 'sandbox', HealthCheck>>;

const CHECK_TIMEOUT_MS = 5000;
const PROBE_WAIT_MS = 4000;

async function timed(check: HealthCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check(),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS); }),
    ]);
    return { status: 'ok', detail, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'error', detail: (err as Error).message, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The sandbox of this process: one tiny program through the shared pool (the one in-process workers use). A pool
 * whose workers are all alive but running long programs (two `while True` samples) is busy, not dead: it is reported
 * ok with its load, and no probe is queued behind the work.
 */
export const sandboxCheck: HealthCheck = async () => {
  const sandbox = await getSharedSandbox();
  const load = sandbox.load?.();
  if (load && load.alive === 0 && load.restarting === 0) throw new Error(`no sandbox worker is alive (${load.size} configured)`);
  if (load && (load.busy + load.restarting >= load.size || load.queued > 0)) {
    return `${sandbox.isolation}, busy: ${load.busy} of ${load.size} workers running programs, ${load.queued} queued${load.restarting ? `, ${load.restarting} restarting` : ''}`;
  }
  // A worker was free: probe it; if the pool fills up meanwhile, the probe waits behind the work, which is busy too.
  const probe = sandbox.run({ program: 'def f(x):\n    return x + 1', tests: [{ id: 't0', code: 'assert f(1) == 2' }] });
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([probe, new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), PROBE_WAIT_MS); })]);
  clearTimeout(timer);
  if (r === null) {
    probe.catch(() => {});
    const now = sandbox.load?.();
    if (now && now.alive > 0 && (now.busy >= now.alive || now.queued > 0)) return `${sandbox.isolation}, busy: ${now.busy} of ${now.size} workers running programs, ${now.queued} queued`;
    throw new Error(`a known-good program got no verdict within ${PROBE_WAIT_MS} ms`);
  }
  if (r.status !== 'passed') throw new Error(`a known-good program did not pass in the sandbox: ${r.status}`);
  return `${sandbox.isolation}, ${sandbox.poolSize} warm workers`;
};

const configOf = (r: { id: string; config: unknown }) => parseStored(campaignConfigSchema, r.config, { table: 'campaigns', column: 'config', id: r.id });

/** The model base URLs campaigns that are not finished use (their simulated servers must keep running). */
export async function modelUrlsInUse(db: Database): Promise<Set<string>> {
  const rows = await db.select({ id: campaigns.id, config: campaigns.config }).from(campaigns).where(inArray(campaigns.status, ['created', 'running']));
  const urls = new Set<string>();
  for (const r of rows) {
    for (const m of campaignModelSpecs(configOf(r))) if (m.kind === 'openai') urls.add(m.baseUrl);
  }
  return urls;
}

async function modelServersCheck(db: Database, simulated: SimulatedModels | undefined): Promise<string> {
  const urls = new Map<string, string>();
  for (const [dataset, url] of Object.entries(simulated?.running() ?? {})) urls.set(url, `simulated (${dataset})`);
  const running = await db.select({ id: campaigns.id, config: campaigns.config }).from(campaigns).where(eq(campaigns.status, 'running')).limit(50);
  for (const r of running) {
    const model = configOf(r).model;
    if (typeof model === 'object' && model.kind === 'openai' && model.baseUrl && !urls.has(model.baseUrl) && urls.size < 8) urls.set(model.baseUrl, 'used by a running campaign');
  }
  if (urls.size === 0) return 'no model server in use (simulated servers start with the first campaign that needs one)';
  const failures: string[] = [];
  const oks: string[] = [];
  await Promise.all([...urls].map(async ([url, what]) => {
    try {
      const res = await fetch(`${url.replace(/\/$/, '')}/v1/models`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) oks.push(`${url} ${what}`);
      else failures.push(`${url} (${what}): HTTP ${res.status}`);
    } catch (err) {
      failures.push(`${url} (${what}): ${(err as Error).message}`);
    }
  }));
  if (failures.length) throw new Error(failures.join('; '));
  return oks.join('; ');
}

export async function healthReport(opts: { db: Database; client: Client; simulated?: SimulatedModels; checks?: HealthChecks }) {
  const { db, client } = opts;
  const checks: Required<HealthChecks> = {
    temporal: async () => {
      const info = await client.workflowService.getSystemInfo({});
      return `server ${info.serverVersion || '(version unknown)'}`;
    },
    database: async () => {
      await db.execute(sql`select 1`);
      return 'select 1 answered';
    },
    model: () => modelServersCheck(db, opts.simulated),
    sandbox: sandboxCheck,
    ...opts.checks,
  };
  const entries = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await timed(check)] as const));
  const result = Object.fromEntries(entries) as Record<keyof HealthChecks, CheckResult>;
  return { status: entries.every(([, r]) => r.status === 'ok') ? 'ok' as const : 'error' as const, checks: result };
}
