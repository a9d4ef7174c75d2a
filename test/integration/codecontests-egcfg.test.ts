// EG-CFG on CodeContests end to end (issue 17): the real Temporal dev server, Postgres, nsjail and the SIMULATED
// model server, on problems of the hand-made fixture (test/fixtures/codecontests). Candidates are whole programs,
// traced on the public tests' stdin: the stored signal shows `solve()`, the stdin, the expected stdout, the
// line-by-line trace and what the program printed. Selection is on the public tests, scoring on private + generated
// (strict) and as the authors (paper); the stored programs judged again give the stored verdicts; the API and the
// dashboard show pass@1 and the contest verdicts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { runContest } from '../../activities/contest.ts';
import { knowledgeFor } from '../../activities/model/simulated-knowledge.ts';
import type { SimulatedServer } from '../../activities/model/simulated-server.ts';
import { CONTEST_VERDICTS, getSharedSandbox } from '../../activities/sandbox/index.ts';
import { parseRunOptions } from '../../campaigns/options.ts';
import { startCampaign, waitForCampaign } from '../../campaigns/service.ts';
import { loadDataset, type Problem } from '../../core/datasets/index.ts';
import { repoPath } from '../../core/repo.ts';
import type { EgcfgCampaignSummary } from '../../core/contracts.ts';
import { egcfgGenerations, egcfgSteps, egcfgTraces, executions, problems, results, samples } from '../../db/schema/index.ts';
import { integrationServices } from '../support/integration.ts';

const FIXTURE = repoPath('test', 'fixtures', 'codecontests', 'test.jsonl');
const T = { timeout: 600_000 };

describe('EG-CFG on CodeContests (Temporal + Postgres + nsjail + simulated model)', { timeout: 900_000 }, () => {
  let sim: SimulatedServer;
  let fixture: Problem[];
  const svc = integrationServices({
    api: { auth: { mode: 'none' } },
    setup: async () => {
      fixture = await loadDataset('codecontests', { file: FIXTURE });
      // skill 0: unguided, the model always believes a broken program; with a trace block in the prompt it ranks the
      // solution's tokens first, so only guided generations can pass.
      sim = await svc.startSimulatedServer({ knowledge: knowledgeFor(fixture), skill: 0 });
    },
  });

  const ctx = () => ({ db: svc.db.db, client: svc.env.client });
  const model = () => ({ kind: 'openai' as const, baseUrl: sim.url, model: 'simulated-model', simulated: true });
  const run = async (extra: Record<string, unknown>) => {
    const opts = parseRunOptions({
      dataset: 'codecontests', datasetFile: FIXTURE, method: 'eg-cfg', modelName: 'simulated-model', gammas: [0, 3],
      temperature: 0.7, numCandidates: 2, horizon: 2, maxNewTokens: 256, concurrency: 2, ...extra,
    });
    const created = await startCampaign(ctx(), opts, model());
    return { id: created.campaignId, summary: await waitForCampaign(ctx(), created.campaignId) as EgcfgCampaignSummary };
  };
  const problemOf = (taskId: string) => fixture.find((p) => p.taskId === taskId)!;

  test('strict: stdin traces in the signal, selection on public tests, private + generated scoring, re-judged alike, shown by API and dashboard', T, async () => {
    const { id, summary } = await run({ maxProblems: 2 });
    assert.equal(summary.problems, 2);
    assert.deepEqual(summary.protocols.map((p) => [p.protocol, p.passed]), [['paper', 2], ['strict', 2]]);

    const gens = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, id));
    const guided = gens.filter((g) => g.gamma === 3);
    assert.equal(guided.length, 2, 'γ = 0 failed (skill 0), so γ = 3 ran for both problems');
    assert.ok(gens.filter((g) => g.gamma === 0).every((g) => g.status === 'failed'));
    assert.ok(guided.every((g) => g.status === 'passed'));

    // The traces: whole programs run on the public tests' stdin, traced line by line, with what they printed.
    const traces = await svc.db.db.select().from(egcfgTraces).where(inArray(egcfgTraces.generationId, guided.map((g) => g.id)));
    assert.ok(traces.length >= 2);
    for (const t of traces) assert.match(t.invocation, /^solve\(\)\nstdin: '[^\n]*'\nexpected stdout: /);
    const sumPair = traces.filter((t) => t.invocation === "solve()\nstdin: '1 2\\n'\nexpected stdout: 3" && t.trace !== null);
    assert.ok(sumPair.length > 0, 'Sum Pair traced on its public input');
    assert.ok(sumPair.some((t) => /LINE: a, b = map\(int, input\(\)\.split\(\)\)\n.*\{'a': 1, 'b': 2\}/.test(t.trace!)), 'the trace shows the values read from stdin');
    assert.ok(sumPair.every((t) => /\n# Stdout: '.*'$/.test(t.trace!)), 'each trace ends with the program\'s stdout');
    assert.ok(sumPair.some((t) => t.trace!.endsWith("# Stdout: '3\\n'")), 'a correct candidate printed 3');
    const average = traces.filter((t) => t.invocation.startsWith("solve()\nstdin: '3\\n1 2 4\\n'\nexpected stdout: 2.333333333333") && t.trace !== null);
    assert.ok(average.length > 0, 'Average traced on its public input');

    // The signal the conditional prompt got: the same entries, in the spec's layout.
    const signals = await svc.db.db.select().from(egcfgSteps).where(and(inArray(egcfgSteps.generationId, guided.map((g) => g.id)), eq(egcfgSteps.kind, 'signal')));
    const shown = signals.map((s) => s.signal ?? '').filter((s) => s !== '');
    assert.ok(shown.length > 0);
    assert.ok(shown.some((s) => /# Invocation:\nsolve\(\)\nstdin: '1 2\\n'\nexpected stdout: 3\n# Execution Trace:\n[\s\S]*LINE: [\s\S]*\n# Stdout: '/.test(s)));

    // Verdicts: every stored execution is a contest verdict; judging the stored program again gives the same one.
    const sandbox = await getSharedSandbox();
    const rows = await svc.db.db.select({ e: executions, s: samples, taskId: problems.taskId }).from(executions)
      .innerJoin(samples, eq(samples.id, executions.sampleId)).innerJoin(problems, eq(problems.id, samples.problemId))
      .where(eq(samples.campaignId, id)).orderBy(asc(executions.id));
    assert.ok(rows.length >= 4);
    for (const { e, s, taskId } of rows) {
      assert.ok((CONTEST_VERDICTS as readonly string[]).includes(e.status), `${e.suite}: ${e.status}`);
      const again = await runContest(sandbox, problemOf(taskId), s.code, e.suite);
      assert.deepEqual([again.status, again.passed, again.testsPassed, again.testsTotal], [e.status, e.passed, e.testsPassed, e.testsTotal], `sample ${s.id} ${e.suite}`);
    }
    const failedVisible = rows.filter(({ e }) => e.suite === 'visible' && !e.passed);
    assert.ok(failedVisible.length >= 2 && failedVisible.every(({ e }) => e.status === 'wrong_answer'), 'the broken γ = 0 programs: wrong answer');
    // Strict: the program chosen on the public tests, judged once on private + generated with the problem's limits.
    const strict = await svc.db.db.select().from(results).where(and(eq(results.campaignId, id), eq(results.protocol, 'strict')));
    for (const r of strict) {
      assert.equal((r.detail as { suite: string }).suite, 'eval');
      const [e] = await svc.db.db.select().from(executions).where(and(eq(executions.sampleId, r.sampleId!), eq(executions.suite, 'eval')));
      assert.equal(e!.status, 'accepted');
      assert.ok((e!.perTest as Array<{ id: string }>).every((t) => /^(private|generated)\//.test(t.id)));
    }

    // API: pass@1 per protocol; results (evalplus task_id = the problem's name); the dashboard's pages.
    const detail = await (await svc.app.request(`/campaigns/${id}`)).json() as { passAt1: Array<{ dataset: string; protocol: string; passed: number; problems: number }> };
    assert.deepEqual(detail.passAt1.filter((p) => p.protocol === 'strict').map((p) => [p.dataset, p.passed, p.problems]), [['codecontests', 2, 2]]);
    const res = await (await svc.app.request(`/campaigns/${id}/results?protocol=strict`)).json() as { results: Array<{ task_id: string; passed: boolean }> };
    assert.deepEqual(res.results.map((r) => [r.task_id, r.passed]), [['1_A. Sum Pair', true], ['2_B. Average', true]]);
    const evalplus = (await (await svc.app.request(`/campaigns/${id}/results?format=evalplus`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { task_id: string });
    assert.deepEqual(evalplus.map((l) => l.task_id), ['1_A. Sum Pair', '2_B. Average']);
    const page = await (await svc.app.request(`/ui/campaigns/${id}`)).text();
    assert.match(page, /codecontests/);
    assert.match(page, /100\.0/);
    const problemPage = await (await svc.app.request(`/ui/campaigns/${id}/problems/${encodeURIComponent('1_A. Sum Pair')}`)).text();
    assert.match(problemPage, /<td class="fail">wrong answer<\/td>/, 'a γ = 0 program: the judge\'s verdict per test');
    assert.match(problemPage, /<td class="pass">accepted<\/td>/);
    assert.match(problemPage, /token \d+: expected (&#39;|&#x27;|')3|expected \d+ tokens, got \d+/, 'the checker says what differs');
  });

  test('paper: the search stops at the first program accepted on private + generated (15 s per test), as the authors', T, async () => {
    const { id, summary } = await run({ maxProblems: 1, protocol: 'paper' });
    assert.equal(summary.protocols.find((p) => p.protocol === 'paper')!.passed, 1);
    const [paper] = await svc.db.db.select().from(results).where(and(eq(results.campaignId, id), eq(results.protocol, 'paper')));
    assert.notEqual((paper!.detail as { asAuthors?: boolean }).asAuthors, false);
    const gens = await svc.db.db.select().from(egcfgGenerations).where(eq(egcfgGenerations.campaignId, id));
    const winner = gens.find((g) => g.status === 'passed')!;
    const [e] = await svc.db.db.select().from(executions).where(and(eq(executions.sampleId, winner.sampleId!), eq(executions.suite, 'eval-paper')));
    assert.equal(e!.status, 'accepted');
    assert.equal(e!.perTest.length, 3, 'Sum Pair: 2 private + 1 generated tests');
  });
});
