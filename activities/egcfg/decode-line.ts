// Decoding up to the next line boundary (spec §1.3): token by token with CFG on the top-k of the two prompts
// (γ ∉ {0, 1}, token-step.ts), or one greedy line call on the conditional prompt (γ = 1, line-step.ts). Inference
// queue; heartbeats per token.
import { performance } from 'node:perf_hooks';
import { currentCode, lineGuidanceAllowed, nextAction, type StepContext } from '../../core/egcfg/index.ts';
import type { LineCapRecord, StepTokens } from '../../core/stored/egcfg-step.ts';
import { heartbeat } from '../heartbeat.ts';
import { gamma1LineStep } from './line-step.ts';
import { fixedIdsOf } from './prompt-ids.ts';
import { promptsConfigOf } from './prompts.ts';
import { isLocalPath, localPathSteps } from './local-path.ts';
import { meterColumns, type StepRef, type StepResult, type StepStore } from './step-store.ts';
import { cfgTokenStep } from './token-step.ts';

export function decodeActivities(st: StepStore) {
  const { loadGeneration, existingStep, latestState, stepContext, lineTokensSpent, advance, writeStep, modelFor } = st;
  const local = localPathSteps(st);
  return {
    /**
     * Decode up to the next line boundary (or the end): token by token with CFG on the top-k of the two prompts
     * (γ ∉ {0, 1}), or one greedy line call on the conditional prompt (γ = 1). Heartbeats after every token.
     * Inference queue.
     */
    async egcfgDecodeLine(ref: StepRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, cfg, spec } = await loadGeneration(ref.generationId);
      if (isLocalPath(cfg)) return local.decodeLine(ref);
      const start = await latestState(ref.generationId, ref.seq);
      const model = modelFor(gen, cfg, gen.problemId);
      const codeBefore = currentCode(start.gen);
      let s = start.gen;
      const ids = [...start.ids];
      const tokens: NonNullable<StepTokens> = [];
      let guidedTokens = 0;
      let changedTokens = 0;
      let appended = '';
      const fixedIds = fixedIdsOf(model, { basePrompt: gen.basePrompt, chat: promptsConfigOf(cfg).chat }, s, promptsConfigOf(cfg).condBase);
      const noRefresh: StepContext = { elapsedMs: 0, solvedElsewhere: false };
      let overflow: string | null = null;
      // Wall-clock time spent waiting for the model server (the two CFG calls of a token run concurrently).
      let waitMs = 0;
      const timed = async <T>(p: Promise<T>): Promise<T> => {
        const w0 = performance.now();
        try { return await p; } finally { waitMs += performance.now() - w0; }
      };
      // --line-token-cap: the line's spend so far (its signal and candidates, then this step's calls) decides whether
      // the next token may still be guided; from the first that may not, the rest of the line is decoded unguided.
      const caps = cfg.costCaps;
      const spentBefore = caps?.lineTokens !== undefined ? await lineTokensSpent(ref.generationId, ref.lineIndex) : 0;
      let lineCap: LineCapRecord | null = null;
      const capped = <A extends { guided: boolean }>(a: A): A => {
        if (!a.guided || lineGuidanceAllowed(caps, spentBefore + model.meter.promptTokens + model.meter.completionTokens)) return a;
        lineCap ??= { cap: caps?.lineTokens ?? 0, spentBefore, unguidedFrom: tokens.length };
        return { ...a, guided: false };
      };
      for (;;) {
        const next = nextAction(spec, s, noRefresh);
        const a = next.kind === 'next_token' || next.kind === 'next_line' ? capped(next) : next;
        if (a.kind === 'next_token') {
          const tok = await cfgTokenStep({ model, timed, fixedIds, ids, overflow }, spec, s, a, cfg.topLogprobs);
          s = tok.state;
          overflow = tok.overflow;
          if (!tok.eos) { ids.push(tok.tokenId); appended += tok.text; }
          if (tok.guided) guidedTokens++;
          if (tok.changed) changedTokens++;
          tokens.push(tok.row);
          heartbeat({ seq: ref.seq, tokens: tokens.length });
          if (tok.text.includes('\n') || s.end !== null) break;
        } else if (a.kind === 'next_line') {
          const line = await gamma1LineStep({ model, timed, fixedIds, ids, overflow }, spec, s, a);
          s = line.state;
          overflow = line.overflow;
          ids.push(...line.appendedIds);
          appended += line.added;
          if (line.guided) guidedTokens++;
          tokens.push(line.row);
          heartbeat({ seq: ref.seq, lines: 1 });
          break;
        } else {
          break;
        }
      }
      const { state, result } = advance(spec, { gen: s, ids }, await stepContext(gen, spec, model.meter));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'line', lineIndex: ref.lineIndex, codeBefore, appended,
        state: state, tokens,
        summary: {
          seq: ref.seq, ...result, tokens: tokens.length, guided: guidedTokens, changed: changedTokens,
          ...(overflow !== null ? { contextOverflow: overflow } : {}), ...(lineCap !== null ? { lineCap } : {}),
        },
        tokenCount: tokens.length, guidedTokens, changedTokens, ...meterColumns(model.meter), modelMs: waitMs, durationMs: performance.now() - t0,
      });
    },
  };
}
