// The reasoning tries of one γ (reasoning prefix, γ = 0), checkpointed (issue 11 item 8): after every try the tries so
// far are the activity's heartbeat details, so an attempt that hits StartToClose (or a killed worker) resumes at its
// next try, not at try 0 — Temporal hands the last heartbeat's details to the retry. A budget per γ caps the tries and
// their completion tokens (core/egcfg/reasoning-budget.ts); what was used, and which cap stopped it, is recorded.
import { z } from 'zod';
import { reasoningRequest } from '../../core/egcfg/index.ts';
import { defaultReasoningBudget, nextReasoningTry, type ReasoningBudget } from '../../core/egcfg/reasoning-budget.ts';
import { callSeed } from '../../core/egcfg/seed.ts';
import { heartbeat } from '../heartbeat.ts';
import type { EgcfgModel } from './model.ts';
import { CHAT_STOPS } from '../../core/prompts/chat.ts';
import { chatLead } from './prompts.ts';
import { activityContext, type AgentConfigStored, type GenerationRow } from './step-store.ts';

const TrySchema = z.object({
  temperature: z.number(), seed: z.number().int(), text: z.string(), accepted: z.boolean(),
  completionTokens: z.number().int().nonnegative().default(0),
});
export type ReasoningTry = z.infer<typeof TrySchema>;
const CheckpointSchema = z.looseObject({ generationId: z.number().int(), seq: z.number().int(), reasoningTries: z.array(TrySchema) });

/** The tries a previous attempt of this step checkpointed (its last heartbeat's details), or none. */
export function checkpointedTries(details: unknown, ref: { generationId: number; seq: number }): ReasoningTry[] {
  const d = CheckpointSchema.safeParse(Array.isArray(details) ? details[0] : details);
  if (!d.success || d.data.generationId !== ref.generationId || d.data.seq !== ref.seq) return [];
  return d.data.reasoningTries;
}

export interface ReasoningRun {
  tries: ReasoningTry[];
  /** Tries taken over from a previous attempt's checkpoint. */
  resumed: number;
  /** `problem_cap`: the problem's --problem-token-cap left no tokens for another try. */
  budget: ReasoningBudget & { usedTokens: number; exhausted: 'tries' | 'tokens' | 'problem_cap' | null };
}

/**
 * Tries until one is accepted or the budget is spent: temperature t·0.9^(r(r+1)/2) on try r (reasoningRequest).
 * In chat format the prompt ends with the response prefix (its open ```python fence), a try stops at the closing
 * fence (CHAT_STOPS, as the baseline's chat calls), and `accept` sees the prefix + the try's text (a try's stored
 * `text` is what the model wrote).
 */
export async function reasoningTries(
  model: EgcfgModel, gen: GenerationRow, cfg: AgentConfigStored, ref: { generationId: number; seq: number }, accept: (text: string) => boolean,
  problemLeft = Infinity,
): Promise<ReasoningRun> {
  const budget: ReasoningBudget = cfg.reasoningBudget ?? defaultReasoningBudget(cfg.reasoningMaxTokens);
  const tries = checkpointedTries(activityContext()?.info.heartbeatDetails, ref);
  const resumed = tries.length;
  const used = () => tries.reduce((a, t) => a + t.completionTokens, 0);
  let exhausted: ReasoningRun['budget']['exhausted'] = null;
  const lead = chatLead(cfg);
  for (let attempt = tries.length; tries.at(-1)?.accepted !== true; attempt++) {
    const req = reasoningRequest(cfg.t, attempt);
    const next = nextReasoningTry(budget, attempt, used(), Math.min(req?.maxTokens ?? 0, cfg.reasoningMaxTokens));
    if (req === null || 'exhausted' in next) { exhausted = 'exhausted' in next ? next.exhausted : 'tries'; break; }
    // The problem's cap counts every model token (prompt too) of this step's tries against what was left at its start.
    if (model.meter.promptTokens + model.meter.completionTokens >= problemLeft) { exhausted = 'problem_cap'; break; }
    // Its own seed per (γ, try): with the agent's seed on every call, γ = 0 and the reasoning calls of the other γ
    // were one and the same request (issue 11 item 4). Recorded with the try.
    const seed = callSeed(gen.seed, ['reasoning', gen.gamma, attempt]);
    const reply = await model.completions({
      prompt: gen.basePrompt + lead, temperature: req.temperature, top_p: req.topP, max_tokens: next.maxTokens, stop: lead === '' ? req.stop : [...CHAT_STOPS], seed,
    });
    const text = reply.choices[0]?.text ?? '';
    tries.push({ temperature: req.temperature, seed, text, accepted: accept(lead + text), completionTokens: reply.usage?.completion_tokens ?? 0 });
    heartbeat({ generationId: ref.generationId, seq: ref.seq, reasoningTries: tries });
  }
  return { tries, resumed, budget: { ...budget, usedTokens: used(), exhausted } };
}
