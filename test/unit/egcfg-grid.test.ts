import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from '../../core/repo.ts';
import {
  agentName,
  agentRuns,
  defaultGammas,
  expandGrid,
  PAPER_GRID,
  parseAgentName,
  parseGammas,
  parseGrid,
  QUICK_GRID,
  type AgentConfig,
} from '../../core/egcfg/grid.ts';
import { loadGridFile } from '../../core/egcfg/grid-file.ts';
import { pyFloatRepr, pyJsonDumpsList } from '../../core/egcfg/pyrepr.ts';
import { agentSeed, seedKey, seedResidue } from '../../core/egcfg/seed.ts';

const cfg = (over: Partial<AgentConfig> = {}): AgentConfig => ({ t: 0.7, s: 3, d: 2, k: 1, promptType: 'deepseek_instruct', partialEnabled: false, ...over });

describe('grid schema', { timeout: 60_000 }, () => {
  it('accepts the paper grid and the quick grid files, equal to the exported constants', () => {
    const paper = JSON.parse(readFileSync(repoPath('data/egcfg/dynamic_signals_params.json'), 'utf8'));
    const quick = JSON.parse(readFileSync(repoPath('data/egcfg/quick_grid.json'), 'utf8'));
    assert.deepEqual(parseGrid(paper), PAPER_GRID);
    assert.deepEqual(parseGrid(quick), QUICK_GRID);
    assert.deepEqual(loadGridFile(repoPath('data/egcfg/dynamic_signals_params.json')), PAPER_GRID);
  });

  it('accepts null and "inf" horizons', () => {
    const g = parseGrid({ ...PAPER_GRID, d: [2, null] });
    assert.deepEqual(g.d, [2, null]);
    assert.deepEqual(parseGrid({ ...PAPER_GRID, d: ['inf'] }).d, ['inf']);
  });

  it('names the problem precisely', () => {
    const bad = (json: unknown, re: RegExp): void => {
      assert.throws(() => parseGrid(json, 'grid file x.json'), (e: Error) => {
        assert.match(e.message, /^invalid grid file x\.json:/);
        assert.match(e.message, re);
        return true;
      });
    };
    bad({ ...PAPER_GRID, t: [] }, /t must list at least one temperature[\s\S]*→ at t/);
    bad({ ...PAPER_GRID, s: [3, 0] }, /s must be >= 1[\s\S]*→ at s\[1\]/);
    bad({ ...PAPER_GRID, s: [2.5] }, /s must be an integer[\s\S]*→ at s\[0\]/);
    bad({ ...PAPER_GRID, d: [2, 'forever'] }, /d must be an integer >= 0, null or "inf"[\s\S]*→ at d\[1\]/);
    bad({ ...PAPER_GRID, d: [null, 'inf'] }, /duplicate d value inf \(also at index 0\)[\s\S]*→ at d\[1\]/);
    bad({ ...PAPER_GRID, t: [0.7, 0.7] }, /duplicate t value 0\.7/);
    bad({ ...PAPER_GRID, k: [0] }, /k must be >= 1[\s\S]*→ at k\[0\]/);
    bad({ ...PAPER_GRID, prompt_type: ['chat'] }, /→ at prompt_type\[0\]/);
    bad({ ...PAPER_GRID, gamma: [1] }, /gamma/);
    const { s: _s, ...noS } = PAPER_GRID;
    bad(noS, /→ at s/);
    bad('nope', /expected object/i);
  });

  it('loadGridFile names the file on read and JSON errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egcfg-grid-'));
    const f = join(dir, 'g.json');
    writeFileSync(f, '{ "t": [0.7], ');
    assert.throws(() => loadGridFile(f), new RegExp(`grid file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON`));
    assert.throws(() => loadGridFile(join(dir, 'missing.json')), /cannot read grid file/);
    writeFileSync(f, JSON.stringify({ ...QUICK_GRID, k: [] }));
    assert.throws(() => loadGridFile(f), /invalid grid file .*g\.json:[\s\S]*k must list at least one value/);
  });
});

describe('expandGrid', { timeout: 60_000 }, () => {
  it('the paper grid gives 48 agents in a stable order with unique names', () => {
    const agents = expandGrid(PAPER_GRID);
    assert.equal(agents.length, 48);
    assert.equal(new Set(agents.map((a) => a.name)).size, 48);
    // The authors' order (sklearn ParameterGrid: sorted keys d, k, prompt_type, s, t; t varies fastest; issue 11 item 6).
    assert.deepEqual(agents.slice(0, 3).map((a) => a.name), ['ns3t0.7d2k1_ln', 'ns3t0.75d2k1_ln', 'ns3t0.85d2k1_ln']);
    assert.equal(agents[6]!.name, 'ns3t0.7d2k1_lci_ln');
    assert.equal(agents[12]!.name, 'ns3t0.7d3k1_ln');
    assert.equal(agents[47]!.name, 'ns3t1.5d8k1_lci_ln');
    assert.ok(agents.every((a) => a.partialEnabled === false));
    assert.deepEqual(expandGrid(PAPER_GRID), agents, 'deterministic');
  });
  it('the quick grid gives 2 agents', () => {
    assert.deepEqual(expandGrid(QUICK_GRID).map((a) => a.name), ['ns3t0.7d2k1_ln', 'ns3t0.7d2k1_lci_ln']);
  });
  it('normalises "inf" and null horizons to null', () => {
    const a = expandGrid({ ...QUICK_GRID, d: ['inf'], prompt_type: ['long_code'] });
    assert.deepEqual(a, [{ t: 0.7, s: 3, d: null, k: 1, promptType: 'long_code', partialEnabled: false, name: 'ns3t0.7dinfk1_lci_ln' }]);
  });
  it('validates its input', () => {
    assert.throws(() => expandGrid({ t: [0.7] }), /invalid grid/);
  });
});

describe('agent names', { timeout: 60_000 }, () => {
  it('formats ns{s}t{t}d{d}k{k}[_lci]_ln with Python float text for t', () => {
    assert.equal(agentName(cfg({ t: 0.75, d: 5, promptType: 'long_code' })), 'ns3t0.75d5k1_lci_ln');
    assert.equal(agentName(cfg({ t: 1 })), 'ns3t1.0d2k1_ln');
    assert.equal(agentName(cfg({ d: null })), 'ns3t0.7dinfk1_ln');
  });
  it('parseAgentName inverts agentName and accepts the authors spellings', () => {
    for (const a of expandGrid(PAPER_GRID)) {
      const { name, ...rest } = a;
      assert.deepEqual(parseAgentName(name), rest);
      assert.equal(agentName(parseAgentName(name)), name);
    }
    assert.deepEqual(parseAgentName('ns3t0.75d5k1_lci_ln'), cfg({ t: 0.75, d: 5, promptType: 'long_code' }));
    assert.equal(parseAgentName('ns3t1.2dNonek1_ln').d, null);
    assert.equal(parseAgentName('ns3t1d2k1_ln').t, 1);
    assert.equal(parseAgentName('ns3t1e-05d2k1_ln').t, 1e-5);
  });
  it('parseAgentName rejects other shapes', () => {
    for (const bad of ['', 'ns3t0.7d2k1', 'ns3t0.7d2k1_tok', 'ns0t0.7d2k1_ln', 'ns3t0.7d2k0_ln', 'xns3t0.7d2k1_ln', 'ns3t.7d2k1_ln']) {
      assert.throws(() => parseAgentName(bad), RangeError, bad);
    }
  });
});

describe('gammas and runs', { timeout: 60_000 }, () => {
  it('defaults to [0, 0.5, 1, 3] (a fresh copy each time)', () => {
    const g = defaultGammas();
    assert.deepEqual(g, [0, 0.5, 1, 3]);
    g.push(9);
    assert.deepEqual(defaultGammas(), [0, 0.5, 1, 3]);
  });
  it('parseGammas validates', () => {
    assert.deepEqual(parseGammas([0, 3]), [0, 3]);
    assert.throws(() => parseGammas([]), /at least one gamma/);
    assert.throws(() => parseGammas([1, 1]), /duplicate gamma value 1/);
    assert.throws(() => parseGammas([-1]), /gamma must be >= 0/);
  });
  it('agentRuns lists every agent with its γ values in order', () => {
    const runs = agentRuns(expandGrid(QUICK_GRID));
    assert.deepEqual(runs.map((r) => [r.agent.name, r.gamma]), [
      ['ns3t0.7d2k1_ln', 0], ['ns3t0.7d2k1_ln', 0.5], ['ns3t0.7d2k1_ln', 1], ['ns3t0.7d2k1_ln', 3],
      ['ns3t0.7d2k1_lci_ln', 0], ['ns3t0.7d2k1_lci_ln', 0.5], ['ns3t0.7d2k1_lci_ln', 1], ['ns3t0.7d2k1_lci_ln', 3],
    ]);
    assert.equal(agentRuns(expandGrid(PAPER_GRID)).length, 192);
  });
});

describe('Python text forms', { timeout: 60_000 }, () => {
  it('pyFloatRepr matches Python repr()', () => {
    const cases: Array<[number, string]> = [
      [0.7, '0.7'], [0.75, '0.75'], [1, '1.0'], [100, '100.0'], [-2.5, '-2.5'], [0.1, '0.1'], [0.3, '0.3'],
      [1e-4, '0.0001'], [1e-5, '1e-05'], [0.00012345, '0.00012345'], [1e16, '1e+16'], [1.5e16, '1.5e+16'],
      [1e15, '1000000000000000.0'], [1.2345678901234568e17, '1.2345678901234568e+17'], [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'], [0, '0.0'], [-0, '-0.0'], [Infinity, 'inf'], [-Infinity, '-inf'], [Number.NaN, 'nan'],
    ];
    for (const [x, want] of cases) assert.equal(pyFloatRepr(x), want, String(x));
  });
  it('pyJsonDumpsList matches json.dumps', () => {
    assert.equal(pyJsonDumpsList([{ float: 0.7 }, { int: 3 }, { int: 2 }, false]), '[0.7, 3, 2, false]');
    assert.equal(pyJsonDumpsList([{ float: 1 }, { int: 3 }, null, true]), '[1.0, 3, null, true]');
    assert.equal(pyJsonDumpsList([{ float: Infinity }]), '[Infinity]');
    assert.equal(pyJsonDumpsList([]), '[]');
    assert.throws(() => pyJsonDumpsList([{ int: 1.5 }]), /not a safe integer/);
  });
});

describe('agentSeed', { timeout: 60_000 }, () => {
  // Expected residues computed independently with CPython: int(hashlib.sha256(json.dumps([t, 3, d, False]).encode()).hexdigest(), 16) % 1000
  const PY: Array<[number, number | null, number]> = [
    [0.7, 2, 339], [0.7, null, 153], [0.75, 2, 459], [0.75, null, 939], [0.85, 2, 686], [0.85, null, 465],
    [0.95, 2, 879], [0.95, null, 428], [1.2, 2, 737], [1.2, null, 822], [1.5, 2, 96], [1.5, null, 562],
    [1, 2, 480], [1, null, 34], [1e-5, 2, 891], [1e-5, null, 323],
  ];
  it('hashes the json.dumps-style list', () => {
    assert.equal(seedKey(cfg()), '[0.7, 3, 2, false]');
    assert.equal(seedKey(cfg({ t: 1, d: null, partialEnabled: true })), '[1.0, 3, null, true]');
  });
  it('matches CPython for the residues', () => {
    for (const [t, d, want] of PY) assert.equal(seedResidue(cfg({ t, d })), want, `t=${t} d=${d}`);
  });
  it('= residue + 40 + retryIdx, and ignores k and the prompt type', () => {
    assert.equal(agentSeed(cfg()), 339 + 40);
    assert.equal(agentSeed(cfg(), 1), 339 + 41);
    assert.equal(agentSeed(cfg({ k: 2, promptType: 'long_code' })), 379);
    assert.equal(agentSeed(cfg(), 0, 0), 339);
    assert.throws(() => agentSeed(cfg(), -1), /retryIdx/);
    assert.throws(() => agentSeed(cfg(), 0, 1.5), /baseSeed/);
  });
  it('every paper agent gets a seed in [40, 1040)', () => {
    for (const a of expandGrid(PAPER_GRID)) {
      const s = agentSeed(a);
      assert.ok(Number.isInteger(s) && s >= 40 && s < 1040);
    }
  });
});

import { authorsResultPath } from '../../core/egcfg/grid.ts';

describe('authorsResultPath', { timeout: 60_000 }, () => {
  it('mirrors the authors result layout', () => {
    assert.equal(
      authorsResultPath('mbpp', 'deepseek-ai/deepseek-coder-1.3b-instruct', 'ns3t0.7d2k1_ln', 11, 0),
      'mbpp/deepseek-ai_deepseek-coder-1.3b-instruct/ns3t0.7d2k1_ln/task_id=11_gamma=0.0.json',
    );
    assert.equal(authorsResultPath('humaneval', 'm', 'a', 'HumanEval/0'.replace('/', '_'), 0.5), 'humaneval/m/a/task_id=HumanEval_0_gamma=0.5.json');
    assert.equal(authorsResultPath('mbpp', 'm', 'a', 1, 3), 'mbpp/m/a/task_id=1_gamma=3.0.json');
    assert.throws(() => authorsResultPath('mbpp', 'm', 'a', 'HumanEval/0', 1), /taskId must be non-empty and contain no "\/"/);
    assert.throws(() => authorsResultPath('', 'm', 'a', 1, 1), /dataset/);
    assert.throws(() => authorsResultPath('mbpp', '', 'a', 1, 1), /model is empty/);
  });
});

describe('grid constants', { timeout: 60_000 }, () => {
  it('are frozen, lists included', () => {
    assert.ok(Object.isFrozen(PAPER_GRID) && Object.isFrozen(PAPER_GRID.t) && Object.isFrozen(QUICK_GRID.prompt_type));
    assert.throws(() => (PAPER_GRID.t).push(2));
  });
});
