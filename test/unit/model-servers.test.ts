// Which model URLs a campaign may name and which API key goes where (core/model-servers.ts), and NUL-safe text for
// Postgres (core/pg-text.ts): pure functions, no services.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiKeyFor, modelUrlPolicy, modelUrlProblem, modelUrlRefusal, parseModelServers, serverFor, urlUnder,
} from '../../core/model-servers.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { pgJson, pgText, programWithNul } from '../../core/pg-text.ts';

const T = { timeout: 10_000 };
const servers = JSON.stringify([
  { url: 'http://gpu-a:8000', key: 'sk-a', name: 'a' },
  { url: 'https://models.example.org/team-b/', key: 'sk-b' },
  { url: 'http://127.0.0.1:9000' },
]);

describe('model server URLs', { timeout: 60_000 }, () => {
  it('refuses non-http(s) schemes, credentials, NUL and huge URLs', T, () => {
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x/', 'gopher://h:70/', 'data:text/plain,hi',
      'http://user:pw@h/', 'not a url', `http://h/${'a'.repeat(3000)}`, 'http://h/\0']) {
      assert.ok(modelUrlProblem(bad), bad);
    }
    assert.equal(modelUrlProblem('http://gpu:8000'), undefined);
    assert.equal(modelUrlProblem('https://h.example/v1'), undefined);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)']) {
      assert.throws(() => parseRunOptions({ dataset: 'mbpp', modelName: 'm', modelUrl: url }), /modelUrl: model url must be an http\(s\) URL/);
      assert.throws(() => parseRunOptions({ dataset: 'mbpp', modelName: 'm', sourceModelUrl: url }), /sourceModelUrl/);
    }
  });

  it('matches a URL to its server by origin and path prefix at a / boundary', T, () => {
    assert.ok(urlUnder('http://gpu-a:8000/v1', 'http://gpu-a:8000'));
    assert.ok(urlUnder('http://GPU-A:8000/', 'http://gpu-a:8000/'));
    assert.ok(urlUnder('https://models.example.org/team-b/v1', 'https://models.example.org/team-b/'));
    assert.ok(!urlUnder('https://models.example.org/team-bb/v1', 'https://models.example.org/team-b'));
    assert.ok(!urlUnder('http://gpu-a:8001', 'http://gpu-a:8000'));
    assert.ok(!urlUnder('https://gpu-a:8000', 'http://gpu-a:8000'));
    assert.ok(!urlUnder('http://gpu-a.evil.com:8000', 'http://gpu-a:8000'));
    assert.ok(!urlUnder('http://evil@gpu-a:8000', 'http://gpu-a:8000'));
    assert.equal(serverFor('http://gpu-a:8000/x', parseModelServers(servers))?.name, 'a');
  });

  it('sends each key only to its own server, the legacy key only to listed or trusted URLs', T, () => {
    const env = { EGCFG_MODEL_SERVERS: servers, EGCFG_MODEL_API_KEY: 'sk-legacy' };
    assert.equal(apiKeyFor('http://gpu-a:8000', env, []), 'sk-a');
    assert.equal(apiKeyFor('https://models.example.org/team-b/v1', env, []), 'sk-b');
    assert.equal(apiKeyFor('http://127.0.0.1:9000', env, []), undefined, 'a configured server without a key gets none, not the legacy one');
    assert.equal(apiKeyFor('http://attacker.example:8000', env, []), undefined);
    assert.equal(apiKeyFor('file:///etc/passwd', env, []), undefined);
    assert.equal(apiKeyFor('http://cli-chosen:8000/v1', env, ['http://cli-chosen:8000']), 'sk-legacy');
    assert.equal(apiKeyFor('http://listed:8000', { ...env, EGCFG_MODEL_API_KEY_URLS: 'http://other, http://listed:8000' }, []), 'sk-legacy');
    assert.equal(apiKeyFor('http://gpu-a:8000', { EGCFG_MODEL_SERVERS: 'not json', EGCFG_MODEL_API_KEY: 'k' }, []), undefined);
  });

  it('allows API callers only configured servers (or the platform\'s own), unless any URL is allowed', T, () => {
    const policy = modelUrlPolicy({ EGCFG_MODEL_SERVERS: servers }, ['http://127.0.0.1:41234']);
    assert.equal(modelUrlRefusal('http://gpu-a:8000/v1', policy), undefined);
    assert.equal(modelUrlRefusal('http://127.0.0.1:41234', policy), undefined);
    assert.match(modelUrlRefusal('http://169.254.169.254/latest', policy) ?? '', /not a configured model server/);
    assert.match(modelUrlRefusal('file:///etc/passwd', policy) ?? '', /http\(s\)/);
    const any = modelUrlPolicy({ EGCFG_ALLOW_ANY_MODEL_URL: '1' });
    assert.equal(modelUrlRefusal('http://anything:1', any), undefined);
    assert.match(modelUrlRefusal('javascript:alert(1)', any) ?? '', /http\(s\)/);
  });

  it('names a malformed EGCFG_MODEL_SERVERS without quoting it', T, () => {
    assert.throws(() => parseModelServers('[{"url": "file:///x", "key": "sk-secret"}]'), (e: Error) => /url/.test(e.message) && !e.message.includes('sk-secret'));
    assert.throws(() => parseModelServers('{sk-secret'), (e: Error) => !e.message.includes('sk-secret'));
    assert.deepEqual(parseModelServers(undefined), []);
  });
});

describe('NUL-safe text for Postgres', { timeout: 60_000 }, () => {
  it('replaces NUL in text and in every JSON string, and restores a program with the same verdict', T, () => {
    assert.equal(pgText('a\0b'), 'a\uFFFDb');
    assert.equal(pgText(null), null);
    assert.deepEqual(pgJson({ 'k\0': ['x\0', 1, { y: 'z\0' }] }), { 'k\uFFFD': ['x\uFFFD', 1, { y: 'z\uFFFD' }] });
    assert.ok(programWithNul(pgText('def f():\n    return "\0"')).includes('\0'));
  });

  it('rejects NUL and oversized values in campaign option strings', T, () => {
    assert.throws(() => parseRunOptions({ dataset: 'mbpp', modelName: 'a\0b' }), /modelName: model name must not contain NUL/);
    assert.throws(() => parseRunOptions({ dataset: 'mbpp', modelName: 'x'.repeat(10_000) }), /modelName: model name longer than 512/);
    assert.throws(() => parseRunOptions({ dataset: 'mbpp', modelName: 'm', workDir: '/tmp/\0' }), /workDir/);
  });
});
