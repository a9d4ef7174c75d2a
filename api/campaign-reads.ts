// A campaign as GET /campaigns/{id} and the dashboard show it: its row, pass@1 so far, pins, links and progress.
// What only the workflow knows (problems in flight, paused, finishing) comes from its progress query; the counts
// come from the database, which is authoritative and cheap. Queries run on the workers' workflow task slots, so
// under load they are slow: one query per campaign at a time, its answer reused for LIVE_TTL_MS; a read waits at
// most STALE_WAIT_MS for a fresh answer when a previous one can stand in, QUERY_WAIT_MS for a first one.
import type { Context } from 'hono';
import { campaignPins } from '../campaigns/pins.ts';
import { campaignPassAt1, campaignProgress, getCampaign, type DatasetPassAt1 } from '../campaigns/service.ts';
import type { CampaignProgress, ModelSpec } from '../core/contracts.ts';
import type { ApiDeps } from './app-options.ts';
import { latestIterationCounts } from './btp-views.ts';
import { jsonable, type Progress } from './campaign-schemas.ts';

const LIVE_TTL_MS = 1000;
const QUERY_WAIT_MS = 1500;
const STALE_WAIT_MS = 250;

type CampaignRow = Awaited<ReturnType<typeof getCampaign>>;

export type CampaignReads = ReturnType<typeof campaignReads>;

export function campaignReads(deps: ApiDeps) {
  const { db, ctx, log, opts, namespace } = deps;

  const links = (id: string, workflowId: string | null): Record<string, string> => ({
    self: `/campaigns/${id}`, events: `/campaigns/${id}/events`, results: `/campaigns/${id}/results`, dashboard: `/ui/campaigns/${id}`,
    ...(opts.temporalUiUrl && workflowId
      ? { temporal: `${opts.temporalUiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` }
      : {}),
  });

  const live = new Map<string, { at: number; value: CampaignProgress | null; inflight: Promise<void> | null }>();
  async function liveProgress(id: string): Promise<CampaignProgress | null> {
    let entry = live.get(id);
    if (!entry) { entry = { at: 0, value: null, inflight: null }; live.set(id, entry); }
    const e = entry;
    if (Date.now() - e.at > LIVE_TTL_MS && !e.inflight) {
      e.inflight = campaignProgress(ctx, id)
        .then((v) => { e.value = v; })
        .catch((err) => { log(`[api] progress query of ${id} failed: ${(err as Error).message}`); })
        .finally(() => { e.at = Date.now(); e.inflight = null; });
    }
    if (e.inflight) {
      // Wait for the answer on its way, briefly when a previous one can stand in.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([e.inflight, new Promise<void>((r) => { timer = setTimeout(r, e.value === null ? QUERY_WAIT_MS : STALE_WAIT_MS); })]);
      clearTimeout(timer);
    }
    return e.value;
  }

  async function progressOf(campaign: CampaignRow, passAt1: DatasetPassAt1[]): Promise<Progress> {
    const mine = passAt1.filter((r) => r.protocol === 'default');
    // A BTP campaign's problems are scored by each iteration's evaluation campaign: its counts are the latest one's.
    const latest = campaign.method === 'btp' ? await latestIterationCounts(db, campaign.id) : null;
    const counts = latest ? { total: campaign.problemsTotal, ...latest } : {
      total: campaign.problemsTotal, done: mine.reduce((s, r) => s + r.problems, 0),
      passed: mine.reduce((s, r) => s + r.passed, 0), errors: mine.reduce((s, r) => s + r.errors, 0),
    };
    if (campaign.status === 'running' || campaign.status === 'created') {
      const p = await liveProgress(campaign.id);
      if (p) return { ...counts, running: p.running, paused: p.paused, state: p.state, source: 'workflow' };
    } else {
      live.delete(campaign.id);
    }
    const state = (['created', 'running', 'completed', 'cancelled', 'failed'] as const).find((s) => s === campaign.status) ?? 'running';
    return { ...counts, running: 0, paused: false, state, source: 'database' };
  }

  return {
    links,
    /** After a signal, the next read asks the workflow again. */
    invalidate: (id: string) => { const e = live.get(id); if (e) e.at = 0; },
    async detail(id: string) {
      // Independent reads run side by side: a request costs one database round trip after authentication.
      const [campaign, passAt1] = await Promise.all([getCampaign(db, id), campaignPassAt1(db, id)]);
      const [progress, pins] = await Promise.all([progressOf(campaign, passAt1), campaignPins(db, id, campaign.datasetFiles)]);
      return { campaign: jsonable(campaign), progress, passAt1, pins, links: links(id, campaign.workflowId) };
    },
    /** The 201 answer of POST /campaigns and POST /evaluate. */
    created: (c: Context, r: { campaignId: string; workflowId: string; problems: number }, model: ModelSpec) =>
      c.json({
        campaignId: r.campaignId, workflowId: r.workflowId, problems: r.problems, model: model.model,
        simulated: model.kind === 'openai' && model.simulated, links: links(r.campaignId, r.workflowId),
      }, 201, { location: `/campaigns/${r.campaignId}` }),
  };
}
