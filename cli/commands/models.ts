// `egcfg models list|info NAME|pull NAME [--verify]` and `egcfg down`: the model catalogue and this data folder's local
// model servers.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OptionsError } from '../../campaigns/options.ts';
import { catalogue, catalogueModel, modelFile } from '../../core/models/catalogue.ts';
import { listLocalServers, stopLocalServers } from '../../core/models/local-server.ts';
import { HF_DTYPES, isPulled, pullHf, pullModel, type HfDtype } from '../../core/models/pull.ts';
import { defaultDataDir } from '../runtime.ts';
import { stopLocalDatabase } from '../../db/local-owner.ts';
import { stopLocalTemporal } from '../temporal-local.ts';
import { downFlags, modelsFlags } from '../spec.ts';

const usage = `usage: egcfg models list [--json]
       egcfg models info NAME [--json]
       egcfg models pull NAME [--verify]     install the model into the cache (idempotent; verifies its sha256)
       egcfg models pull NAME --hf [--dtype float32|bfloat16|float16]
                                             also write it as a Hugging Face folder (for vLLM and the LoRA trainer;
                                             needs the trainer's env: bash infra/trainer-env.sh)
       egcfg models servers [--data-dir DIR]  this data folder's local model servers
       egcfg down [--data-dir DIR]           stop this data folder's local services (model servers, Temporal, database)`;

export async function modelsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { ...modelsFlags, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || sub === '--help' || sub === '-h' || sub === 'help') { console.log(usage); return 0; }
  switch (sub) {
    case 'list': {
      const rows = catalogue().map((m) => ({ name: m.name, title: m.title, licence: m.licence, bytes: m.bytes, prompt_format: m.promptFormat, pulled: isPulled(m) }));
      if (values.json) { console.log(JSON.stringify(rows)); return 0; }
      console.log(['name                           pulled  size MB  format  licence', ...rows.map((r) =>
        `${r.name.padEnd(31)}${(r.pulled ? 'yes' : 'no').padEnd(8)}${String(Math.round(r.bytes / 1e6)).padStart(7)}  ${r.prompt_format.padEnd(6)}  ${r.licence}`)].join('\n'));
      return 0;
    }
    case 'info': {
      const m = catalogueModel(need(positionals[0]));
      const info = { ...m, path: modelFile(m), pulled: isPulled(m) };
      console.log(values.json ? JSON.stringify(info) : JSON.stringify(info, null, 2));
      return 0;
    }
    case 'pull': {
      const m = catalogueModel(need(positionals[0]));
      const dtype = values.dtype ?? 'float32';
      if (!isHfDtype(dtype)) throw new OptionsError([{ field: 'dtype', message: `must be one of ${HF_DTYPES.join(', ')} (got ${JSON.stringify(dtype.slice(0, 40))})` }]);
      if (values.dtype !== undefined && !values.hf) throw new OptionsError([{ field: 'dtype', message: 'only with --hf' }]);
      const r = await pullModel(m, { ...(values.verify ? { verify: true } : {}) });
      const hf = values.hf ? await pullHf(m, { dtype }) : undefined;
      console.log(JSON.stringify(hf ? { ...r, hf_dir: hf.hf_dir, hf_dtype: hf.dtype, parameters: hf.parameters } : r));
      return 0;
    }
    case 'servers': {
      console.log(JSON.stringify(listLocalServers(resolve(values['data-dir'] ?? defaultDataDir()))));
      return 0;
    }
    default:
      console.error(`unknown models command '${sub ?? ''}'\n\n${usage}`);
      return 2;
  }
}

const isHfDtype = (s: string): s is HfDtype => (HF_DTYPES as readonly string[]).includes(s);

function need(name: string | undefined): string {
  if (!name) throw new OptionsError([{ field: 'NAME', message: `a catalogue model name is required; known: ${catalogue().map((m) => m.name).join(', ')}` }]);
  return name;
}

export async function downCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: downFlags });
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  const stopped = await stopLocalServers(dataDir);
  for (const s of stopped) console.error(`[egcfg] stopped llama-server for ${s.name}${s.lora ? ` with LoRA adapter ${s.lora.name}` : ''} (pid ${s.pid}, ${s.url})`);
  if (stopped.length === 0) console.error(`[egcfg] no local model server was running for ${dataDir}`);
  if (stopLocalTemporal(dataDir)) console.error(`[egcfg] stopped this data folder's Temporal dev server`);
  if (stopLocalDatabase(dataDir)) console.error(`[egcfg] stopped this data folder's database server`);
  return 0;
}
