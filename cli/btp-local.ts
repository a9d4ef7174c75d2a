// The real models of a BTP campaign named by catalogue names (no --model-url): the target (and a different source) on
// local llama-servers of the data folder, and the target's Hugging Face folder (dequantized from its verified GGUF)
// as the LoRA trainer's base model. Each iteration's adapter is later served by a llama-server of its own
// (activities/btp: btpRegisterAdapter).
import { catalogueModel, type CatalogueModel } from '../core/models/catalogue.ts';
import { localLlamaSpec } from './local-model.ts';
import { pullHf } from '../core/models/pull.ts';
import type { ModelSpec } from '../core/contracts.ts';

const localSpec = (dataDir: string, m: CatalogueModel, role: string): Promise<ModelSpec> => localLlamaSpec(dataDir, m, `BTP ${role}`);

export interface LocalBtpModels { target: ModelSpec; source: ModelSpec; baseModelDir: string | undefined }

/**
 * Target and source from the catalogue (UnknownModelError lists it for a name it lacks); a source given by URL is
 * used as is. The HF folder is made only when no --base-model-dir was given.
 */
export async function localBtpModels(dataDir: string, names: { target: string; source: string; sourceUrl?: string | undefined; baseModelDir?: string | undefined }): Promise<LocalBtpModels> {
  const t = catalogueModel(names.target);
  const target = await localSpec(dataDir, t, 'target');
  let source = target;
  if (names.sourceUrl) source = { kind: 'openai', baseUrl: names.sourceUrl, model: names.source, simulated: false };
  else if (names.source !== names.target) source = await localSpec(dataDir, catalogueModel(names.source), 'source');
  let baseModelDir = names.baseModelDir;
  if (!baseModelDir) {
    const hf = await pullHf(t);
    console.error(`[egcfg] BTP trainer base model: ${hf.hf_dir} (${hf.parameters.toLocaleString('en-US')} parameters, ${hf.dtype}, from GGUF sha256 ${hf.sha256.slice(0, 12)}…)`);
    baseModelDir = hf.hf_dir;
  }
  return { target, source, baseModelDir };
}
