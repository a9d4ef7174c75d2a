// (7) Serve the adapter under its own name. vLLM: POST /v1/load_lora_adapter (idempotent). llama.cpp (a catalogue
// model on a local server): the PEFT adapter converted to GGUF and served by a llama-server of its own, started with
// --lora; its URL is returned and used for the iteration's evaluation (and the next iteration's beams).
import { ApplicationFailure } from '@temporalio/common';
import type { ModelSpec } from '../../core/contracts.ts';
import { apiKeyFor } from '../../core/model-servers.ts';
import { findCatalogueModel } from '../../core/models/catalogue.ts';
import { ensureLocalServer } from '../../core/models/local-server.ts';
import { loraToGguf } from '../../core/models/lora-gguf.ts';
import type { ActivityDeps } from '../deps.ts';
import { heartbeat } from '../heartbeat.ts';
import { ModelClient, ModelServerError } from '../model/openai-client.ts';
import { appendEvent, openaiSpec } from './shared.ts';
import type { RegisterAdapterInput } from './types.ts';

/** llama.cpp loads adapters only at start: the adapter as GGUF on a llama-server of its own (reused when alive). */
async function serveLlamaAdapter(deps: ActivityDeps, input: RegisterAdapterInput, spec: Extract<ModelSpec, { kind: 'openai' }>): Promise<{ alreadyLoaded: boolean; baseUrl: string }> {
  const m = findCatalogueModel(spec.model);
  if (!m || !deps.localDataDir) {
    throw ApplicationFailure.nonRetryable(`adapter ${input.adapterName}: llama.cpp loads LoRA adapters only when it starts, so BTP on llama.cpp `
      + `needs a catalogue model served locally (egcfg run --model-name NAME without --model-url); for an external server use vLLM (--enable-lora)`, 'AdapterLoadError');
  }
  if (!input.baseModelDir) throw ApplicationFailure.nonRetryable(`adapter ${input.adapterName}: the base model's Hugging Face folder is unknown`, 'AdapterLoadError');
  const log = (l: string) => { heartbeat({ adapter: input.adapterName }); console.error(l); };
  let file: string;
  try {
    file = await loraToGguf(input.adapterPath, input.baseModelDir, log);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`converting adapter ${input.adapterName}: ${(err as Error).message}`, 'AdapterLoadError');
  }
  const asked = Date.now();
  const server = await ensureLocalServer(deps.localDataDir, m, { lora: { name: input.adapterName, file }, log });
  const reused = Date.parse(server.startedAt) < asked;
  await appendEvent(deps.db, input.campaignId, `btp:adapter:${input.iteration}`, 'btp_adapter_registered', {
    iteration: input.iteration, adapter: input.adapterName, path: input.adapterPath, gguf: file, server: server.url, engine: 'llama.cpp', pid: server.pid, alreadyLoaded: reused,
  });
  return { alreadyLoaded: reused, baseUrl: server.url };
}

export async function registerAdapter(deps: ActivityDeps, input: RegisterAdapterInput): Promise<{ alreadyLoaded: boolean; baseUrl?: string }> {
  const spec = openaiSpec(input.model, 'adapter registration');
  if (spec.dialect === 'llamacpp') return serveLlamaAdapter(deps, input, spec);
  const apiKey = apiKeyFor(spec.baseUrl); // only the key bound to this server (core/model-servers.ts)
  const client = new ModelClient({ baseUrl: spec.baseUrl, ...(apiKey ? { apiKey } : {}) });
  try {
    const r = await client.loadLoraAdapter(input.adapterName, input.adapterPath);
    await appendEvent(deps.db, input.campaignId, `btp:adapter:${input.iteration}`, 'btp_adapter_registered', {
      iteration: input.iteration, adapter: input.adapterName, path: input.adapterPath, server: spec.baseUrl, alreadyLoaded: r.alreadyLoaded,
    });
    return { alreadyLoaded: r.alreadyLoaded };
  } catch (err) {
    if (err instanceof ModelServerError && !err.retryable) throw ApplicationFailure.nonRetryable(`loading adapter ${input.adapterName}: ${err.message}`, 'AdapterLoadError');
    throw err;
  } finally {
    client.close();
  }
}
