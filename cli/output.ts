// What a finished campaign leaves in its output folder: results.jsonl, summary.json and summary.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { extractionLine, type ExtractionReport } from '../campaigns/extraction.ts';
import type { ErrorReport, ResultRow } from '../campaigns/service.ts';
import { SIMULATED_NOTE } from '../core/simulated-note.ts';

export interface SummaryLine {
  campaign_id: string;
  dataset: string;
  method: string;
  model: string;
  simulated: boolean;
  problems: number;
  passed: number;
  /** Problems that ended in 'error' (not scored: counted as not passed, but they are not failures of the model). */
  errors?: number;
  pass_at_1: number;
  coverage?: string;
  /** HumanEval EG-CFG: problems without docstring-derived visible tests, and with wrong ones (counted in the sandbox). */
  visible_tests?: { problems: number; no_visible_tests: number; wrong_visible_asserts: number; no_visible_tests_tasks: string[]; wrong_visible_asserts_tasks: string[] };
  /** egcfg evaluate: how much of the selection the samples file answers (scored on `covered` unless missing is 'fail'). */
  samples_coverage?: { covered: number; selected: number; missing: 'skip' | 'fail'; samples_per_task: number };
  /** Baseline pass@k (--samples-per-problem n > 1): n, and the unbiased pass@10 / pass@100 where n allows. */
  samples_per_problem?: number;
  pass_at_10?: number;
  pass_at_100?: number;
  /** EG-CFG: which prompt texts ran, `ours` or `authors (<dir>, <commit>)`. */
  prompts?: string;
  /** EG-CFG: the prompt format, 'chat' (the model's chat template) or 'raw' (--prompt-format). */
  prompt_format?: 'chat' | 'raw';
  /** Baseline: which rule found each program in the replies, and how many do not compile. */
  extraction?: ExtractionReport;
  output_dir: string;
  database: string;
}

/** The summary line's pass@k fields from a campaign summary (none for one sample per problem). */
export function passAtKFields(s: { samplesPerProblem?: number | undefined; passAtK?: Record<string, number> | undefined }): Pick<SummaryLine, 'samples_per_problem' | 'pass_at_10' | 'pass_at_100'> {
  if (!s.passAtK || !s.samplesPerProblem) return {};
  return {
    samples_per_problem: s.samplesPerProblem,
    ...(s.passAtK['10'] !== undefined ? { pass_at_10: s.passAtK['10'] } : {}),
    ...(s.passAtK['100'] !== undefined ? { pass_at_100: s.passAtK['100'] } : {}),
  };
}

const passAtKNote = (s: SummaryLine): string => s.samples_per_problem
  ? `pass@k over ${s.samples_per_problem} samples per problem (unbiased estimator; pass@1 is the mean of c/n): pass@1 ${(100 * s.pass_at_1).toFixed(2)}%` +
    (s.pass_at_10 !== undefined ? `, pass@10 ${(100 * s.pass_at_10).toFixed(2)}%` : '') + (s.pass_at_100 !== undefined ? `, pass@100 ${(100 * s.pass_at_100).toFixed(2)}%` : '') +
    `; the passed column counts sample 0 of each problem`
  : '';

export const samplesCoverageLine = (c: NonNullable<SummaryLine['samples_coverage']>): string =>
  `Samples file: answers ${c.covered} of ${c.selected} selected problems (${c.samples_per_task} sample${c.samples_per_task === 1 ? '' : 's'} per task); ` +
  (c.missing === 'skip' ? `scored on those ${c.covered} (--missing fail counts the others as failed)` : `the ${c.selected - c.covered} without samples count as failed (--missing fail)`);

export { SIMULATED_NOTE };

/** Scored and wrong: neither passed nor errored. */
const failedOf = (s: SummaryLine): number => s.problems - s.passed - (s.errors ?? 0);

const errorsNote = (s: SummaryLine): string =>
  `${s.errors} of ${s.problems} problems ended in 'error' (not scored): pass@1 counts them as not passed, so it understates the model`;

/**
 * What a run says about problems that ended in 'error', and its exit status: 0 when there were none, 1 otherwise
 * (how many, why, the first message and where to look).
 */
export function reportErrors(s: SummaryLine, report: ErrorReport, log: (line: string) => void = (l) => console.error(l)): number {
  if (report.count === 0) return 0;
  log(`\nERROR: ${errorsNote(s)}.`);
  if (report.first) log(`  first: ${report.first.taskId}: ${report.first.message.split('\n')[0]!.slice(0, 500)}`);
  log(`  that problem's record: egcfg show ${s.campaign_id} ${report.first?.taskId ?? '<task_id>'}`);
  return 1;
}

export function summaryMarkdown(s: SummaryLine): string {
  const model = s.simulated ? `${s.model} (simulated model)` : s.model;
  const lines = [
    `# Campaign ${s.campaign_id}`,
    '',
    s.simulated ? `> **${SIMULATED_NOTE}.**\n` : '',
    '| dataset | method | model | problems | passed | failed | errors | pass@1 (%) |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    `| ${s.dataset} | ${s.method} | ${model} | ${s.problems} | ${s.passed} | ${failedOf(s)} | ${s.errors ?? 0} | ${(100 * s.pass_at_1).toFixed(2)}${s.errors ? ' ⚠' : ''} |`,
    s.errors ? `\n⚠ ${errorsNote(s)}` : '',
    s.coverage ? `\nCoverage: ${s.coverage}` : '',
    s.extraction ? `\n${extractionLine(s.extraction)}` : '',
    s.samples_coverage ? `\n${samplesCoverageLine(s.samples_coverage)}` : '',
    s.samples_per_problem ? `\n${passAtKNote(s)}` : '',
    s.prompts ? `\nPrompts: ${s.prompts}${s.prompt_format ? `, prompt format ${s.prompt_format}` : ''}` : '',
    s.visible_tests ? `\nVisible tests (docstring examples): ${s.visible_tests.no_visible_tests} of ${s.visible_tests.problems} problems have none, ${s.visible_tests.wrong_visible_asserts} have asserts the canonical solution fails.` : '',
    '',
  ];
  return lines.filter((l, i) => l !== '' || i === 1).join('\n') + '\n';
}

export function writeCampaignOutputs(dir: string, rows: ResultRow[], summary: SummaryLine): string {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(out, 'summary.md'), summaryMarkdown(summary));
  return out;
}

/** A plain-text table for the terminal. */
export function summaryTable(s: SummaryLine): string {
  const header = ['dataset', 'method', 'model', 'problems', 'passed', 'failed', 'errors', 'pass@1 %'];
  const row = [s.dataset, s.method, s.simulated ? `${s.model} [SIMULATED]` : s.model, String(s.problems), String(s.passed),
    String(failedOf(s)), s.errors ? `${s.errors} !` : '0', (100 * s.pass_at_1).toFixed(2)];
  const widths = header.map((h, i) => Math.max(h.length, row[i]!.length));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), fmt(row), ...(s.samples_per_problem ? [passAtKNote(s)] : [])].join('\n');
}
