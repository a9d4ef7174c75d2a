// Ending the workflows a test left running (its own campaigns, or those a fuzzer started), before the workers stop:
// their activities are then cancelled by Temporal instead of being cut off mid-call by the shutdown, and no workflow
// task is retried against a stopping worker.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { sleep } from './wait.ts';

const ROUNDS = 5;
/** Terminations in flight at once: a dev server under load answered hundreds sent together with errors; 4 at a time
 *  took 64 s for the 687 a fuzz run left (a loaded machine). */
const PARALLEL = 16;

const ATTEMPTS = 3;

async function end(handle: WorkflowHandle, reason: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await handle.terminate(reason);
      return;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      // A child ended with its parent meanwhile (its close policy), or finished: only one still running is a failure.
      const now = await handle.describe().catch(() => null);
      if (now && now.status.name !== 'RUNNING') return;
      if (attempt < ATTEMPTS) { await sleep(200 * attempt); continue; }
      const cause = (err as Error).cause instanceof Error ? ` (${((err as Error).cause as Error).message})` : '';
      throw new Error(`terminating ${handle.workflowId}: ${(err as Error).message}${cause}`, { cause: err });
    }
  }
}

/** Terminates every running workflow of the namespace; returns how many. Listing is eventually consistent, so it
 *  lists again until a round finds none (at most a few rounds). */
export async function quiesceWorkflows(client: Client, reason = 'test teardown'): Promise<number> {
  let total = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const handles: WorkflowHandle[] = [];
    for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) handles.push(client.workflow.getHandle(wf.workflowId, wf.runId));
    if (handles.length === 0) return total;
    const queue = [...handles];
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      for (let h = queue.shift(); h; h = queue.shift()) await end(h, reason);
    }));
    total += handles.length;
  }
  return total;
}
