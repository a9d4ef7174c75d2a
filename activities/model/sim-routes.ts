// The simulated server's endpoints (activities/model/simulated-server.ts): method and path → the answer's status and
// its JSON or text body; an HttpError for what vLLM refuses.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DetokenizeRequestSchema, LoadLoraRequestSchema, TokenizeRequestSchema, UnloadLoraRequestSchema } from './protocol.ts';
import { HttpError, parse, type SimEngine } from './sim-engine.ts';
import { chat, completions } from './sim-replies.ts';

export interface RouteAnswer { status: number; json?: unknown; text?: string }

function models(e: SimEngine): RouteAnswer {
  const { modelName, advertisedLen } = e;
  return {
    status: 200,
    json: {
      object: 'list', simulated: true,
      data: [
        { id: modelName, object: 'model', created: 0, owned_by: 'simulated', root: modelName, parent: null, max_model_len: advertisedLen },
        ...[...e.adapters].map(([id, path]) => ({ id, object: 'model', created: 0, owned_by: 'simulated', root: path, parent: modelName, max_model_len: null })),
      ],
    },
  };
}

/** POST /v1/load_lora_adapter, as vLLM answers it (checkLoraPath: a path without adapter_config.json is a 404). */
function loadLora(e: SimEngine, body: unknown, checkLoraPath: boolean): RouteAnswer {
  const r = parse(LoadLoraRequestSchema, body);
  if (r.lora_name === e.modelName) throw new HttpError(400, `The lora adapter '${r.lora_name}' is the base model's name.`);
  if (e.adapters.has(r.lora_name) && !r.load_inplace) {
    throw new HttpError(400, `The lora adapter '${r.lora_name}' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.`);
  }
  if (checkLoraPath && !existsSync(join(r.lora_path, 'adapter_config.json'))) {
    throw new HttpError(404, `Loading lora ${r.lora_name} failed: No adapter found for ${r.lora_path}`);
  }
  e.adapters.set(r.lora_name, r.lora_path);
  return { status: 200, text: `Success: LoRA adapter '${r.lora_name}' added successfully.` };
}

export function route(e: SimEngine, opts: { checkLoraPath: boolean }, method: string, path: string, body: unknown): RouteAnswer {
  const want = (m: string) => { if (method !== m) throw new HttpError(405, `Method ${method} not allowed on ${path}`, 'MethodNotAllowed'); };
  switch (path) {
    case '/health': want('GET'); return { status: 200, text: '' };
    case '/v1/models': want('GET'); return models(e);
    case '/v1/completions': want('POST'); return { status: 200, json: completions(e, body) };
    case '/v1/chat/completions': want('POST'); return { status: 200, json: chat(e, body) };
    case '/tokenize': {
      want('POST');
      const r = parse(TokenizeRequestSchema, body);
      e.checkModel(r.model);
      const tokens = e.tok.encode(r.prompt);
      return { status: 200, json: { count: tokens.length, max_model_len: e.advertisedLen, tokens, simulated: true } };
    }
    case '/detokenize': {
      want('POST');
      const r = parse(DetokenizeRequestSchema, body);
      e.checkModel(r.model);
      try { return { status: 200, json: { prompt: e.tok.decode(r.tokens), simulated: true } }; } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
    }
    case '/v1/load_lora_adapter': want('POST'); return loadLora(e, body, opts.checkLoraPath);
    case '/v1/unload_lora_adapter': {
      want('POST');
      const r = parse(UnloadLoraRequestSchema, body);
      if (!e.adapters.delete(r.lora_name)) throw new HttpError(404, `The lora adapter '${r.lora_name}' cannot be found.`);
      return { status: 200, text: `Success: LoRA adapter '${r.lora_name}' removed successfully.` };
    }
    default: throw new HttpError(404, 'Not Found');
  }
}
