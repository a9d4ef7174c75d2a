// Ending the workflows a test left running (its own campaigns, or those a fuzzer started), before the workers stop:
// their activities are then cancelled by Temporal instead of being cut off mid-call by the shutdown, and no workflow
// task is retried against a stopping worker.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';

const ROUNDS = 5;

/** Terminates every running workflow of the namespace; returns how many. Listing is eventually consistent, so it
 *  lists again until a round finds none (at most a few rounds). */
export async function quiesceWorkflows(client: Client, reason = 'test teardown'): Promise<number> {
  let total = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const ids: Array<{ workflowId: string; runId: string }> = [];
    for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) ids.push({ workflowId: wf.workflowId, runId: wf.runId });
    if (ids.length === 0) return total;
    await Promise.all(ids.map(async ({ workflowId, runId }) => {
      try {
        await client.workflow.getHandle(workflowId, runId).terminate(reason);
      } catch (err) {
        // Finished (or terminated with its parent) meanwhile: nothing to end.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }));
    total += ids.length;
  }
  return total;
}
