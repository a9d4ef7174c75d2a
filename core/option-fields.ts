// The field schemas a campaign option (campaigns/options/*.ts: flag, help, default) and a workflow input
// (core/contracts.ts, z.infer) share: the choices and bounds of each, written once. Zod only, no help texts, no
// defaults (those belong to the option), no imports from campaigns/ or activities/. Workflows import these types only.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------- every method
export const promptTypeField = z.enum(['deepseek_instruct', 'long_code']);
export const promptFormatField = z.enum(['chat', 'raw']);
/** The model server's dialect (--model-backend). */
export const dialectField = z.enum(['vllm', 'llamacpp', 'openai']);
export const temperatureField = z.number().min(0).max(2);
export const topPField = z.number().gt(0).max(1);
export const maxTokensField = z.number().int().positive().max(32768);
export const seedField = z.number().int().nonnegative();
export const samplesPerProblemField = z.number().int().min(1).max(1000);

// ---------------------------------------------------------------------------------------------- EG-CFG
export const gammasField = z.array(z.number().min(0, 'gamma must be >= 0').max(100, 'gamma must be <= 100'))
  .min(1, 'at least one gamma').max(64, 'at most 64 gammas');
/** Completion horizon d in lines; null = unbounded. */
export const horizonField = z.number().int().nonnegative().max(1000).nullable();
export const protocolField = z.enum(['strict', 'paper']);
export const candidateTokensField = z.enum(['paper', 'horizon']);
export const fenceInstructionField = z.enum(['auto', 'on', 'off']);
export const traceFormatField = z.enum(['authors', 'python']);
export const forcedNameField = z.enum(['reference', 'entry-point']);
export const condPromptField = z.enum(['clean', 'authors-quirk']);
/** EG-CFG's procedure on a server (core/egcfg/local-path.ts). */
export const egcfgPathField = z.enum(['endpoint', 'local']);

// ---------------------------------------------------------------------------------------------- BTP
export const possibilityField = z.enum(['mean', 'sum']);
export const samplingKindField = z.enum(['power', 'rank']);
export const evictionField = z.enum(['lowest-p2value', 'oldest']);
export const trainPromptField = z.enum(['compact', 'eval']);
export const trainerDeviceField = z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "trainer device must be 'auto', 'cpu', 'cuda' or 'cuda:N'");
