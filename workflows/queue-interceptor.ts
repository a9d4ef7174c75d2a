// Workflow interceptor module (added to every workflow bundle, workers/worker.ts): a workflow that runs on a
// namespaced default queue (`egcfg-default-<ns>`, zero-config local mode) sends its activities and child workflows to
// the same namespace's queues, so workflow code names plain queues (`taskQueues.inference`) and never needs to know
// which data folder it serves. On a plain queue (external mode, tests) it changes nothing.
import { workflowInfo, type WorkflowInterceptorsFactory, type WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';
import { namespacedQueue, queueNamespaceOf } from './activity-options.ts';

const inNamespace = (queue: string | undefined): string | undefined => {
  if (queue === undefined) return undefined; // the SDK's default: the workflow's own (already namespaced) queue
  return namespacedQueue(queue, queueNamespaceOf(workflowInfo().taskQueue));
};

const outbound: WorkflowOutboundCallsInterceptor = {
  scheduleActivity(input, next) {
    const taskQueue = inNamespace(input.options.taskQueue);
    return next(taskQueue === undefined ? input : { ...input, options: { ...input.options, taskQueue } });
  },
  startChildWorkflowExecution(input, next) {
    const taskQueue = inNamespace(input.options.taskQueue);
    return next(taskQueue === undefined ? input : { ...input, options: { ...input.options, taskQueue } });
  },
  continueAsNew(input, next) {
    const taskQueue = inNamespace(input.options.taskQueue);
    return next(taskQueue === undefined ? input : { ...input, options: { ...input.options, taskQueue } });
  },
};

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [outbound] });
