// test/support/teardown.ts: every teardown step runs, in order, even after one threw; the failures come back as one
// AggregateError naming each step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAll } from '../support/teardown.ts';

test('every step runs in order, and nothing is thrown when all succeed', async () => {
  const ran: string[] = [];
  await runAll('t', [['a', async () => { ran.push('a'); }], ['b', async () => { ran.push('b'); }]]);
  assert.deepEqual(ran, ['a', 'b']);
});

test('a step that throws does not skip the later ones; all failures are rethrown together', async () => {
  const ran: string[] = [];
  const err = await runAll('teardown', [
    ['close the server', async () => { ran.push('server'); throw new Error('port busy'); }],
    ['stop the workers', async () => { ran.push('workers'); }],
    ['drop the database', async () => { ran.push('db'); throw new Error('locked'); }],
  ]).then(() => null, (e: unknown) => e);
  assert.deepEqual(ran, ['server', 'workers', 'db']);
  assert.ok(err instanceof AggregateError, 'an AggregateError');
  assert.deepEqual(err.errors.map((e: Error) => e.message), ['close the server: port busy', 'drop the database: locked']);
  assert.match(err.message, /^teardown: close the server: port busy; drop the database: locked$/);
  assert.equal((err.errors[0] as Error).cause instanceof Error, true, 'the original error is the cause');
});
