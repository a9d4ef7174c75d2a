// A campaign's pinned problems (one role: 'eval' or 'train') read by position a page at a time, for workflows whose
// lanes take problems one by one (the BTP cycle's beam sampling: workflows/btp-problems.ts). A page is one activity
// (activities/problem-pages.ts); the window holds one page. Lanes claim positions in order, so the window only moves
// forward; a lane whose position is past the window waits for the one page read in flight (never two at once), and the
// window is replaced only when that read completes, after every lane that claimed a position in the old window took it.
import { ApplicationFailure } from '@temporalio/workflow';

export interface ProblemPagerOptions {
  campaignId: string;
  role: 'eval' | 'train';
  total: number;
  pageSize: number;
  /** The ids at positions [offset, offset + limit), in order (an activity). */
  fetch(offset: number, limit: number): Promise<number[]>;
}

export class ProblemPager {
  private window: { start: number; ids: number[] } = { start: 0, ids: [] };
  private loading: Promise<void> | null = null;

  constructor(private readonly opts: ProblemPagerOptions) {}

  get total(): number {
    return this.opts.total;
  }

  /** The id at `position` (0 ≤ position < total). */
  async at(position: number): Promise<number> {
    while (!this.holds(position)) {
      this.loading ??= this.load(position).finally(() => { this.loading = null; });
      await this.loading;
    }
    return this.window.ids[position - this.window.start]!;
  }

  private holds(position: number): boolean {
    return position >= this.window.start && position < this.window.start + this.window.ids.length;
  }

  private async load(offset: number): Promise<void> {
    const { campaignId, role, total, pageSize } = this.opts;
    if (offset >= total) throw ApplicationFailure.nonRetryable(`campaign ${campaignId}: position ${offset} past its ${total} ${role} problems`);
    const limit = Math.min(pageSize, total - offset);
    const ids = await this.opts.fetch(offset, limit);
    if (ids.length !== limit) {
      throw ApplicationFailure.nonRetryable(`campaign ${campaignId}: ${ids.length} stored ${role} problems at positions ${offset}..${offset + limit - 1}, expected ${limit}`);
    }
    this.window = { start: offset, ids };
  }
}
