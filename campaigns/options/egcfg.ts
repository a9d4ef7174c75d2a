// Options of EG-CFG (method 'eg-cfg'). Without `grid`, one agent is built from temperature (t; 0 means the paper
// grid's lowest value 0.7, since s unique candidates need sampling), numCandidates (s), horizon (d) and promptType.
import { z } from 'zod';
import { MAX_PATH_CHARS, text } from './common.ts';
import { candidateTokensField, condPromptField, egcfgPathField, fenceInstructionField, forcedNameField, gammasField, horizonField, protocolField, traceFormatField } from '../../core/option-fields.ts';
import { opt } from './field.ts';

/** An inline EG-CFG grid (shaped like data/egcfg/*.json; validated by core/egcfg/grid.ts when the campaign starts). */
export const inlineGridSchema = z.record(z.string().max(200), z.unknown())
  .refine((g) => JSON.stringify(g).length <= 64 * 1024, 'an inline grid must be at most 64 KiB of JSON')
  .refine((g) => !JSON.stringify(g).includes('\\u0000'), 'grid must not contain NUL bytes');

export const egcfgFields = {
  grid: opt(z.union([text('grid', MAX_PATH_CHARS), inlineGridSchema]).optional(),
    "a grid file shaped like the authors' dynamic_signals_params.json (data/egcfg/*.json), or such a grid inline", { value: 'FILE', parse: 'path', form: true }),
  gammas: opt(gammasField.default([0, 0.5, 1, 3]),
    'CFG strengths tried per agent, in order', { flag: 'gamma', value: 'G,G,...', parse: 'list', form: true }),
  numCandidates: opt(z.number().int().positive().max(64).default(3), 'candidates s sampled per line', { value: 'S', form: true }),
  horizon: opt(horizonField.default(2), 'completion horizon d in lines (inf: unbounded)', { value: 'D|inf', parse: 'horizon', form: true }),
  maxAgents: opt(z.number().int().positive().max(1000).default(4), 'agents of one problem running at once', { form: true }),
  topLogprobs: opt(z.number().int().positive().max(20).default(5), 'top-k logprobs per one-token CFG call (vLLM caps it with --max-logprobs, default 20)', { value: 'K', form: true }),
  maxNewTokens: opt(z.number().int().positive().max(16384).default(512), 'tokens generated per program at most', { form: true }),
  retries: opt(z.number().int().positive().max(10).default(1), 'attempts per gamma > 0 (retries_count; gamma 0 gets one)', { form: true }),
  earlyStop: opt(z.boolean().default(true), 'stop a problem at its first passing program (--no-early-stop: run every agent)', { flag: 'no-early-stop', parse: 'negate', form: true }),
  generationTimeoutMin: opt(z.number().positive().max(24 * 60).default(40), 'wall-clock cap of one generation in minutes (checked at signal refreshes)', { value: 'MIN' }),
  reasoningMaxTokens: opt(z.number().int().positive().max(32768).default(2048), 'max_tokens of the reasoning-prefix call and of the gamma 0 completion'),
  reasoningTries: opt(z.number().int().min(1).max(10).optional(),
    'reasoning tries per gamma at most (the reasoning prefix, and the gamma 0 completion; default and the authors: 10)', { value: 'N' }),
  reasoningTokens: opt(z.number().int().positive().max(10 * 32768).optional(),
    'completion tokens of all reasoning tries of one gamma at most (default: tries x --reasoning-max-tokens)', { value: 'N' }),
  lineTokenCap: opt(z.number().int().positive().max(1e9).optional(),
    'model tokens (prompt + completion) one line may spend on guidance: candidates, samples, CFG calls; past it the rest of the line is decoded unguided (default: no cap, as the authors)', { value: 'N' }),
  problemTokenCap: opt(z.number().int().positive().max(1e12).optional(),
    "model tokens all generations of one problem may spend; past it they end with stop reason 'cost_cap', checked after every step (default: no cap, as the authors)", { value: 'N' }),
  traceMaxChars: opt(z.number().int().positive().max(64 * 1024 * 1024).default(100_000), 'cap of one rendered trace in the signal, characters'),
  protocol: opt(protocolField.default('strict'),
    "the scoring protocol that drives the search: 'strict' stops at the first program passing the visible tests; 'paper' at the first passing the evaluation tests (as the authors)", { value: 'P' }),
  candidateTokens: opt(candidateTokensField.default('paper'),
    "max_tokens of each candidate request: 'paper' (512) or 'horizon' ((d + 1) x 64, at most 512)", { value: 'C' }),
  authorsPrompts: opt(text('authors prompts', MAX_PATH_CHARS).optional(),
    "a checkout of the authors' repository (github.com/boazlavon/eg_cfg): its prompt texts (eg_cfg/consts.py, data/deepseek_mbpp_prompts/) are used verbatim instead of ours", { value: 'DIR', parse: 'path' }),
  fenceInstruction: opt(fenceInstructionField.default('auto'),
    "the instruction to put all code in ```python fences, final answer last: 'auto' for the models the authors wrote it for (DeepSeek-V3, Qwen3-235B), 'on', 'off'", { value: 'F' }),
  traceFormat: opt(traceFormatField.default('authors'),
    "how trace values are written: 'authors' as their tracer (JSON round trip: tuples as lists, int dict keys as strings, other objects as their repr in quotes) or 'python' (repr)", { value: 'F' }),
  forcedName: opt(forcedNameField.default('reference'),
    "the function forced after the reasoning prefix: 'reference' = the first def of the reference solution (MBPP, as the authors), 'entry-point' = the tested function", { value: 'N' }),
  condPrompt: opt(condPromptField.default('clean'),
    "the conditional prompt of a model with the fence instruction: 'clean' (the sent prompt with the signal), 'authors-quirk' (as their code: the prompt without the instruction, with the signal, then the sent prompt's tokens from that prompt's length on)", { value: 'C' }),
  egcfgPath: opt(egcfgPathField.optional(),
    "EG-CFG's procedure: 'endpoint' (top-k logprobs over HTTP, reasoning prefix) or 'local' (the authors' small-model path: greedy from the prompt, full-vocabulary CFG, gamma 0 plain greedy, on the local inference service); default: local when a local inference service serves the model, else endpoint", { value: 'P' }),
  baselineCampaign: opt(text('baseline campaign', 200).optional(), 'a baseline campaign of the same model and dataset: RSR is computed against its pass@1', { value: 'ID', form: true }),
  stepTimeoutMin: opt(z.number().min(0.02).max(24 * 60).optional(),
    'StartToClose of one model step of a generation (the reasoning tries of a gamma, a line, a candidate request), minutes; a step past it is retried and resumes from its checkpoint (default 15)', { value: 'MIN' }),
  heartbeatTimeoutMs: opt(z.number().int().min(1000).max(600_000).optional(), "heartbeat timeout of the generation activities (how soon a killed worker's step is retried), ms", { cli: false }),
};
