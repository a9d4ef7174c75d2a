// The BTP test stage's orchestration (stage 2 of workflows/btp.ts), shared with bench/btp-test-stage.workflow.ts:
// problems whose beams are sampled are added as they come; `testers` lanes each take every pending problem (up to a
// batch of about BATCH_PROGRAMS candidates) and test them in one btpTestBeamsBatch activity on the sandbox queue. While
// sampling is slower than testing a batch holds one problem (as one activity per problem did); when testing lags
// behind, batches grow, so the platform's cost per candidate (a Temporal activity, the database round trips) shrinks.
import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { activityOptions } from './activity-options.ts';

const sandbox = proxyActivities<Activities>(activityOptions.sandbox);

/** Candidates per test batch (bench/btp-test-stage.bench.ts: about half a second of sandbox time on 2 cores). */
export const BATCH_PROGRAMS = 50;
/** Patch marker of the batched test stage: histories recorded before it replay one btpTestBeams per problem. */
export const BTP_TEST_BATCHES_PATCH = 'btp-test-batches';

export interface TestStageOptions {
  campaignId: string;
  iteration: number;
  /** Candidates per problem (the batch holds about BATCH_PROGRAMS / numBeams problems). */
  numBeams: number;
  /** Test activities in flight at most. */
  testers: number;
  /** Resolves when new batches may start (a paused campaign holds them). */
  gate?: () => Promise<void>;
  /** After each batch: how many problems it tested. */
  onTested?: (problems: number) => void;
}

export class TestStage {
  private readonly pending: number[] = [];
  private closed = false;
  private tested = 0;
  private passed = 0;
  /** Settles when every added problem is tested (after close()), with the candidates tested and passed. */
  readonly done: Promise<{ tested: number; passed: number }>;

  constructor(private readonly opts: TestStageOptions) {
    const lanes = Array.from({ length: Math.max(1, opts.testers) }, () => this.lane());
    this.done = Promise.all(lanes).then(() => ({ tested: this.tested, passed: this.passed }));
  }

  /** A problem whose beams are stored. */
  add(problemId: number): void {
    this.pending.push(problemId);
  }

  /** No more problems will be added. */
  close(): void {
    this.closed = true;
  }

  private async lane(): Promise<void> {
    const perBatch = Math.max(1, Math.floor(BATCH_PROGRAMS / Math.max(1, this.opts.numBeams)));
    for (;;) {
      await condition(() => this.pending.length > 0 || this.closed);
      if (this.pending.length === 0) return;
      await this.opts.gate?.();
      const problemIds = this.pending.splice(0, perBatch);
      if (problemIds.length === 0) continue;
      const t = await sandbox.btpTestBeamsBatch({ campaignId: this.opts.campaignId, iteration: this.opts.iteration, problemIds });
      this.tested += t.tested;
      this.passed += t.passed;
      this.opts.onTested?.(problemIds.length);
    }
  }
}
