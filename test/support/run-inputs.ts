// The sizes a campaign's runs carry in their histories: each run's input (the first one's start, then each
// continue-as-new) and each page of problem ids an activity returned (an array result: no other campaign activity
// returns one). Walks the chain of runs from the latest back to the first.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
const Payload = z.object({ data: z.union([z.instanceof(Uint8Array), z.array(z.number())]).optional() }).passthrough();

export async function runInputSizes(client: Client, workflowId: string): Promise<{ runs: number; inputs: number[]; pages: number[] }> {
  const inputs: number[] = [];
  const pages: number[] = [];
  let runs = 0;
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    runs++;
    const h: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const started = h.events![0]!.workflowExecutionStartedEventAttributes!;
    inputs.push(...(started.input?.payloads ?? []).map((p) => Payload.parse(p).data?.length ?? 0));
    for (const e of h.events!) {
      const r = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
      const bytes = r ? Buffer.from(Payload.parse(r).data ?? []) : Buffer.alloc(0);
      if (bytes[0] === 0x5b) pages.push(bytes.length); // '['
    }
    runId = started.continuedExecutionRunId ?? undefined;
  }
  return { runs, inputs, pages };
}
