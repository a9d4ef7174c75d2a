// The workflow-facing modules of core/egcfg must stay pure (no I/O, no clock, no randomness, no node: imports),
// because Temporal workflows import them. seed.ts and grid-file.ts are the documented activity/client-side exceptions.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoPath } from '../../core/repo.ts';

const DIR = repoPath('core/egcfg');
const IMPURE_ALLOWED = new Set(['seed.ts', 'grid-file.ts']);

describe('core/egcfg purity', { timeout: 60_000 }, () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it('has the expected modules', () => {
    for (const f of ['cfg.ts', 'candidates.ts', 'signal.ts', 'gate.ts', 'early-stop.ts', 'grid.ts', 'seed.ts', 'gamma1.ts', 'cost.ts', 'trace-cache.ts', 'generation.ts', 'index.ts']) {
      assert.ok(files.includes(f), f);
    }
  });
  for (const f of files.filter((x) => !IMPURE_ALLOWED.has(x))) {
    it(`${f} imports only relative .ts modules and zod, and uses no clock / randomness / process`, () => {
      const src = readFileSync(`${DIR}/${f}`, 'utf8');
      const code = src.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of code.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        assert.ok((spec.startsWith('./') && spec.endsWith('.ts')) || spec === 'zod', `${f}: import ${spec}`);
        assert.ok(!IMPURE_ALLOWED.has(spec.replace('./', '')), `${f} must not import ${spec}`);
      }
      for (const banned of [/\bDate\b/, /Math\.random/, /\bprocess\./, /\bperformance\./, /\bsetTimeout\b/, /\brequire\(/, /\bfetch\(/]) {
        assert.ok(!banned.test(code), `${f} uses ${banned}`);
      }
    });
  }
});
