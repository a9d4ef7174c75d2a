// A PEFT LoRA adapter (the trainer's adapter/ folder) as a GGUF LoRA file that llama-server loads with --lora: the
// converter from the same llama.cpp source as the server (convert_lora_to_gguf.py, run in the trainer's venv), which
// reads the base model's Hugging Face folder for the tensor layout. Idempotent: the file is reused while it is newer
// than the adapter's weights; written to a temporary name and renamed, so a killed conversion leaves nothing half-made.
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { llamaCppSource } from '../tools.ts';
import { trainerEnvStatus, trainerSpawnEnv } from '../trainer-env.ts';
import { runLogged } from './pull.ts';

type Log = (line: string) => void;

export const ADAPTER_GGUF = 'adapter.gguf';

/** The converter script, or an error that says how to get it. */
export function loraConverter(): string {
  const script = join(llamaCppSource(), 'convert_lora_to_gguf.py');
  if (!existsSync(script)) {
    throw new Error(`llama.cpp's convert_lora_to_gguf.py is not at ${script}: run bash infra/llama-server.sh (it keeps the source), or set EGCFG_LLAMA_CPP_SOURCE`);
  }
  return script;
}

/** <adapterDir>/adapter.gguf from <adapterDir>/adapter_model.safetensors (f32: the adapters are small). */
export async function loraToGguf(adapterDir: string, baseHfDir: string, log: Log = (l) => console.error(l)): Promise<string> {
  const weights = join(adapterDir, 'adapter_model.safetensors');
  if (!existsSync(weights)) throw new Error(`no PEFT adapter in ${adapterDir} (adapter_model.safetensors is missing)`);
  if (!existsSync(join(baseHfDir, 'config.json'))) throw new Error(`the base model folder ${baseHfDir} has no config.json (a Hugging Face folder is needed)`);
  const out = join(adapterDir, ADAPTER_GGUF);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(weights).mtimeMs) return out;
  const env = trainerEnvStatus();
  if (!env.installed) throw new Error(`converting a LoRA adapter needs the trainer's Python environment: ${env.reason}`);
  const tmp = `${out}.tmp-${process.pid}`;
  const quiet: Log = (l) => { if (!/byte\/s\]|it\/s\]/.test(l)) log(l); };
  try {
    await runLogged(env.python, [loraConverter(), '--base', baseHfDir, '--outfile', tmp, '--outtype', 'f32', adapterDir], undefined, quiet,
      `converting the LoRA adapter ${adapterDir} to GGUF`, trainerSpawnEnv());
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}
