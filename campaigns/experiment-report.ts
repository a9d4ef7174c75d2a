// The tables (CSV + Markdown), plots (SVG) and experiment.json of `egcfg experiment`, from the stored campaigns:
// written by the experiment workflow's last activity (campaigns/experiment-activities.ts) once every campaign is done.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import type { BtpCycleSummary } from '../core/contracts.ts';
import type { ExperimentOutcome, ExperimentReportMeta } from '../core/experiment-contracts.ts';
import type { Database } from '../db/client.ts';
import { beams, btpIterations, bufferEntries, trainingRuns } from '../db/schema/index.ts';
import { SIMULATED_NOTE } from '../core/simulated-note.ts';
import { barChart, lineChart } from './experiment-plots.ts';

/** Every step's files and experiment.json in `meta.outputDir`; returns the file names (relative to it). */
export async function writeExperimentFiles(db: Database, meta: ExperimentReportMeta, outcomes: ExperimentOutcome[], seconds: number): Promise<string[]> {
  const out = meta.outputDir;
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const st of meta.steps) written.push(...await writeStep(out, st, outcomes.filter((o) => o.variant.step === st), db, meta.simulated));
  const manifest = {
    experiment: meta.name, mode: meta.mode, steps: meta.steps, simulated: meta.simulated,
    note: meta.simulated ? `${SIMULATED_NOTE}. LoRA training is real (tiny random-init model); pass@1 comes from the simulated server.` : null,
    target_model: meta.targetModel, source_model: meta.sourceModel, dataset: meta.dataset, seed: meta.seed, seconds,
    campaigns: outcomes.map((o) => ({ step: o.variant.step, group: o.variant.group, label: o.variant.label, campaign_id: o.campaignId, pass_at_1: o.summary.passAt1 })),
    files: written, database: meta.database,
  };
  writeFileSync(join(out, 'experiment.json'), JSON.stringify(manifest, null, 2) + '\n');
  return written;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '' : (100 * x).toFixed(2));
const f4 = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toFixed(4));

function csv(header: string[], rows: (string | number)[][]): string {
  const cell = (c: string | number) => (typeof c === 'number' ? String(c) : /[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

function markdown(title: string, simulated: boolean, header: string[], rows: (string | number)[][], notes: string[] = []): string {
  return [
    `# ${title}${simulated ? ' (simulated model)' : ''}`, '',
    ...(simulated ? [`> **${SIMULATED_NOTE}.** The LoRA training is real (a tiny random-init model); pass@1 comes from the simulated server.`, ''] : []),
    `| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`), '', ...notes, '',
  ].join('\n');
}

async function trainingOf(db: Database, campaignId: string) {
  const runs = await db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, campaignId)).orderBy(asc(trainingRuns.iteration));
  const last = runs.at(-1);
  const m = (last?.metrics ?? {}) as { initial_eval_loss?: number; final_eval_loss?: number; steps?: number };
  return { runs: runs.length, steps: m.steps ?? null, initialEvalLoss: m.initial_eval_loss ?? null, finalEvalLoss: m.final_eval_loss ?? null, trainLoss: last?.lastLoss ?? null };
}

async function writeStep(out: string, step: string, outcomes: ExperimentOutcome[], db: Database, simulated: boolean): Promise<string[]> {
  const files: string[] = [];
  const put = (file: string, text: string) => { writeFileSync(join(out, file), text); files.push(file); };
  const tag = simulated ? ' (simulated model)' : '';
  if (step === 'step1') {
    const header = ['model', 'dataset', 'problems', 'passed', 'pass@1 %', 'campaign'];
    const rows = outcomes.map((o) => [o.summary.model, o.summary.dataset, o.summary.problems, o.summary.passed, pct(o.summary.passAt1), o.campaignId]);
    put('step1.csv', csv(header, rows));
    put('step1.md', markdown('Step 1: baseline', simulated, header, rows));
    return files;
  }
  if (step === 'step2') {
    const header = ['candidates', 'training problems', 'problems with a passing candidate', 'mean candidate pass rate', 'mean P2Value', 'buffer size', 'pass@1 % (iteration 0)', 'pass@1 % (iteration 1)', 'campaign'];
    const rows: (string | number)[][] = [];
    for (const o of outcomes) {
      const bs = await db.select().from(beams).where(and(eq(beams.campaignId, o.campaignId), eq(beams.iteration, 1)));
      const byProblem = new Map<number, boolean>();
      for (const b of bs) byProblem.set(b.problemId, (byProblem.get(b.problemId) ?? false) || b.passRate === 1);
      const buf = await db.select({ id: bufferEntries.id }).from(bufferEntries).where(eq(bufferEntries.campaignId, o.campaignId));
      const its = (o.summary as BtpCycleSummary).iterations;
      rows.push([bs.length, byProblem.size, [...byProblem.values()].filter(Boolean).length,
        f4(bs.reduce((a, b) => a + (b.passRate ?? 0), 0) / Math.max(bs.length, 1)), f4(bs.reduce((a, b) => a + (b.p2value ?? 0), 0) / Math.max(bs.length, 1)),
        buf.length, pct(its[0]?.passAt1), pct(its[1]?.passAt1), o.campaignId]);
    }
    put('step2.csv', csv(header, rows));
    put('step2.md', markdown('Step 2: BTP (beam sampling → testing → buffer)', simulated, header, rows,
      ['Candidates are n samples with token logprobs (vLLM\'s OpenAI server has no beam search); possibility = exp(mean token logprob).']));
    return files;
  }
  if (step === 'step2-finetune' || step === 'big-to-small') {
    // The beams' pass rates explain the buffer (and what training could learn); the trainer's speed and memory its cost.
    const header = ['iteration', 'model', 'problems', 'passed', 'pass@1 %', 'buffer size', 'train loss (last step)', 'eval loss before', 'eval loss after',
      'beams', 'beams passing all tests', 'mean beam pass rate', 's/step', 'trainer peak MB', 'campaign'];
    const rows: (string | number)[][] = [];
    const series: { name: string; points: [number, number][] }[] = [];
    for (const o of outcomes) {
      const its = await db.select().from(btpIterations).where(eq(btpIterations.campaignId, o.campaignId)).orderBy(asc(btpIterations.iteration));
      const runs = await db.select().from(trainingRuns).where(eq(trainingRuns.campaignId, o.campaignId));
      const bs = await db.select({ iteration: beams.iteration, passRate: beams.passRate }).from(beams).where(eq(beams.campaignId, o.campaignId));
      for (const it of its) {
        const r = runs.find((x) => x.iteration === it.iteration);
        const m = (r?.metrics ?? {}) as { initial_eval_loss?: number; final_eval_loss?: number; steps_per_second_this_run?: number; peak_rss_mb?: number };
        const ib = bs.filter((b) => b.iteration === it.iteration && b.passRate !== null).map((b) => b.passRate!);
        const beamCols = ib.length === 0 ? ['', '', ''] : [ib.length, ib.filter((x) => x === 1).length, f4(ib.reduce((a, b) => a + b, 0) / ib.length)];
        const secondsPerStep = m.steps_per_second_this_run ? (1 / m.steps_per_second_this_run).toFixed(1) : '';
        rows.push([it.iteration, it.model, it.problems, it.passed, pct(it.passAt1), it.bufferSize, f4(r?.lastLoss), f4(m.initial_eval_loss), f4(m.final_eval_loss),
          ...beamCols, secondsPerStep, m.peak_rss_mb ?? '', o.campaignId]);
      }
      series.push({ name: o.variant.label, points: its.map((it) => [it.iteration, 100 * it.passAt1]) });
    }
    const title = step === 'big-to-small' ? 'Big-to-small: candidates from the source model, training the target' : 'Step 2: BTP + fine-tuning';
    put(`${step}.csv`, csv(header, rows));
    put(`${step}.md`, markdown(title, simulated, header, rows, ['Iteration 0 is the base target model; iteration i evaluates the LoRA adapter trained in iteration i.']));
    put(`${step}.svg`, lineChart(`${title}${tag}`, 'iteration', 'pass@1 (%)', series));
    return files;
  }
  // step3 / step4: one row per variant; bars (step3) or curves per hyperparameter (step4)
  const header = ['group', 'value', 'pass@1 % (final)', 'pass@1 % (best)', 'pass@1 % (iteration 0)', 'buffer size', 'train loss (last step)', 'eval loss before', 'eval loss after', 'campaign'];
  const rows: (string | number)[][] = [];
  const points: { group: string; label: string; value: string | number; passAt1: number }[] = [];
  for (const o of outcomes) {
    const b = o.summary as BtpCycleSummary;
    const t = await trainingOf(db, o.campaignId);
    const bufferSize = b.iterations.at(-1)?.bufferSize ?? 0;
    rows.push([o.variant.group, o.variant.label, pct(b.passAt1), pct(b.bestPassAt1), pct(b.iterations[0]?.passAt1), bufferSize, f4(t.trainLoss), f4(t.initialEvalLoss), f4(t.finalEvalLoss), o.campaignId]);
    points.push({ group: o.variant.group, label: o.variant.label, value: o.variant.value, passAt1: 100 * b.passAt1 });
  }
  if (step === 'step3') {
    put('step3.csv', csv(header, rows));
    put('step3.md', markdown('Step 3: ablation (sampling scheme, P2Value weight, buffer size)', simulated, header, rows));
    put('step3.svg', barChart(`Step 3: ablation, pass@1 after training${tag}`, 'pass@1 (%)', points.map((p) => ({ label: `${p.group}: ${p.label}`, value: p.passAt1 }))));
  } else {
    put('step4.csv', csv(header, rows));
    put('step4.md', markdown('Step 4: hyperparameters (sampling α, temperature, beam size)', simulated, header, rows));
    for (const g of [...new Set(points.map((p) => p.group))]) {
      const ps = points.filter((p) => p.group === g).map((p): [number, number] => [Number(p.value), p.passAt1]).sort((a, b) => a[0] - b[0]);
      put(`step4-${g}.svg`, lineChart(`Step 4: ${g}${tag}`, g, 'pass@1 (%)', [{ name: g, points: ps }]));
    }
  }
  return files;
}
