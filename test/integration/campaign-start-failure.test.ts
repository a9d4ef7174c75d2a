// A campaign whose workflow cannot be started (here: the Temporal server is gone) is marked failed with the reason,
// instead of staying 'created' forever; the error reaches the caller.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { parseRunOptions } from '../../campaigns/options.ts';
import { startCampaign } from '../../campaigns/service.ts';
import { campaigns, events } from '../../db/schema/index.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from '../support/services.ts';

describe('campaign start failure', { timeout: 300_000 }, () => {
  let db: TestDatabase;
  before(async () => { db = await freshPostgresDatabase(); }, { timeout: 120_000 });
  after(async () => { await db?.drop(); }, { timeout: 60_000 });

  test('the row is failed, with a campaign_failed event naming the error', { timeout: 240_000 }, async () => {
    const env = await startTestTemporal();
    const client = env.client;
    await env.teardown(); // the server is gone: starting a workflow now fails
    const opts = parseRunOptions({ dataset: 'mbpp', modelName: 'sim', maxProblems: 2 });
    await assert.rejects(startCampaign({ db: db.db, client }, opts, { kind: 'openai', baseUrl: 'http://127.0.0.1:9', model: 'sim', simulated: true }));
    const rows = await db.db.select().from(campaigns);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'failed');
    const ev = await db.db.select().from(events).where(eq(events.campaignId, rows[0]!.id));
    assert.deepEqual(ev.map((e) => e.kind), ['campaign_failed']);
    assert.ok(String((ev[0]!.payload as { error?: string }).error ?? '').length > 0);
  });
});
