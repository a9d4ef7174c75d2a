// The dynamic signal of one refresh (spec §2): traced runs of the accepted candidates on the visible-test
// invocations (sandbox), rendered as the signal, then applySignal. Sandbox queue.
import { performance } from 'node:perf_hooks';
import { promptsConfigOf, signalTextsOf } from './prompts.ts';
import { and, asc, eq } from 'drizzle-orm';
import { pgJson } from '../../core/pg-text.ts';
import { applySignal, currentCode, renderSignal, type SignalEntry } from '../../core/egcfg/index.ts';
import { contestProgram, contestSuite, extractCode, visibleInvocations, type Problem } from '../../core/datasets/index.ts';
import { egcfgCandidates, egcfgTraces } from '../../db/schema/index.ts';
import type { ActivityDeps } from '../deps.ts';
import type { TestResult, TestStatus } from '../sandbox/index.ts';
import { heartbeat } from '../heartbeat.ts';
import { stdinInvocation, withStdout } from '../../core/egcfg/stdin-signal.ts';
import { meterColumns, sha256, type AgentConfigStored, type StepRef, type StepResult, type StepStore, type StoredState } from './step-store.ts';
import { fixedIdsOf } from './prompt-ids.ts';
import { fitSignalToContext } from './signal-context.ts';
import { CANDIDATE_MAX_TOKENS, GAMMA1_LINE_MAX_TOKENS } from '../../core/egcfg/constants.ts';

/** The largest max_tokens a conditional request of this agent asks for: a candidate request, or a γ = 1 line. */
export const condRequestTokens = (cfg: AgentConfigStored): number =>
  Math.max(Math.min(cfg.candidateMaxTokens ?? CANDIDATE_MAX_TOKENS, CANDIDATE_MAX_TOKENS), GAMMA1_LINE_MAX_TOKENS);

/** Runs that were cut off leave a partial trace that would mislead the model: the spec (§2.2) leaves them out. */
const UNTRACEABLE: readonly TestStatus[] = ['timeout', 'killed', 'memory_limit'];

/** The program a candidate or a final answer runs as: HumanEval code gets the prompt's imports/helpers in front. */
export function runnableProgram(code: string, problem: Problem): string {
  if (problem.io) return contestProgram(code);
  return problem.promptCode === undefined ? code : extractCode(`\`\`\`python\n${code}\n\`\`\``, problem);
}

/** What a traced candidate is run on: the visible-test invocations; for stdin/stdout problems the visible tests'
 *  inputs (the whole program runs, traced, reading that input on stdin), shown in the signal as the authors do:
 *  `solve()`, the stdin and the expected stdout (core/egcfg/stdin-signal.ts). */
export function traceCalls(problem: Problem): Array<{ invocation: string; code: string; stdin?: string }> {
  if (!problem.io) return visibleInvocations(problem).map((invocation) => ({ invocation, code: invocation }));
  return contestSuite(problem, 'visible').map((t) => ({ invocation: stdinInvocation(t), code: '', stdin: t.input }));
}

/** The trace a run contributes to the signal: none for runs cut off (spec §2.2); a stdin program's with its stdout. */
export function signalTrace(t: TestResult, stdinProgram: boolean): string | null {
  if (t.trace === undefined || t.trace.trim() === '' || UNTRACEABLE.includes(t.status)) return null;
  return stdinProgram ? withStdout(t.trace, t.stdout, t.stdoutTruncated) : t.trace;
}

/** The signal step of a refresh. */
export function signalActivities(deps: ActivityDeps, st: StepStore) {
  const { db, loadGeneration, existingStep, latestState, stepContext, advance, writeStep, modelFor } = st;
  return {
    /** Traced runs of the accepted candidates on the visible-test invocations, the signal, and applySignal. Sandbox queue. */
    async egcfgBuildSignal(ref: StepRef): Promise<StepResult> {
      const done = await existingStep(ref);
      if (done) return done;
      const t0 = performance.now();
      const { gen, problem, cfg, spec } = await loadGeneration(ref.generationId);
      const state = await latestState(ref.generationId, ref.seq);
      const accepted = await db.select({ executable: egcfgCandidates.executable }).from(egcfgCandidates).where(and(
        eq(egcfgCandidates.generationId, ref.generationId), eq(egcfgCandidates.lineIndex, ref.lineIndex),
        eq(egcfgCandidates.side, 'uncond'), eq(egcfgCandidates.accepted, true),
      )).orderBy(asc(egcfgCandidates.requestIndex), asc(egcfgCandidates.candidateIndex));
      const programs = accepted.map((a) => a.executable!);
      const calls = traceCalls(problem);
      const invocations = calls.map((c) => c.invocation);
      const callOf = new Map(calls.map((c) => [c.invocation, c]));
      const cached = await db.select().from(egcfgTraces).where(eq(egcfgTraces.generationId, ref.generationId));
      const traceOf = new Map(cached.map((t) => [`${t.programHash}\u0000${t.invocation}`, t.trace]));
      const sandbox = await deps.sandbox();
      let sandboxMs = 0;
      let runs = 0;
      await Promise.all(programs.map(async (program) => {
        const hash = sha256(program);
        const pending = invocations.filter((inv) => !traceOf.has(`${hash}\u0000${inv}`));
        if (pending.length === 0) return;
        const r = await sandbox.run({
          program: runnableProgram(program, problem), mode: 'trace', timeoutMs: cfg.traceTimeoutMs, traceMaxChars: cfg.traceMaxChars,
          ...(promptsConfigOf(cfg).traceFormat === 'authors' ? { traceFormat: 'authors' as const } : {}),
          tests: pending.map((inv, i) => {
            const c = callOf.get(inv)!;
            return { id: `inv/${i}`, code: c.code, ...(c.stdin !== undefined ? { stdin: c.stdin } : {}) };
          }),
        });
        runs += pending.length;
        sandboxMs += r.tests.reduce((s, t) => s + t.durationMs, 0);
        // A timeout or a killed run gives no trace (spec §2.2); an exception's trace is kept (it is informative).
        const rows = pgJson(r.tests.map((t, i) => ({
          generationId: ref.generationId, programHash: hash, invocation: pending[i]!, lineIndex: ref.lineIndex, program,
          status: t.status, trace: signalTrace(t, problem.io !== undefined), traceTruncated: t.traceTruncated ?? false, durationMs: t.durationMs,
        })));
        await db.insert(egcfgTraces).values(rows).onConflictDoNothing();
        for (const row of rows) traceOf.set(`${hash}\u0000${row.invocation}`, row.trace);
        heartbeat({ traced: runs });
      }));
      const entries: SignalEntry[] = [];
      for (const program of programs) {
        for (const invocation of invocations) {
          const trace = traceOf.get(`${sha256(program)}\u0000${invocation}`);
          if (typeof trace === 'string') entries.push({ candidate: program, invocation, trace });
        }
      }
      const prompts = promptsConfigOf(cfg);
      const texts = signalTextsOf(prompts.prompts);
      const model = modelFor(gen, cfg, gen.problemId);
      const withSignal = (sig: string) => applySignal(spec, state.gen, { signal: sig, uniqueExecutables: programs });
      const { signal, fit } = await fitSignalToContext({
        model, entries, render: (es) => renderSignal(es, texts), requestTokens: condRequestTokens(cfg),
        condTokens: async (sig) => (await fixedIdsOf(model, { basePrompt: gen.basePrompt, chat: prompts.chat }, withSignal(sig), prompts.condBase)('cond')).length + state.ids.length,
      });
      const applied: StoredState = { ...state, gen: withSignal(signal) };
      const { state: next, result } = advance(spec, applied, await stepContext(gen, spec, model.meter));
      return writeStep({
        generationId: ref.generationId, seq: ref.seq, kind: 'signal', lineIndex: ref.lineIndex, codeBefore: currentCode(state.gen),
        signal, state: next,
        summary: { seq: ref.seq, ...result, candidates: programs.length, entries: entries.length, signalChars: signal.length, ...(fit ? { signalFit: fit } : {}) },
        sandboxRuns: runs, sandboxMs, ...meterColumns(model.meter), durationMs: performance.now() - t0,
      });
    },
  };
}
