// Which EG-CFG procedure a campaign runs (`--egcfg-path endpoint|local`, core/egcfg/local-path.ts), decided once when
// it starts and recorded in its model spec (the generations read it there) and its options: the flag when given,
// else 'local' when the model's server is a local inference service (python/local_infer/), else 'endpoint'.
import type { ModelSpec } from '../core/contracts.ts';
import type { EgcfgPath } from '../core/egcfg/local-path.ts';
import { isLocalInferUrl } from '../core/models/local-infer.ts';
import { OptionsError } from './options.ts';

/** The model spec with its EG-CFG path set; refuses 'local' on a server that is not a local inference service. */
export async function withEgcfgPath(requested: EgcfgPath | undefined, model: ModelSpec): Promise<ModelSpec & { egcfgPath?: EgcfgPath }> {
  if (model.kind !== 'openai') return model;
  if (model.egcfgPath !== undefined && (requested === undefined || requested === model.egcfgPath)) return model;
  const local = !model.simulated && await isLocalInferUrl(model.baseUrl);
  if (requested === 'local' && !local) {
    throw new OptionsError([{ field: 'egcfgPath', message: `--egcfg-path local needs the local inference service (python/local_infer/): ${model.simulated ? 'the simulated server' : model.baseUrl} is not one (a catalogue model without --model-url starts it)` }]);
  }
  return { ...model, egcfgPath: requested ?? (local ? 'local' : 'endpoint') };
}
