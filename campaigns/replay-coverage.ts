// What an evalplus samples file covers of the dataset selection it is evaluated on: tasks with samples, tasks without,
// and task ids the dataset does not have (an error naming them). By default a campaign scores only the covered tasks
// (pass@1 over what the file answers, with its coverage printed and stored); `missing: 'fail'` keeps every selected
// task and counts an absent one as failed, as a deliberate choice.
import { loadReplaySamples, samplesPerTask } from '../activities/model/replay.ts';
import type { Problem } from '../core/datasets/index.ts';
import { OptionsError } from './options.ts';

export interface ReplayCoverage {
  /** Selected problems with samples (or all selected ones under missing: 'fail'), in dataset order. */
  problems: Problem[];
  covered: number;
  selected: number;
  /** n: samples per task (1 for a pass@1 file). */
  samplesPerTask: number;
  missing: 'skip' | 'fail';
}

/** evalplus names MBPP tasks `Mbpp/<n>`; ours are the bare numbers. */
const canonical = (taskId: string) => taskId.replace(/^Mbpp\//, '');

export async function replayCoverage(file: string, all: readonly Problem[], selected: readonly Problem[], missing: 'skip' | 'fail' = 'skip'): Promise<ReplayCoverage> {
  const samples = await loadReplaySamples(file);
  const n = samplesPerTask(samples, file);
  const known = new Set(all.map((p) => p.taskId));
  const unknown = [...samples.keys()].filter((t) => !known.has(canonical(t)));
  if (unknown.length > 0) {
    throw new OptionsError([{ field: 'samples', message: `${unknown.length} task id(s) in ${file} are not in the dataset: ${unknown.slice(0, 5).map((t) => JSON.stringify(t.slice(0, 80))).join(', ')}${unknown.length > 5 ? ', …' : ''}` }]);
  }
  const have = new Set([...samples.keys()].map(canonical));
  const covered = selected.filter((p) => have.has(p.taskId));
  if (covered.length === 0 && missing === 'skip') {
    throw new OptionsError([{ field: 'samples', message: `${file} has no samples for the ${selected.length} selected problems (another split or --max-problems?)` }]);
  }
  return { problems: missing === 'fail' ? [...selected] : covered, covered: covered.length, selected: selected.length, samplesPerTask: n, missing };
}
