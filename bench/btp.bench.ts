// Benchmark (not a test): prioritized draws per second from buffers of 1e3, 1e5 and 1e6 entries, for power and rank
// sampling, with and without replacement, plus ExperienceBuffer insertion throughput. A draw is one O(log n) sum-tree
// descent, so ns/draw should grow like log2(n) (plus cache misses once the tree outgrows the CPU caches).
// Timings are the best of 3 repetitions. Prints ONE JSON line.
// Usage: npx tsx bench/btp.bench.ts [--sizes 1000,100000,1000000] [--draws 1000000]
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ExperienceBuffer } from '../core/btp/buffer.ts';
import { createRng } from '../core/btp/prng.ts';
import { PrioritizedSampler, type SamplingSchemeInput } from '../core/btp/samplers.ts';

const { values } = parseArgs({ options: { sizes: { type: 'string' }, draws: { type: 'string' }, 'buffer-entries': { type: 'string' } } });
const sizes = (values.sizes ?? '1000,100000,1000000').split(',').map(Number);
const draws = Number(values.draws ?? 1_000_000);
const bufferEntries = Number(values['buffer-entries'] ?? 100_000);

function priorities(n: number): Float64Array {
  const rng = createRng(`bench-${n}`);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = rng.nextFloat();
  return p;
}

const results: Record<string, unknown>[] = [];
for (const n of sizes) {
  const p = priorities(n);
  for (const scheme of [{ kind: 'power', alpha: 0.6 }, { kind: 'rank', alpha: 0.7 }] as SamplingSchemeInput[]) {
    const t0 = performance.now();
    const sampler = PrioritizedSampler.build(p, scheme);
    const buildMs = performance.now() - t0;
    const rng = createRng(1);
    let sink = 0;
    // Best of 3 repetitions (the first also warms the JIT and the caches).
    let drawS = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const t1 = performance.now();
      for (let k = 0; k < draws; k++) sink += sampler.draw(rng);
      drawS = Math.min(drawS, (performance.now() - t1) / 1000);
    }
    // Without replacement: batches of 256 distinct entries (the draw, the zeroing and the restore: 3 tree walks).
    const batches = Math.max(1, Math.floor(draws / 256 / 4));
    const t2 = performance.now();
    for (let b = 0; b < batches; b++) sink += sampler.sample(rng, Math.min(256, n), { replacement: false }).length;
    const noRepS = (performance.now() - t2) / 1000;
    const nsPerDraw = (drawS * 1e9) / draws;
    results.push({
      n,
      scheme: scheme.kind,
      build_ms: Math.round(buildMs * 10) / 10,
      draws,
      draws_per_s: Math.round(draws / drawS),
      ns_per_draw: Math.round(nsPerDraw * 10) / 10,
      ns_per_draw_per_log2n: Math.round((nsPerDraw / Math.log2(n)) * 100) / 100,
      no_replacement_draws_per_s: Math.round((batches * Math.min(256, n)) / noRepS),
      sink: sink % 7,
    });
  }
}

// ExperienceBuffer insertion (validation, sha256 of the normalised code, dedupe map, eviction heap) at capacity/2.
const buf = new ExperienceBuffer({ capacity: Math.floor(bufferEntries / 2), eviction: 'lowest-p2value' });
const rng = createRng('buffer');
const t3 = performance.now();
for (let i = 0; i < bufferEntries; i++) {
  const v = rng.nextFloat();
  buf.add({ problemId: i % 374, code: `def f(x):\n    return x * ${i}\n`, possibility: v, passRate: v, p2value: v, sourceModel: 'm', iteration: 0 });
}
const addS = (performance.now() - t3) / 1000;
const t4 = performance.now();
const drawn = buf.sample(createRng(2), 1024, { kind: 'power', alpha: 0.6 }, { replacement: false });
const bufferSampleMs = performance.now() - t4;

const first = (scheme: string) => results.filter((r) => r.scheme === scheme);
const growth = (scheme: string) => {
  const rs = first(scheme);
  const a = rs[0]!;
  const z = rs[rs.length - 1]!;
  return {
    ns_ratio: Math.round(((z.ns_per_draw as number) / (a.ns_per_draw as number)) * 100) / 100,
    log2n_ratio: Math.round((Math.log2(z.n as number) / Math.log2(a.n as number)) * 100) / 100,
    n_ratio: (z.n as number) / (a.n as number),
  };
};

console.log(JSON.stringify({
  bench: 'btp-prioritized-replay',
  node: process.version,
  cpus: cpus().length,
  loadavg_1m: Math.round(loadavg()[0]! * 100) / 100,
  results,
  growth_smallest_to_largest: { power: growth('power'), rank: growth('rank') },
  buffer: {
    inserts: bufferEntries,
    capacity: buf.config.capacity,
    inserts_per_s: Math.round(bufferEntries / addS),
    size: buf.size,
    sample_1024_without_replacement_ms: Math.round(bufferSampleMs * 10) / 10,
    drawn: drawn.length,
  },
}));
