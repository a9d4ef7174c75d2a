// The BTP cycle's in-workflow state (workflows/btp.ts): what its signals change and its queries report, the pause
// gate, and the bounded-concurrency loop over problems whose progress the state counts.
import { condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import type { BtpCycleInput, BtpIterationRecord, BtpProgress, BtpStage, CampaignProgress } from '../core/contracts.ts';
import { btpProgressQuery } from './btp-names.ts';
import { btpProblems, type BtpProblems } from './btp-problems.ts';
import { pauseSignal, progressQuery, resumeSignal } from './signals.ts';

export interface BtpCycleState {
  readonly input: BtpCycleInput;
  readonly history: BtpIterationRecord[];
  /** The training and evaluation problems: the input's lists, or read in pages (workflows/btp-problems.ts). */
  readonly problems: BtpProblems;
  iteration: number;
  paused: boolean;
  stage: BtpStage;
  problemsDone: number;
  problemsTotal: number;
  /** The workflow id of the running evaluation campaign (pause and resume are forwarded to it). */
  evalChild: string | null;
}

/** The state a run starts in (after continue-as-new: the history, next iteration and pause it was handed). */
export function initialState(input: BtpCycleInput): BtpCycleState {
  return {
    input, history: [...(input.history ?? [])], problems: btpProblems(input), iteration: input.nextIteration ?? 0, paused: input.paused ?? false,
    stage: 'starting', problemsDone: 0, problemsTotal: 0, evalChild: null,
  };
}

/** Pause/resume (forwarded to the running evaluation campaign) and the progress queries. */
export function installHandlers(s: BtpCycleState): void {
  const { input } = s;
  const p = input.params;
  const forward = (signal: typeof pauseSignal | typeof resumeSignal) => {
    if (s.evalChild) void getExternalWorkflowHandle(s.evalChild).signal(signal).catch(() => { /* the child may have finished */ });
  };
  setHandler(pauseSignal, () => { s.paused = true; forward(pauseSignal); });
  setHandler(resumeSignal, () => { s.paused = false; forward(resumeSignal); });
  const state = (): CampaignProgress['state'] => (s.stage === 'cancelled' ? 'cancelled' : s.stage === 'done' ? 'completed' : s.paused ? 'paused' : 'running');
  setHandler(progressQuery, (): CampaignProgress => ({
    campaignId: input.campaignId, total: p.iterations + 1, done: s.history.length, passed: s.history.at(-1)?.passed ?? 0, errors: 0,
    running: s.stage === 'done' || s.stage === 'cancelled' ? 0 : 1, paused: s.paused, state: state(),
  }));
  setHandler(btpProgressQuery, (): BtpProgress => ({
    campaignId: input.campaignId, iteration: s.iteration, iterations: p.iterations, stage: s.stage, paused: s.paused, history: [...s.history],
    problemsDone: s.problemsDone, problemsTotal: s.problemsTotal,
  }));
}

/** Resolves once the campaign is not paused. */
export const gate = (s: BtpCycleState): Promise<void> => condition(() => !s.paused);

/** Where forEachLimited takes its items: a list, or the campaign's pins read in pages (a ProblemPager). */
interface ItemSource<T> {
  readonly total: number;
  at(position: number): T | Promise<T>;
}

const listSource = <T>(items: readonly T[]): ItemSource<T> => ({ total: items.length, at: (i) => items[i]! });

/**
 * fn over the source's items, `limit` lanes at a time, each item after the gate; each lane claims the next position.
 * `count`: whether each item done counts in the progress (false: the caller counts).
 */
export async function forEachLimited<T>(s: BtpCycleState, source: ItemSource<T>, limit: number, fn: (x: T) => Promise<void>,
  opts: { count: boolean } = { count: true }): Promise<void> {
  let next = 0;
  s.problemsDone = 0;
  s.problemsTotal = source.total;
  const lane = async () => {
    while (next < source.total) {
      await gate(s);
      // Another lane may have claimed the last position while this one waited at the gate.
      if (next >= source.total) return;
      const got = source.at(next++);
      // A list's item is taken without an extra await, so a listed campaign's commands keep their recorded order.
      await fn(got instanceof Promise ? await got : got);
      if (opts.count) s.problemsDone++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, source.total)) }, lane));
}

/** fn over the training problems (the input's list, or its pins read in pages), `limit` at a time. */
export function forEachTrainingProblem(s: BtpCycleState, limit: number, fn: (problemId: number) => Promise<void>,
  opts: { count: boolean } = { count: true }): Promise<void> {
  const { problems } = s;
  return forEachLimited(s, problems.paged ? problems.train : listSource(problems.train), limit, fn, opts);
}
