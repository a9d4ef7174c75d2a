// A data folder's own Temporal dev server (cli/temporal-local.ts): a server that is not ours is never reused — not
// on a fixed port, not when temporal.json names a live pid that is something else — and ours is reused.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureLocalTemporal, localPortRange, readTemporalRecord, stopLocalTemporal } from '../../cli/temporal-local.ts';
import { freePort } from '../../core/ports.ts';

const range: [number, number] = [19000, 19999];
const dirs: string[] = [];
const servers: Server[] = [];
after(() => {
  for (const d of dirs) stopLocalTemporal(d);
  for (const s of servers) s.close();
}, { timeout: 120_000 });

async function foreignServer(): Promise<number> {
  const port = await freePort(range);
  const s = createServer((c) => c.end());
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
  return port;
}

describe('local Temporal dev server per data folder', { timeout: 120_000 }, () => {
  test('a fixed port taken by a server that is not ours is refused, naming what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-tl-'));
    dirs.push(dir);
    const port = await foreignServer();
    await assert.rejects(ensureLocalTemporal(dir, { port }), new RegExp(`127\\.0\\.0\\.1:${port} .*not this data folder's.*--temporal-address`));
    assert.equal(readTemporalRecord(dir), undefined, 'nothing was started or recorded');
  });

  test("a record naming a live pid that is not our server is not reused; ours is", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-tl-'));
    dirs.push(dir);
    const port = await foreignServer();
    writeFileSync(join(dir, 'temporal.json'), JSON.stringify({ pid: process.pid, port, uiPort: port + 1, dbFile: join(dir, 'temporal.db'), startedAt: '' }));
    const first = await ensureLocalTemporal(dir, { portRange: range });
    assert.equal(first.started, true);
    assert.notEqual(first.address, `127.0.0.1:${port}`);
    assert.notEqual(first.pid, process.pid);
    const port1 = Number(first.address.split(':')[1]);
    assert.ok(port1 >= range[0] && port1 <= range[1]);
    assert.deepEqual(readTemporalRecord(dir)?.pid, first.pid);
    const again = await ensureLocalTemporal(dir, { portRange: range });
    assert.deepEqual([again.started, again.address, again.pid], [false, first.address, first.pid]);
    assert.equal(stopLocalTemporal(dir), true);
  });

  test('EGCFG_LOCAL_PORTS is LOW-HIGH', () => {
    assert.deepEqual(localPortRange({ EGCFG_LOCAL_PORTS: '19000-19999' }), [19000, 19999]);
    assert.equal(localPortRange({}), undefined);
    assert.throws(() => localPortRange({ EGCFG_LOCAL_PORTS: '19999-19000' }), /LOW-HIGH/);
  });
});
