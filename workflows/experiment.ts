// `egcfg experiment` as one durable workflow: each campaign of the study is prepared by an activity (its rows
// written, under an id this workflow chooses) and then runs as this workflow's child — the ordinary baseline or BTP
// campaign workflow, paused, resumed, cancelled and audited like any other. When every child is done, an activity
// writes the tables and plots. A crashed CLI loses nothing: the workflow waits for a worker, and the same
// `egcfg experiment … --output-dir DIR` command attaches to it again.
import { defineQuery, proxyActivities, setHandler, startChild, uuid4 } from '@temporalio/workflow';
import type { BtpCycleSummary, CampaignSummary } from '../core/contracts.ts';
import type {
  CampaignLaunch, ExperimentActivities, ExperimentEntry, ExperimentInput, ExperimentOutcome, ExperimentResult,
} from '../core/experiment-contracts.ts';
import { activityOptions, taskQueues } from './activity-options.ts';
import { btpCycle } from './btp.ts';
import { baselineCampaign } from './campaign.ts';
import { egcfgCampaign } from './egcfg.ts';

const acts = proxyActivities<ExperimentActivities>({ ...activityOptions.default, startToCloseTimeout: '10m' });

export interface ExperimentProgress {
  campaigns: number;
  done: number;
  /** The campaigns prepared so far (ids in the order of the plan's entries; null: not yet prepared). */
  campaignIds: (string | null)[];
}
export const experimentProgressQuery = defineQuery<ExperimentProgress>('experimentProgress');

/** A campaign id as campaigns/context.ts makes them (time-sortable), from workflow time and a workflow uuid. */
function campaignIdNow(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${uuid4().replace(/-/g, '').slice(0, 6)}`;
}

async function runChild(launch: CampaignLaunch): Promise<CampaignSummary | BtpCycleSummary> {
  const opts = { workflowId: launch.workflowId, taskQueue: taskQueues.default };
  switch (launch.workflow) {
    case 'baselineCampaign': return (await startChild(baselineCampaign, { ...opts, args: [launch.input] })).result();
    case 'egcfgCampaign': return (await startChild(egcfgCampaign, { ...opts, args: [launch.input] })).result();
    case 'btpCycle': return (await startChild(btpCycle, { ...opts, args: [launch.input] })).result();
  }
}

const labelOf = (entry: ExperimentEntry, name: string) => ({
  name,
  step: entry.variants.map((x) => x.step).filter((x, i, a) => a.indexOf(x) === i).join('+'),
  variant: entry.variants.map((x) => `${x.group}=${x.label}`).join('; '),
});

export async function btpExperiment(input: ExperimentInput): Promise<ExperimentResult> {
  const started = Date.now();
  const ids: (string | null)[] = input.entries.map(() => null);
  let done = 0;
  setHandler(experimentProgressQuery, () => ({ campaigns: input.entries.length, done, campaignIds: [...ids] }));
  // Ids are drawn in plan order before anything runs, so a replay draws the same ones.
  const chosen = input.entries.map(() => campaignIdNow());
  const outcomes = await Promise.all(input.entries.map(async (entry, i): Promise<ExperimentOutcome[]> => {
    const launch = await acts.prepareExperimentCampaign({ campaignId: chosen[i]!, experiment: labelOf(entry, input.meta.name), entry });
    ids[i] = launch.input.campaignId;
    const summary = await runChild(launch);
    done++;
    return entry.variants.map((variant) => ({ variant, campaignId: launch.input.campaignId, summary }));
  }));
  const flat = outcomes.flat();
  const seconds = (Date.now() - started) / 1000;
  const files = await acts.writeExperimentReport({ meta: input.meta, outcomes: flat, seconds });
  return {
    name: input.meta.name, campaigns: input.entries.length, seconds, files,
    outcomes: flat.map((o) => ({ step: o.variant.step, group: o.variant.group, label: o.variant.label, campaignId: o.campaignId, passAt1: o.summary.passAt1 })),
  };
}

/** The experiment's workflow id: one per output folder, so the same command attaches to a running experiment. */
export const experimentWorkflowId = (name: string, outputKey: string): string => `experiment-${name}-${outputKey}`;
