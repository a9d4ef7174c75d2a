// Which EG-CFG path a campaign runs (campaigns/egcfg-path.ts): the flag, else what the server is.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { withEgcfgPath } from '../../campaigns/egcfg-path.ts';
import { OptionsError } from '../../campaigns/options.ts';

const spec = (baseUrl: string, simulated = false) => ({ kind: 'openai' as const, baseUrl, model: 'm', simulated });

describe('EG-CFG path per server', { timeout: 20_000 }, () => {
  it('a server that says it is the local inference service gets the local path by default; others the endpoint path', async () => {
    const srv = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/version' ? { version: 'egcfg-local-infer 1' } : {}));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      assert.equal((await withEgcfgPath(undefined, spec(url))).egcfgPath, 'local');
      assert.equal((await withEgcfgPath('endpoint', spec(url))).egcfgPath, 'endpoint');
    } finally { srv.close(); }
    const closed = 'http://127.0.0.1:9'; // nothing listens there
    assert.equal((await withEgcfgPath(undefined, spec(closed))).egcfgPath, 'endpoint');
    assert.equal((await withEgcfgPath(undefined, spec(closed, true))).egcfgPath, 'endpoint');
  });

  it("refuses 'local' on a server that is not the local inference service, and keeps a path already decided", async () => {
    await assert.rejects(withEgcfgPath('local', spec('http://127.0.0.1:9', true)), (e: unknown) => e instanceof OptionsError && /egcfg-path local/.test(e.message));
    const decided = { ...spec('http://127.0.0.1:9'), egcfgPath: 'local' as const };
    assert.equal(await withEgcfgPath(undefined, decided), decided);
  });
});
