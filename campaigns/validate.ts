// Everything that can be wrong with a campaign's options, checked before anything is started or written: the API
// calls this first, so that a rejected request starts no model server and writes no row (issue 13).
import { loadDataset } from '../core/datasets/index.ts';
import { btpParams, btpSelection } from './btp.ts';
import { egcfgAgents } from './egcfg.ts';
import { checkSelectionOptions, OptionsError, type RunOptions } from './options.ts';
import { selectProblems } from '../core/datasets/select.ts';

export async function validateCampaign(opts: RunOptions): Promise<void> {
  if (opts.method === 'btp') {
    btpParams(opts); // baseModelDir
    if (!opts.workDir) throw new OptionsError([{ field: 'workDir', message: 'method btp needs a folder for training sets and adapters' }]);
    await btpSelection(opts);
    return;
  }
  const all = await loadDataset(opts.dataset, { ...(opts.datasetFile ? { file: opts.datasetFile } : {}), ...(opts.split ? { split: opts.split } : {}) });
  checkSelectionOptions(opts);
  const selected = selectProblems(all, opts);
  if (selected.length === 0) throw new OptionsError([{ field: 'split', message: `dataset ${opts.dataset} has no problems in the selected split` }]);
  if (opts.method === 'eg-cfg') {
    egcfgAgents(opts);
    if (new Set(opts.gammas).size !== opts.gammas.length) throw new OptionsError([{ field: 'gammas', message: 'duplicate gamma values' }]);
  }
}
