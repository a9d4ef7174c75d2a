// Starting (or attaching to) the experiment workflow from the CLI, printing each campaign as the workflow prepares
// it, and waiting for its result. The workflow id is derived from the output folder: after a crash, the same command
// with the same --output-dir attaches to the experiment that is still running instead of starting a second one.
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ExperimentInput, ExperimentResult } from '../core/experiment-contracts.ts';
import { taskQueues } from '../workflows/activity-options.ts';
import { btpExperiment, experimentProgressQuery, experimentWorkflowId } from '../workflows/experiment.ts';

const POLL_MS = 1000;

export async function runExperimentWorkflow(client: Client, input: ExperimentInput, log: (line: string) => void = (l) => console.error(l)): Promise<ExperimentResult> {
  const key = createHash('sha256').update(input.meta.outputDir).digest('hex').slice(0, 12);
  const workflowId = experimentWorkflowId(input.meta.name, key);
  let handle: WorkflowHandle<typeof btpExperiment>;
  try {
    handle = await client.workflow.start(btpExperiment, { workflowId, taskQueue: taskQueues.default, args: [input] });
    log(`[egcfg] Experiment workflow ${workflowId}: ${input.entries.length} campaigns`);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    handle = client.workflow.getHandle<typeof btpExperiment>(workflowId);
    log(`[egcfg] Experiment workflow ${workflowId} is already running (same --output-dir): attached to it`);
  }
  const printed = new Set<string>();
  const report = async (): Promise<void> => {
    const p = await handle.query(experimentProgressQuery).catch(() => undefined);
    p?.campaignIds.forEach((id, i) => {
      if (id === null || printed.has(id)) return;
      printed.add(id);
      const entry = input.entries[i];
      log(`[egcfg]   ${id}: ${entry ? entry.variants.map((x) => `${x.step}/${x.group}=${x.label}`).join(', ') : ''}`);
    });
  };
  const timer = setInterval(() => { void report(); }, POLL_MS);
  try {
    return await handle.result();
  } finally {
    clearInterval(timer);
  }
}
