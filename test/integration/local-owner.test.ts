// One owner per embedded database (db/local-owner.ts): processes that open the same PGlite folder all talk to its
// database server; concurrent extended-protocol queries and transactions from several connections keep their own
// results; a write by one process is seen by another at once (tokens revoked while `serve` runs); a stale lock is
// taken over; a live owner that does not answer is named in the refusal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createApiToken, revokeApiToken, verifyApiToken } from '../../api/tokens.ts';
import { pidAlive, readLock, tryLock } from '../../core/folder-lock.ts';
import { openDatabase } from '../../db/client.ts';
import { DatabaseOwnedError, connectToOwner, lockFileOf, stopLocalDatabase } from '../../db/local-owner.ts';
import { lastReadyStatus, takeMessages } from '../../db/pglite-bridge.ts';

const dirs: string[] = [];
const dataDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'egcfg-owner-')); dirs.push(d); return d; };
after(() => { for (const d of dirs) stopLocalDatabase(d); }, { timeout: 120_000 });

describe('embedded database owner', { timeout: 120_000 }, () => {
  test('two handles share one server; concurrent queries and transactions keep their own results', async () => {
    const dir = join(dataDir(), 'pglite');
    const [a, b] = await Promise.all([openDatabase(dir, { poolSize: 4 }), openDatabase(dir, { poolSize: 4 })]);
    try {
      assert.ok(a.owner && b.owner);
      assert.equal(a.owner.pid, b.owner.pid, 'one owner');
      assert.notEqual(a.owner.pid, process.pid);
      assert.match(a.owner.command, /^egcfg database server \(started by /);
      const rows = await Promise.all(Array.from({ length: 120 }, (_, i) =>
        (i % 2 ? a : b).db.execute(sql`select ${i}::int as i, ${`text-${i}`}::text as t`)));
      rows.forEach((r, i) => assert.deepEqual([...(r as Record<string, unknown>[])][0], { i, t: `text-${i}` }));

      await a.db.execute(sql`create table owner_t (x int)`);
      const results = await Promise.allSettled([
        a.db.transaction(async (tx) => { await tx.execute(sql`insert into owner_t values (1)`); await tx.execute(sql`insert into owner_t values (2)`); }),
        b.db.transaction(async (tx) => { await tx.execute(sql`insert into owner_t values (3)`); throw new Error('rolled back'); }),
        b.db.execute(sql`insert into owner_t values (4)`),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const left = await b.db.execute(sql`select x from owner_t order by x`);
      assert.deepEqual([...(left as { x: number }[])].map((r) => r.x), [1, 2, 4]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a token revoked by another process is revoked for the running one at once', async () => {
    const dir = join(dataDir(), 'pglite');
    const server = await openDatabase(dir); // stands for `egcfg serve`
    try {
      const t = await createApiToken(server.db, 'probe');
      assert.equal((await verifyApiToken(server.db, t.token)).ok, true);
      const script = `import { openDatabase } from './db/client.ts'; import { revokeApiToken } from './api/tokens.ts';
        const h = await openDatabase(${JSON.stringify(dir)}); console.log(await revokeApiToken(h.db, ${t.id})); await h.close();`;
      const file = join(dir, '..', 'revoke.mts');
      writeFileSync(file, script.replaceAll("'./", `'${process.cwd()}/`));
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
        let s = '';
        child.stdout.on('data', (d) => { s += d; });
        child.once('error', reject);
        child.once('close', () => resolve(s.trim()));
      });
      assert.equal(out, 'true');
      assert.deepEqual(await verifyApiToken(server.db, t.token), { ok: false, reason: 'revoked' });
      assert.equal(await revokeApiToken(server.db, 999_999), false);
    } finally {
      await server.close();
    }
  });

  test('a stale lock (dead pid) is taken over; a live owner that does not answer is named', async () => {
    const root = dataDir();
    const dir = join(root, 'pglite');
    writeFileSync(lockFileOf(dir), JSON.stringify({ pid: 2 ** 22 + 12345, command: 'egcfg run', startedAt: new Date().toISOString() }));
    assert.equal(pidAlive(2 ** 22 + 12345), false);
    const h = await openDatabase(dir);
    assert.notEqual(h.owner!.pid, 2 ** 22 + 12345);
    await h.close();
    assert.equal(stopLocalDatabase(root), true);

    const other = join(dataDir(), 'pglite');
    // This test process holds the lock and answers nothing: another process must be told who holds it.
    const mine = tryLock(lockFileOf(other), { command: 'egcfg serve' });
    assert.equal(mine.ok, true);
    await assert.rejects(connectToOwner(other, { deadlineMs: 1500 }), (err: unknown) => {
      assert.ok(err instanceof DatabaseOwnedError);
      assert.match(err.message, new RegExp(`held by pid ${process.pid} \\(egcfg serve\\).*kill ${process.pid}.*--database-url`));
      return true;
    });
    assert.equal(readLock(lockFileOf(other))?.pid, process.pid);
  });

  test('protocol framing: startup then typed messages; the last ReadyForQuery status', () => {
    const startup = Buffer.alloc(8); startup.writeInt32BE(8, 0); startup.writeInt32BE(196608, 4);
    const q = Buffer.from([0x51, 0, 0, 0, 5, 0]);
    const split = takeMessages(Buffer.concat([startup, q, q.subarray(0, 3)]), true);
    assert.equal(split.messages.length, 2);
    assert.equal(split.startupDone, true);
    assert.equal(split.rest.length, 3);
    assert.equal(lastReadyStatus(Buffer.from([0x43, 0, 0, 0, 4, 0x5a, 0, 0, 0, 5, 0x54])), 'T');
    assert.equal(lastReadyStatus(Buffer.from([0x31, 0, 0, 0, 4])), undefined);
  });
});
