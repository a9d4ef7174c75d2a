// core/btp must stay pure (no I/O, no clock, no randomness, no node: imports): Temporal workflows import it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath } from '../../core/repo.ts';

const DIR = repoPath('core/btp');

describe('core/btp purity', { timeout: 60_000 }, () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it('has the expected modules', () => {
    for (const f of ['prng.ts', 'p2value.ts', 'sumtree.ts', 'samplers.ts', 'buffer.ts', 'sha256.ts', 'trainer-protocol.ts', 'index.ts']) {
      assert.ok(files.includes(f), f);
    }
  });
  for (const f of files) {
    it(`${f} imports only relative .ts modules and zod, and uses no clock / randomness / process / I/O`, () => {
      const code = readFileSync(`${DIR}/${f}`, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of code.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        assert.ok((spec.startsWith('./') && spec.endsWith('.ts')) || spec === 'zod', `${f}: import ${spec}`);
      }
      assert.ok(!/\bimport\(/.test(code), `${f} uses dynamic import`);
      for (const banned of [/\bDate\b/, /Math\.random/, /\bprocess\./, /\bperformance\./, /\bsetTimeout\b/, /\bsetInterval\b/, /\brequire\(/, /\bfetch\(/, /\bcrypto\./]) {
        assert.ok(!banned.test(code), `${f} uses ${banned}`);
      }
    });
  }
});
