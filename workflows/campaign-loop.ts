// The part every campaign workflow shares: one child per problem with bounded concurrency, pause/resume signals,
// the progress query, cancellation, and the cursor carried across continue-as-new. The caller says how to run one
// problem, how to record a failed one, and what to do when the campaign is cancelled.
import { ApplicationFailure, CancellationScope, CancelledFailure, condition, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { pauseSignal, progressQuery, resumeSignal } from './signals.ts';
import type { CampaignCursor, CampaignProgress } from '../core/contracts.ts';

export interface CampaignLoopOptions {
  campaignId: string;
  /** The problems in order (carried in the workflow input), unless `pages` reads them from the database. */
  problemIds: number[];
  /** The campaign's problems read a page at a time (the input carries only their count and the cursor). */
  pages?: ProblemPages;
  concurrency: number;
  /** Problems started in this run before the caller should continue as new. */
  budget: number;
  carried: CampaignCursor;
  /** Run one problem to its end; resolves to whether it passed. */
  runProblem(problemId: number): Promise<boolean>;
  /** Record a problem whose workflow failed (the campaign goes on). */
  recordError(problemId: number, message: string): Promise<void>;
  /** Runs in a non-cancellable scope when the campaign is cancelled, before the cancellation propagates. */
  onCancelled(): Promise<void>;
  /** Several problems per unit of work (one batched activity each) instead of one `runProblem` per problem. */
  batches?: CampaignBatches;
}

export interface ProblemPages {
  total: number;
  /** Ids read per page (default PROBLEM_PAGE). */
  pageSize?: number;
  /** The ids at positions [offset, offset + limit), in order (an activity: activities/problem-pages.ts). */
  fetch(offset: number, limit: number): Promise<number[]>;
}

/** Patch marker of the cancellation check before continue-as-new (histories recorded before it continued as new). */
export const CANCEL_BEFORE_CONTINUE_PATCH = 'cancel-before-continue';

/**
 * The cancellation to throw instead of continuing as new, when the workflow was cancelled and nothing was left to
 * interrupt (`CampaignLoop.cancelIfRequested`; the BTP cycle calls it directly); null otherwise.
 */
export function cancelRequestedBeforeContinue(campaignId: string): CancelledFailure | null {
  if (!CancellationScope.current().consideredCancelled || !patched(CANCEL_BEFORE_CONTINUE_PATCH)) return null;
  return new CancelledFailure(`campaign ${campaignId} cancelled as its run ended`);
}

/** Problem ids read per page: ~7 KB of history per page, one page per 1,000 problems. */
export const PROBLEM_PAGE = 1000;

export interface CampaignBatches {
  /** The most problems in one batch. */
  maxBatch: number;
  /** Run a batch to its end; resolves to how many of its problems passed and how many ended in error. */
  run(problemIds: number[]): Promise<{ passed: number; errors: number }>;
}

/**
 * The next batch's size, by guided self-scheduling: the problems left in this run shared out over twice the lanes,
 * at most `maxBatch`, at least 1. Batches shrink towards the end of a run (its last problems, or the continue-as-new
 * boundary), so lanes finish close together instead of waiting for one long last batch.
 */
export function nextBatchSize(left: number, lanes: number, maxBatch: number): number {
  return Math.max(1, Math.min(maxBatch, left, Math.ceil(left / (2 * Math.max(1, lanes)))));
}

/** The message of a failure and of each of its causes, outermost first (a child's activity error is three deep). */
export function failureMessage(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 6; e = e.cause) parts.push(e.message);
  return parts.length ? parts.join(': ') : String(err);
}

export class CampaignLoop {
  private cursor: number;
  private done: number;
  private passed: number;
  private errors: number;
  private paused: boolean;
  private readonly running = new Set<number>();
  state: CampaignProgress['state'];

  constructor(private readonly opts: CampaignLoopOptions) {
    this.cursor = opts.carried.cursor ?? 0;
    this.done = opts.carried.done ?? 0;
    this.passed = opts.carried.passed ?? 0;
    this.errors = opts.carried.errors ?? 0;
    this.paused = opts.carried.paused ?? false;
    this.state = this.paused ? 'paused' : 'running';
    setHandler(pauseSignal, () => { this.paused = true; this.state = 'paused'; });
    setHandler(resumeSignal, () => { this.paused = false; this.state = 'running'; });
    setHandler(progressQuery, (): CampaignProgress => ({
      campaignId: opts.campaignId, total: this.total, done: this.done, passed: this.passed, errors: this.errors,
      running: this.running.size, paused: this.paused, state: this.state,
    }));
  }

  /** Whether this is the campaign's first run (not a continuation). */
  get isFirstRun(): boolean {
    return (this.opts.carried.cursor ?? 0) === 0;
  }

  /** What to carry into the next run. */
  carry(): Required<CampaignCursor> {
    return { cursor: this.cursor, done: this.done, passed: this.passed, errors: this.errors, paused: this.paused };
  }

  /**
   * Call before continuing as new. A cancel request that arrives in the workflow task that ends the run (with the
   * run's last result) cancels the root scope when nothing is left to interrupt: the run would continue as new and
   * the next run, which starts uncancelled, would never see it (the cancel was asked by workflow id, of the run that
   * was current then). Here it ends the campaign as a cancel during the run does: `onCancelled`, then the
   * cancellation. (A cancel that arrives while that workflow task is in flight makes the server refuse the
   * continue-as-new and deliver the cancel in a new task, which comes here.)
   */
  async cancelIfRequested(): Promise<void> {
    const cancelled = cancelRequestedBeforeContinue(this.opts.campaignId);
    if (!cancelled) return;
    this.state = 'cancelled';
    await CancellationScope.nonCancellable(() => this.opts.onCancelled());
    throw cancelled;
  }

  /**
   * Run problems until all are done or this run's budget is spent (then `finished` is false: continue as new with
   * `carry()`). A paused campaign starts no new problem; running ones finish.
   */
  async run(): Promise<{ finished: boolean }> {
    const { problemIds, concurrency, budget } = this.opts;
    const total = this.total;
    let startedThisRun = 0;
    try {
      const inFlight = new Set<Promise<void>>();
      while (this.cursor < total && startedThisRun < budget) {
        await condition(() => !this.paused && inFlight.size < concurrency);
        let unit: Promise<void>;
        if (this.opts.batches) {
          const left = Math.min(total - this.cursor, budget - startedThisRun);
          const n = nextBatchSize(left, concurrency, this.opts.batches.maxBatch);
          // Inline ids are taken without an await (the commands of histories recorded before pages stay in order).
          const ids = this.opts.pages ? await this.page(n) : problemIds.slice(this.cursor, this.cursor + n);
          this.cursor += ids.length;
          startedThisRun += ids.length;
          unit = this.runBatch(this.opts.batches, ids);
        } else {
          const problemId = this.opts.pages ? (await this.page(1))[0]! : problemIds[this.cursor]!;
          this.cursor++;
          startedThisRun++;
          unit = this.runOne(problemId);
        }
        const p: Promise<void> = unit.finally(() => inFlight.delete(p));
        // A cancelled child rejects p while the loop may be waiting in condition(); mark it handled here so the
        // rejection does not fail the workflow task (Promise.all below, or the cancelled condition, still sees it).
        p.catch(() => {});
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    } catch (err) {
      if (isCancellation(err)) {
        this.state = 'cancelled';
        await CancellationScope.nonCancellable(() => this.opts.onCancelled());
      }
      throw err;
    }
    return { finished: this.cursor >= total };
  }

  private get total(): number {
    return this.opts.pages?.total ?? this.opts.problemIds.length;
  }

  private window: { start: number; ids: number[] } = { start: 0, ids: [] };

  /** The next `n` ids from the cursor, reading a page from the database when the window ends. */
  private async page(n: number): Promise<number[]> {
    const pages = this.opts.pages!;
    const end = Math.min(this.cursor + n, pages.total);
    if (this.cursor < this.window.start || end > this.window.start + this.window.ids.length) {
      const limit = Math.min(Math.max(n, pages.pageSize ?? PROBLEM_PAGE), pages.total - this.cursor);
      const ids = await pages.fetch(this.cursor, limit);
      if (ids.length !== limit) {
        throw ApplicationFailure.nonRetryable(`campaign ${this.opts.campaignId}: ${ids.length} stored problems at positions ${this.cursor}..${this.cursor + limit - 1}, expected ${limit}`);
      }
      this.window = { start: this.cursor, ids };
    }
    return this.window.ids.slice(this.cursor - this.window.start, end - this.window.start);
  }

  private async runBatch(batches: CampaignBatches, ids: number[]): Promise<void> {
    for (const id of ids) this.running.add(id);
    try {
      const outcome = await batches.run(ids);
      this.passed += outcome.passed;
      this.errors += outcome.errors;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The batch activity records its problems' own failures; a batch that fails as a whole (retries are without
      // limit, so only a non-retryable failure) is recorded as an error for each of its problems.
      this.errors += ids.length;
      for (const id of ids) await this.opts.recordError(id, failureMessage(err));
    } finally {
      for (const id of ids) this.running.delete(id);
      this.done += ids.length;
    }
  }

  private async runOne(problemId: number): Promise<void> {
    this.running.add(problemId);
    try {
      if (await this.opts.runProblem(problemId)) this.passed++;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A problem whose workflow failed (e.g. a non-retryable bad model reply) is recorded as an error; the campaign goes on.
      this.errors++;
      await this.opts.recordError(problemId, failureMessage(err));
    } finally {
      this.running.delete(problemId);
      this.done++;
    }
  }
}
