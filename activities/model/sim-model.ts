// The simulated model's behaviour, as pure functions (the HTTP layer is ./simulated-server.ts).
//
// THIS SIMULATES NOTHING ABOUT REAL MODEL QUALITY. It exists so that workflows, activities, the CFG merge and the
// audit trail can be exercised end to end, deterministically, without a GPU. Its "skill" is a number you set.
//
// Behaviour:
// - A problem is recognised when all of a knowledge entry's `keys` occur in the instruction part of the prompt
//   (the text before the last "### Response:"). When several entries match (few-shot examples are in the prompt too),
//   the one whose keys occur last wins.
// - Each problem has variants: the `solution` and the `broken` ones (when none are given, up to two mutants of the
//   solution are made by flipping one operator/number/boolean; the mutants are NOT checked to fail).
//   An unknown problem has one variant: a plausible-but-wrong `def <name>(*args): return None`.
// - The model's answer is a DeepSeek-style block "```python\n<code>\n```" followed by the end-of-text token.
// - Which variant: a pseudo-random draw u = hash(model, instruction, seed, temperature, sample index) picks the
//   solution when u < skill, else one of the broken variants. At temperature 0 the sample index is left out, so the
//   answer is fully determined by the prompt. This draw is the model's "belief".
// - Token level (EG-CFG): when the prompt already holds part of the answer after "### Response:", the model continues
//   the variants consistent with that text. Its top-k logprobs give the believed variant's next token ~0.8 and the
//   other variants' tokens less, so where a broken belief diverges from the solution the wrong token ranks first.
//   When the instruction holds an execution-trace block ("### Runtime Behavior"), the solution's token gets ~0.62
//   and the believed broken token ~0.25: execution guidance visibly flips the argmax (CFG with γ ≥ 1 follows the
//   solution; γ = 0.5 still follows the belief). Text that matches no variant is continued as a token-for-token
//   substitution of the closest variant.
import { z } from 'zod';
import { EOS_ID, SimTokenizer } from './sim-tokenizer.ts';

export const RESPONSE_MARKER = '### Response:';
export const SIGNAL_MARKER = '### Runtime Behavior';
const OPEN = '```python\n';
const CLOSE = '\n```';

export const KnowledgeEntrySchema = z.object({
  id: z.string().optional(),
  keys: z.array(z.string().min(1, 'a key must not be empty')).min(1, 'keys must hold at least one string'),
  solution: z.string().min(1, 'solution must not be empty'),
  broken: z.array(z.string().min(1)).default([]),
});
export const KnowledgeSchema = z.array(KnowledgeEntrySchema);
export type KnowledgeEntry = z.input<typeof KnowledgeEntrySchema>;
export type SimulatedKnowledge = KnowledgeEntry[];

export interface SimModelConfig {
  /** Probability that a sample's believed variant is the solution. */
  skill: number;
  /** The same when the prompt holds an execution-trace block. */
  signalSkill: number;
}

export interface Variant { code: string; correct: boolean; label: string }
export interface Problem { index: number; id: string; variants: Variant[] }

// ---------------------------------------------------------------------------------------------- hashing

/** cyrb53: a fast 53-bit string hash. */
export function hash53(s: string): number {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
/** A deterministic draw in [0, 1). */
export function draw(...parts: Array<string | number | undefined>): number {
  return hash53(parts.map((p) => (p === undefined ? '\u0001' : String(p))).join('\u0000')) / 2 ** 53;
}

// ---------------------------------------------------------------------------------------------- knowledge

function normalizeCode(code: string): string {
  return code.replace(/\r\n/g, '\n').replace(/\s+$/, '');
}

function genericWrong(name: string): string {
  return `def ${name}(*args):\n    return None`;
}

/** Up to two single-token mutants of a solution (operators, numbers, booleans, min/max, and/or). */
export function mutants(solution: string): string[] {
  const swaps: Record<string, string> = {
    '<': '>', '>': '<', '+': '-', '-': '+', True: 'False', False: 'True', and: 'or', or: 'and', min: 'max', max: 'min',
  };
  const cands: Array<{ at: number; from: string; to: string }> = [];
  let lineStart = 0;
  let skipLine = false;
  for (let i = 0; i < solution.length;) {
    if (i === lineStart) skipLine = /^\s*(def |import |from |class |@|#)/.test(solution.slice(i, solution.indexOf('\n', i) >>> 0));
    const m = /[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\n|[\s\S]/y;
    m.lastIndex = i;
    const p = m.exec(solution)![0];
    if (p === '\n') lineStart = i + 1;
    else if (!skipLine) {
      const prev = solution[i - 1] ?? '';
      const next = solution[i + p.length] ?? '';
      if (/^[0-9]+$/.test(p) && !/[A-Za-z_.]/.test(prev) && next !== '.') cands.push({ at: i, from: p, to: String(Number(p) + 1) });
      else if (Object.hasOwn(swaps, p)) {
        // Leave alone what a flip would make unparsable or meaningless: '->', '<<', '>>', '**', unary minus before a digit
        // run is fine ('-1' → '+1').
        const bad = (p === '>' && prev === '-') || (p === '-' && next === '>') || (p === '<' && (next === '<' || prev === '<'))
          || (p === '>' && (next === '>' || prev === '>'));
        if (!bad) cands.push({ at: i, from: p, to: swaps[p]! });
      }
    }
    i += p.length;
  }
  const picked = cands
    .map((c) => ({ c, h: draw('mutant', solution, c.at) }))
    .sort((a, b) => a.h - b.h)
    .slice(0, 2)
    .map(({ c }) => solution.slice(0, c.at) + c.to + solution.slice(c.at + c.from.length));
  if (picked.length > 0) return picked;
  const lines = solution.split('\n');
  const defAt = lines.findIndex((l) => /^\s*def\s.*:\s*$/.test(l));
  if (defAt < 0) return [genericWrong('solution')];
  const indent = (/^\s*/.exec(lines[defAt]!)?.[0] ?? '') + '    ';
  return [[...lines.slice(0, defAt + 1), `${indent}return None`].join('\n')];
}

export function buildProblems(knowledge: SimulatedKnowledge): Problem[] {
  return knowledge.map((raw, index) => {
    const e = KnowledgeEntrySchema.parse(raw);
    const solution = normalizeCode(e.solution);
    const given = e.broken.map(normalizeCode).filter((b) => b !== solution);
    const broken = given.length > 0 ? given : mutants(solution);
    return {
      index,
      id: e.id ?? `knowledge#${index}`,
      variants: [
        { code: solution, correct: true, label: 'solution' },
        ...broken.map((code, i) => ({ code, correct: false, label: `${given.length > 0 ? 'broken' : 'mutant'}#${i}` })),
      ],
    };
  });
}

/** All texts the tokenizer's vocabulary is built from. */
export function knowledgeTexts(problems: Problem[], knowledge: SimulatedKnowledge): string[] {
  const out = [OPEN, CLOSE, genericWrong('solution')];
  for (const p of problems) for (const v of p.variants) out.push(v.code);
  for (const k of knowledge) out.push(...k.keys);
  return out;
}

// ---------------------------------------------------------------------------------------------- prompt view

export interface PromptView {
  /** The instruction without any execution-trace block (what the model's belief depends on). */
  instruction: string;
  hasSignal: boolean;
  /** The answer written so far (text after the last "### Response:", leading whitespace removed). */
  answer: string;
}

export function viewPrompt(text: string): PromptView {
  const at = text.lastIndexOf(RESPONSE_MARKER);
  const head = at >= 0 ? text.slice(0, at) : text;
  const answer = at >= 0 ? text.slice(at + RESPONSE_MARKER.length).replace(/^\s+/, '') : '';
  const sig = head.indexOf(SIGNAL_MARKER);
  return { instruction: (sig >= 0 ? head.slice(0, sig) : head).trimEnd(), hasSignal: sig >= 0, answer };
}

export function findProblem(problems: Problem[], knowledge: SimulatedKnowledge, instruction: string): Problem | undefined {
  let best: Problem | undefined;
  let bestScore = -1;
  for (const p of problems) {
    let score = Infinity;
    for (const key of knowledge[p.index]!.keys) {
      const at = instruction.lastIndexOf(key);
      if (at < 0) { score = -1; break; }
      score = Math.min(score, at);
    }
    if (score > bestScore) { best = p; bestScore = score; }
  }
  return best;
}

export function unknownProblem(instruction: string): Problem {
  const calls = [...instruction.matchAll(/assert\s+(?:not\s+)?\(?\s*([A-Za-z_]\w*)\s*\(/g)];
  const defs = [...instruction.matchAll(/def\s+([A-Za-z_]\w*)\s*\(/g)];
  const name = calls.at(-1)?.[1] ?? defs.at(-1)?.[1] ?? 'solution';
  return { index: -1, id: 'unknown', variants: [{ code: genericWrong(name), correct: false, label: 'generic' }] };
}

// ---------------------------------------------------------------------------------------------- planning

/** A variant that is consistent with the answer so far, and the text it would still write. v = -1: off-script tail. */
export interface Continuation { v: number; rest: string }

function lineStarts(code: string): number[] {
  const out = [0];
  for (let i = code.indexOf('\n'); i >= 0; i = code.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function lcp(a: string, b: string, bFrom: number): number {
  let n = 0;
  while (n < a.length && bFrom + n < b.length && a.charCodeAt(n) === b.charCodeAt(bFrom + n)) n++;
  return n;
}

export function planContinuations(rawAnswer: string, problem: Problem, tok: SimTokenizer): Continuation[] {
  const vs = problem.variants;
  // EG-CFG's γ = 1 path appends a bare newline after the forced `def f(` (as the authors' code does): the simulated
  // model reads `def f(\n` as `def f(` and goes on with the parameters (`def f(\na, b):` is valid Python).
  const answer = rawAnswer.replace(/(def \w+\()\n/g, '$1');
  const fences = answer.split('```').length - 1;
  if (fences > 0 && fences % 2 === 0) return vs.map((_, i) => ({ v: i, rest: '' })); // the answer's block is closed
  let code = answer;
  if (fences > 0) {
    const after = answer.slice(answer.lastIndexOf('```') + 3);
    const nl = after.indexOf('\n');
    if (nl < 0) { // still on the fence's language tag
      const tag = 'python\n';
      const head = tag.startsWith(after) ? tag.slice(after.length) : '\n';
      return vs.map((v, i) => ({ v: i, rest: head + v.code + CLOSE }));
    }
    code = after.slice(nl + 1);
  }
  // Each variant is consistent when the whole answer is a prefix of its fenced text, or when the code so far is a
  // prefix of its code from some line on (a reasoning prefix may have left out its import lines).
  const aligned: Continuation[] = [];
  for (let i = 0; i < vs.length; i++) {
    const whole = OPEN + vs[i]!.code + CLOSE;
    if (whole.startsWith(answer)) { aligned.push({ v: i, rest: whole.slice(answer.length) }); continue; }
    const c = vs[i]!.code;
    const s = lineStarts(c).find((st) => c.startsWith(code, st));
    if (s !== undefined) aligned.push({ v: i, rest: c.slice(s + code.length) + CLOSE });
  }
  if (aligned.length > 0) return aligned;
  if (fences === 0 && !/^\s*(def|import|from|class|@|#)\b/.test(code)) {
    // Prose before any code block: the model now opens its block.
    const sep = answer.endsWith('\n') ? '' : '\n';
    return vs.map((v, i) => ({ v: i, rest: sep + OPEN + v.code + CLOSE }));
  }
  // Off-script: continue the closest variant as if the differing text had replaced the same number of its tokens.
  let best = { v: -1, s: 0, len: 0 };
  for (let i = 0; i < vs.length; i++) {
    const c = vs[i]!.code;
    if (!vs[i]!.correct && vs.some((x) => x.correct)) continue; // prefer the solution's text as the anchor
    for (const s of lineStarts(c)) {
      const len = lcp(code, c, s);
      if (len > best.len) best = { v: i, s, len };
    }
  }
  if (best.v < 0 || best.len === 0) {
    const sep = code === '' || code.endsWith('\n') ? '' : '\n';
    return [{ v: -1, rest: `${sep}    return None${CLOSE}` }];
  }
  const c = vs[best.v]!.code;
  const replaced = tok.encode(code.slice(best.len)).length;
  let at = best.s + best.len;
  for (let k = 0; k < replaced && at < c.length; k++) at += tok.unitAt(c, at)!.text.length;
  return [{ v: best.v, rest: c.slice(at) + CLOSE }];
}

// ---------------------------------------------------------------------------------------------- generation

export interface GenToken { id: number; text: string; logprob: number; top: Array<{ id: number; text: string; logprob: number }> }
export interface Generation {
  text: string;
  tokens: GenToken[];
  finishReason: 'stop' | 'length';
  stopReason: string | number | null;
  /** For audit/debugging: which variant the sample believed and which it wrote. */
  believed: string;
  problem: string;
}

export interface GenerateArgs {
  tok: SimTokenizer;
  problem: Problem;
  view: PromptView;
  model: string;
  skill: SimModelConfig;
  seed: number | undefined;
  temperature: number;
  sampleIndex: number;
  maxTokens: number;
  stop: string[];
  stopTokenIds: number[];
  includeStopStr: boolean;
  /** top-k size to report (0 = just the sampled token). */
  topK: number;
}

const FILLERS = [' ', '\n', '(', ')', ':', ',', '_', 'x', 'i', '0', '.', '='];
const FILLER_P = [0.012, 0.007, 0.004, 0.002, 0.001, 0.0005, 0.0003, 0.0002, 0.0001, 0.00005];

function pickVariant(problem: Problem, u: number, u2: number, skill: number): number {
  const vs = problem.variants;
  const sol = vs.findIndex((v) => v.correct);
  const wrong = vs.map((v, i) => (v.correct ? -1 : i)).filter((i) => i >= 0);
  if (sol >= 0 && (u < skill || wrong.length === 0)) return sol;
  return wrong[Math.min(wrong.length - 1, Math.floor(u2 * wrong.length))] ?? 0;
}

export function generate(a: GenerateArgs): Generation {
  const { tok, problem, view } = a;
  const greedy = a.temperature === 0;
  const tempKey = greedy ? 'greedy' : a.temperature;
  const sampleKey = greedy ? 0 : a.sampleIndex;
  // The belief: independent of the sample index at temperature 0, and of any execution-trace block.
  const instructionKey = hash53(view.instruction);
  const beliefKey = [a.model, instructionKey, a.seed, tempKey] as const;
  const belief = pickVariant(problem, draw(...beliefKey, 0, 'u'), draw(...beliefKey, 0, 'b'), a.skill.skill);
  const sampled = greedy ? undefined : pickVariant(problem,
    draw(...beliefKey, sampleKey, 'u'), draw(...beliefKey, sampleKey, 'b'), view.hasSignal ? a.skill.signalSkill : a.skill.skill);
  const sol = problem.variants.findIndex((v) => v.correct);
  let live = planContinuations(view.answer, problem, tok); // the variants still consistent with what was generated

  let text = '';
  let gen = ''; // generated text including any stop string, excluding special tokens
  const tokens: GenToken[] = [];
  const maxStop = Math.max(0, ...a.stop.map((s) => s.length));
  const stopIds = new Set(a.stopTokenIds);
  while (tokens.length < a.maxTokens) {
    const has = (v: number) => live.some((p) => p.v === v);
    const pref = view.hasSignal && sol >= 0 && has(sol) ? sol : has(belief) ? belief : live[0]!.v;
    const follow = sampled !== undefined && has(sampled) ? sampled : pref;
    const next = (v: number): { id: number; text: string } => {
      const p = live.find((x) => x.v === v)!;
      return p.rest.length <= gen.length ? { id: EOS_ID, text: '' } : tok.unitAt(p.rest, gen.length)!;
    };
    // The distribution over the next token.
    const dist = new Map<number, { text: string; p: number }>();
    const add = (t: { id: number; text: string }, p: number) => {
      const cur = dist.get(t.id);
      dist.set(t.id, { text: t.id === EOS_ID ? tok.tokenText(EOS_ID) : t.text, p: (cur?.p ?? 0) + p });
    };
    const jitter = 0.9 + 0.1 * draw(a.model, instructionKey, gen.length, 'jitter');
    const beliefSecond = has(belief) && belief !== pref;
    add(next(pref), (beliefSecond ? 0.62 : 0.8) * jitter);
    if (beliefSecond) add(next(belief), 0.25);
    const others = live.filter((p) => p.v !== pref && !(beliefSecond && p.v === belief));
    for (const o of others) add(next(o.v), 0.12 / others.length);
    let f = 0;
    for (const ch of FILLERS) {
      if (f >= FILLER_P.length) break;
      const u = tok.unitAt(ch, 0)!;
      if (!dist.has(u.id)) add(u, FILLER_P[f++]!);
    }
    const total = [...dist.values()].reduce((s, d) => s + d.p, 0);
    const ranked = [...dist.entries()]
      .map(([id, d]) => ({ id, text: d.text, logprob: Math.log((d.p / total) * 0.99) }))
      .sort((x, y) => (y.logprob - x.logprob) || (x.id - y.id));
    const chosen = next(follow);
    const chosenLp = ranked.find((r) => r.id === chosen.id)!.logprob;
    const top = ranked.slice(0, a.topK);
    if (!top.some((r) => r.id === chosen.id)) top.push({ id: chosen.id, text: chosen.id === EOS_ID ? tok.tokenText(EOS_ID) : chosen.text, logprob: chosenLp });
    tokens.push({ id: chosen.id, text: chosen.id === EOS_ID ? tok.tokenText(EOS_ID) : chosen.text, logprob: chosenLp, top });

    if (chosen.id === EOS_ID) return done('stop', null);
    if (stopIds.has(chosen.id)) return done('stop', chosen.id);
    const before = gen.length;
    gen += chosen.text;
    live = live.filter((p) => p.rest.startsWith(chosen.text, before));
    text = gen;
    if (maxStop > 0) {
      const from = Math.max(0, before - maxStop + 1);
      let hit: { at: number; s: string } | undefined;
      for (const s of a.stop) {
        if (s === '') continue;
        const at = gen.indexOf(s, from);
        if (at >= 0 && (!hit || at < hit.at)) hit = { at, s };
      }
      if (hit) {
        text = gen.slice(0, hit.at + (a.includeStopStr ? hit.s.length : 0));
        return done('stop', hit.s);
      }
    }
  }
  return done('length', null);

  function done(finishReason: 'stop' | 'length', stopReason: string | number | null): Generation {
    return { text, tokens, finishReason, stopReason, believed: problem.variants[belief]?.label ?? 'generic', problem: problem.id };
  }
}
