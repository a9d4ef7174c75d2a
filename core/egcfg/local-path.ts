// The local-model path of EG-CFG (`--egcfg-path local`): what the authors ran for their small local models
// (DeepSeek-Coder-1.3B): greedy decoding straight from the prompt, no reasoning prefix, CFG over the FULL vocabulary
// (not the top-k of an endpoint), γ = 0 plain greedy. The token loop runs inside the local inference service
// (python/local_infer/server.py, POST /v1/egcfg/line), one line per call; this module is the pure part: the start
// state, the line request, and folding a line's tokens into the step machine (core/egcfg/generation.ts).
// PURE and deterministic: safe in Temporal workflows.
//
// Choices (the authors' code decodes with a logits processor inside transformers' generate):
//  - the assistant turn is opened with "```python\n" (LOCAL_PATH_PREFIX) after the prompt's `### Response:`, so that
//    the gate's fence rules see the block the model writes; nothing else is forced (no `def <entry_point>(`).
//  - every γ > 0, γ = 1 included, decodes token by token with full-vocabulary CFG (at γ = 1 the formula is the
//    conditional distribution); the endpoint path's γ = 1 line shortcut and its first-step newline do not apply.
//  - outside the guidance gate the line is decoded greedily and stops as soon as the current line matches
//    `^def <entry_point>\s*\(`, so the first signal is built at the same token as on the endpoint path.
import { applyToken, type GenerationSpec, type GenerationState } from './generation.ts';
import { entryPointDefRegex, isGuidanceActive } from './gate.ts';
import { startGeneration } from './generation.ts';

export const egcfgPaths = ['endpoint', 'local'] as const;
export type EgcfgPath = (typeof egcfgPaths)[number];

/** Opens the code block after `### Response:` (see the file comment). */
export const LOCAL_PATH_PREFIX = '```python\n';

/** A local-path generation before its first token; in chat format the prefix is the response prefix (its open fence). */
export function startLocalGeneration(prefix: string = LOCAL_PATH_PREFIX): GenerationState {
  return startGeneration(prefix, '');
}

/** The body of POST /v1/egcfg/line, less the prompt ids. */
export interface LocalLineRequest {
  gamma: number;
  /** Tokens the call may decode at most: what is left of max_new_tokens. */
  max_tokens: number;
  /** Text of the current (partial) line before the call. */
  line_so_far: string;
  /** Stop after the token that makes the current line match this (Python `re`) pattern; unguided calls only. */
  stop_line_regex?: string;
  top_logprobs: number;
}

/** One decoded token as the service reports it (its audit: the argmax with and without guidance). */
export interface LocalLineToken {
  id: number;
  text: string;
  eos: boolean;
  changed: boolean;
  uncond_argmax: number;
  cond_argmax: number;
  uncond: Array<[number, number]>;
  cond: Array<[number, number]> | null;
}

/** The current line's text: everything after the last newline of prefix + generated. */
export function currentLine(state: GenerationState): string {
  const t = state.prefix + state.generated;
  return t.slice(t.lastIndexOf('\n') + 1);
}

/**
 * The request for the next line. `guided`: the gate is on and the signal is non-empty (the caller then sends the
 * conditional prompt too). Unguided lines outside the gate stop at the entry point's `def` so the gate can open.
 */
export function localLineRequest(spec: GenerationSpec, state: GenerationState, guided: boolean, topLogprobs: number): LocalLineRequest {
  const left = spec.maxNewTokens - state.newTokens;
  if (left < 1) throw new RangeError('localLineRequest: the max_new_tokens budget is spent');
  const active = isGuidanceActive(state.prefix + state.generated, spec.entryPoint);
  return {
    gamma: guided ? spec.gamma : 0, max_tokens: left, line_so_far: currentLine(state), top_logprobs: topLogprobs,
    ...(active ? {} : { stop_line_regex: entryPointDefRegex(spec.entryPoint).source }),
  };
}

/**
 * Folds a line's tokens into the state, in order, as the token-by-token path does (applyToken): budget, EOS, the
 * closing fence. Tokens after the generation ended are not applied (and not returned as kept).
 */
export function applyLocalLine(spec: GenerationSpec, state: GenerationState, tokens: readonly LocalLineToken[], guided: boolean): { state: GenerationState; kept: LocalLineToken[] } {
  let s = state;
  const kept: LocalLineToken[] = [];
  for (const t of tokens) {
    if (s.end !== null) break;
    s = applyToken(spec, s, { text: t.text, eos: t.eos, guided, changed: guided && t.changed });
    kept.push(t);
  }
  return { state: s, kept };
}
