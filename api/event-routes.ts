// GET /campaigns/{id}/events: the campaign event log as Server-Sent Events, as a Hono sub-app that ./app.ts mounts
// with app.route (its authentication middleware on /campaigns/* runs first; errors go to its onError).
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eventOfRow } from '../core/stored/events.ts';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { and, asc, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import { getCampaign } from '../campaigns/service.ts';
import type { Database } from '../db/client.ts';
import { events } from '../db/schema/index.ts';
import type { AppEnv } from './app-env.ts';
import type { ApiDeps } from './app-options.ts';
import { jsonable, terminalStatuses } from './campaign-schemas.ts';
import { badRequest } from './errors.ts';
import { CampaignIdParam, errorContent as json, errorResponses as errors, secured, validationHook } from './openapi-common.ts';

/** How old an event must be before a followed SSE stream sends it (see the route's description). */
export const EVENT_SETTLE_MS = 500;

const eventsQuery = z.object({
  after: z.coerce.number().int().nonnegative().optional().openapi({ description: 'resume after this event id (as the Last-Event-ID header does)' }),
  follow: z.enum(['true', 'false', '1', '0']).default('true').openapi({ description: 'false: send the events so far and close' }),
});

/** Events after `afterId` in id order, each marked settled once it is older than EVENT_SETTLE_MS (database clock). */
function settledEvents(db: Database, campaignId: string, afterId: number, limit: number) {
  return db.select({
    ...getTableColumns(events),
    settled: sql<boolean>`${events.createdAt} <= now() - make_interval(secs => ${EVENT_SETTLE_MS / 1000})`,
  }).from(events).where(and(eq(events.campaignId, campaignId), gt(events.id, afterId))).orderBy(asc(events.id)).limit(limit);
}

/** The SSE body of GET /campaigns/{id}/events (see its description). */
async function sendEvents(db: Database, stream: SSEStreamingApi, id: string, after: number, follow: boolean, aborted: () => boolean): Promise<void> {
  let lastId = after;
  let quietTerminalPolls = 0;
  let lastWrite = Date.now();
  while (!aborted()) {
    const campaign = await getCampaign(db, id);
    const batch = await settledEvents(db, id, lastId, 500);
    let held = false;
    for (const e of batch) {
      // Event ids come from a sequence: a later id can commit before an earlier one. Events younger than the
      // settle time wait for the next poll, so that a stream never skips an event a slower insert commits later.
      if (!e.settled && follow) { held = true; break; }
      const { settled: _settled, ...stored } = e;
      const row = eventOfRow(stored); // a payload that is not its kind's fails the stream, naming the row
      await stream.writeSSE({ id: String(e.id), event: e.kind, data: JSON.stringify(jsonable(row)) });
      lastId = e.id;
      lastWrite = Date.now();
    }
    if (batch.length === 500 && !held) continue;
    if (!follow) break;
    // The status row is written just before its event: end only after a second quiet look at a finished campaign.
    if (terminalStatuses.has(campaign.status) && batch.length === 0) quietTerminalPolls++;
    else quietTerminalPolls = 0;
    if (quietTerminalPolls >= 2) break;
    if (Date.now() - lastWrite > 15_000) { await stream.write(': keep-alive\n\n'); lastWrite = Date.now(); }
    await stream.sleep(400);
  }
  if (!aborted()) await stream.writeSSE({ event: 'end', data: JSON.stringify({ campaignId: id, lastEventId: lastId }) });
}

export function eventRoutes(deps: ApiDeps): OpenAPIHono<AppEnv> {
  const { db, log, streams } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createRoute({
    method: 'get', path: '/campaigns/{id}/events', tags: ['campaigns'], security: secured,
    summary: 'The campaign event log as Server-Sent Events',
    description: 'Events in order (`id:` = the event id, `event:` = its kind, `data:` = the JSON row). Resumes after the '
      + '`Last-Event-ID` header (or `after`). With follow (the default) the stream stays open for new events and ends '
      + 'with `event: end` once the campaign has finished and every event was sent. A followed stream sends an event '
      + `once it is ${EVENT_SETTLE_MS} ms old, so that no event is skipped when inserts commit out of id order.`,
    request: { params: CampaignIdParam, query: eventsQuery },
    responses: {
      200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
      429: { description: 'Too many open event streams for this token (or on this server)', content: json },
      ...errors,
    },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await getCampaign(db, id);
    const header = c.req.header('last-event-id');
    let lastId = q.after ?? 0;
    if (header !== undefined && header !== '') {
      if (!/^\d+$/.test(header)) throw badRequest('Last-Event-ID', 'must be an event id (a non-negative integer)');
      lastId = Math.max(lastId, Number(header));
    }
    const follow = q.follow === 'true' || q.follow === '1';
    // A bounded number of open streams per token and in all (each polls the database): 429 beyond.
    const release = streams.acquire(c.get('tokenId') === null ? 'anonymous' : `token:${c.get('tokenId')}`);
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => { aborted = true; release(); });
      try {
        await sendEvents(db, stream, id, lastId, follow, () => aborted);
      } finally {
        release();
      }
    }, async (err, stream) => {
      release();
      log(`[api] event stream of ${id} failed: ${err.message}`);
      await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: 'the event stream failed; reconnect with Last-Event-ID' }) }).catch(() => {});
    });
  });

  return app;
}
