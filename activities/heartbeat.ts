// Liveness heartbeats for long activities (EG-CFG steps, model calls, sandbox runs). A step may legitimately wait longer than the heartbeat timeout without
// progress of its own (a traced run that hits its 40 s limit, a slow first token under load), so every such activity
// re-sends its latest heartbeat details every second while its process is alive; a killed worker stops heartbeating,
// and Temporal retries the step elsewhere after the heartbeat timeout. Details say where the step is (e.g. tokens
// decoded in this line).
import { Context } from '@temporalio/activity';

const latest = new WeakMap<Context, unknown>();

function current(): Context | null {
  try { return Context.current(); } catch { return null; }
}

/** Heartbeat now with these details, and keep re-sending them (a no-op outside an activity). */
export function heartbeat(details?: unknown): void {
  const ctx = current();
  if (!ctx) return;
  latest.set(ctx, details);
  ctx.heartbeat(details);
}

/** The details of this activity's latest heartbeat (undefined outside an activity or before the first). */
export function latestHeartbeat(): unknown {
  const ctx = current();
  return ctx ? latest.get(ctx) : undefined;
}

/** Wraps an activity so that it heartbeats every `everyMs` while it runs. */
export function alive<A extends unknown[], R>(f: (...args: A) => Promise<R>, everyMs = 1000): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const ctx = current();
    if (!ctx) return f(...args);
    const timer = setInterval(() => ctx.heartbeat(latest.get(ctx)), everyMs);
    try {
      return await f(...args);
    } finally {
      clearInterval(timer);
    }
  };
}
