// A catalogue model on a local llama-server of the data folder (started or reused), announced with its URL, file and
// checksum (what a user checks, and what the real-model tier asserts), as the ModelSpec campaigns use.
import type { ModelSpec } from '../core/contracts.ts';
import type { CatalogueModel } from '../core/models/catalogue.ts';
import { ensureLocalServer } from '../core/models/local-server.ts';

export async function localLlamaSpec(dataDir: string, m: CatalogueModel, label: string, suffix = ''): Promise<ModelSpec> {
  const server = await ensureLocalServer(dataDir, m);
  console.error(`[egcfg] ${label}: ${m.title} on llama.cpp's llama-server at ${server.url} (pid ${server.pid}); file ${server.file}, sha256 ${server.sha256}${suffix}`);
  return { kind: 'openai', baseUrl: server.url, model: m.name, simulated: false, dialect: 'llamacpp' };
}
