// Runs the simulated model server as its own process.
//   npx tsx activities/model/simulated-server-main.ts --port 8011 --knowledge-file knowledge.json [--skill 0.6]
//     [--signal-skill 0.8] [--adapter-skill 0.6] [--latency-ms 0] [--model simulated-model] [--host 127.0.0.1]
// The knowledge file is a JSON array of { keys: string[], solution: string, broken?: string[], id?: string }.
// Prints one JSON line {"url": ..., "model": ..., "simulated": true} once it listens; SIGINT/SIGTERM stop it.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { KnowledgeSchema, startSimulatedModelServer } from './simulated-server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'knowledge-file': { type: 'string' },
    skill: { type: 'string' },
    'signal-skill': { type: 'string' },
    'adapter-skill': { type: 'string' },
    'latency-ms': { type: 'string' },
    model: { type: 'string' },
  },
  strict: true,
});

const num = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number within [${min}, ${max}], got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};

let knowledge: z.infer<typeof KnowledgeSchema> = [];
const file = values['knowledge-file'];
if (file) {
  let json: unknown;
  try { json = JSON.parse(await readFile(file, 'utf8')); } catch (e) {
    console.error(`cannot read knowledge file ${file}: ${(e as Error).message}`);
    process.exit(2);
  }
  const r = KnowledgeSchema.safeParse(json);
  if (!r.success) {
    console.error(`knowledge file ${file} is invalid: ${r.error.issues.slice(0, 5).map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  knowledge = r.data;
}

const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : { [k]: v } as Record<K, V>);
const server = await startSimulatedModelServer({
  port: num('port', values.port, 0, 65535) ?? 0,
  host: values.host ?? '127.0.0.1',
  knowledge,
  ...opt('skill', num('skill', values.skill, 0, 1)),
  ...opt('signalSkill', num('signal-skill', values['signal-skill'], 0, 1)),
  ...opt('adapterSkill', num('adapter-skill', values['adapter-skill'], 0, 1)),
  ...opt('latencyMs', num('latency-ms', values['latency-ms'], 0, 600_000)),
  ...opt('modelName', values.model),
});
console.log(JSON.stringify({ url: server.url, model: server.modelName, problems: knowledge.length, simulated: true }));
const stop = () => { void server.close().then(() => process.exit(0)); };
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
