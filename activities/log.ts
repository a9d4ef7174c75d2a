// Structured logs (pino, one JSON object per line on stderr): every line an activity writes carries the campaign,
// problem and workflow ids (workflowId, runId, activity type and attempt come from Temporal's activity Context).
// Secrets never reach a line: fields named like credentials are redacted, and the values of the secret environment
// variables (EGCFG_MODEL_API_KEY, TEMPORAL_API_KEY, the database password) are replaced wherever they appear.
// Env: EGCFG_LOG_LEVEL (default: 'info' in `egcfg worker`, 'warn' elsewhere, so the CLI's own output stays readable;
// 'silent' for none).
import { Context } from '@temporalio/activity';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

const SECRET_ENV = ['EGCFG_MODEL_API_KEY', 'TEMPORAL_API_KEY', 'OPENAI_API_KEY', 'EGCFG_API_TOKEN'];

/** The secret values this process knows of (min. 6 characters, so that scrubbing cannot mangle ordinary words). */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = SECRET_ENV.map((k) => env[k]).filter((v): v is string => typeof v === 'string' && v.length >= 6);
  for (const k of ['DATABASE_URL', 'EGCFG_TEST_PG_URL']) {
    const pw = env[k]?.match(/\/\/[^:/@]+:([^@]+)@/)?.[1];
    if (pw && pw.length >= 6) values.push(decodeURIComponent(pw));
  }
  return values;
}

/** Replace every known secret value in a string. */
export function scrubSecrets(text: string, secrets: string[] = secretValues()): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[secret]');
  return out;
}

let root: Logger | undefined;
let defaultLevel = 'warn';

/** The level used when EGCFG_LOG_LEVEL is not set (call before the first log line; `egcfg worker` sets 'info'). */
export function setDefaultLogLevel(level: string): void {
  defaultLevel = level;
  if (root && !process.env.EGCFG_LOG_LEVEL) root.level = level;
}

/** The process-wide logger (created on first use, to stderr). */
export function rootLogger(): Logger {
  if (!root) {
    const secrets = secretValues();
    root = pino({
      level: process.env.EGCFG_LOG_LEVEL ?? defaultLevel,
      base: { service: 'egcfg', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'],
        censor: '[redacted]',
      },
      hooks: { streamWrite: (line) => (secrets.length ? scrubSecrets(line, secrets) : line) },
    }, pino.destination({ fd: 2, sync: true }));
  }
  return root;
}

/** The ids that tie a line to a campaign and to Temporal: those of the running activity, if any. */
export function activityIds(): Record<string, unknown> {
  try {
    const info = Context.current().info;
    return {
      ...idsFromWorkflowId(info.workflowExecution?.workflowId ?? ''),
      workflowId: info.workflowExecution?.workflowId, workflowRunId: info.workflowExecution?.runId,
      workflowType: info.workflowType, activity: info.activityType, activityId: info.activityId, attempt: info.attempt,
      taskQueue: info.taskQueue,
    };
  } catch {
    return {}; // not inside an activity (a plain loop in a bench, a library call)
  }
}

/** Campaign and problem ids from a workflow id (`campaign-<id>` and `campaign-<id>-problem-<problemId>`). */
export function idsFromWorkflowId(workflowId: string): { campaignId?: string; problemId?: number } {
  const problem = /^campaign-(.+)-problem-(\d+)$/.exec(workflowId);
  if (problem) return { campaignId: problem[1]!, problemId: Number(problem[2]) };
  const campaign = /^campaign-(.+)$/.exec(workflowId);
  return campaign ? { campaignId: campaign[1]! } : {};
}

/** A child logger for one activity call: campaign and problem ids plus the workflow ids of the Context. */
export function activityLogger(ids: { campaignId?: string; problemId?: number; sampleId?: number } = {}): Logger {
  return rootLogger().child({ ...activityIds(), ...ids });
}
