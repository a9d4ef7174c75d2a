// The BTP experience buffer (pure, deterministic): prioritized replay memory of candidate programs.
//
// Entry: { problemId, code, possibility, passRate, p2value, sourceModel, iteration }.
// Dedupe: two entries are the same experience when they have the same problem and the same normalised code
//   (normaliseCode: CRLF/CR → LF, trailing whitespace stripped, blank lines dropped, outer whitespace trimmed;
//   indentation is kept because it is Python syntax). On a duplicate the record with the higher P2Value wins
//   (a tie keeps the existing one); a replacing record counts as newly inserted for the 'oldest' policy.
// Capacity and eviction (config.eviction):
//   'lowest-p2value' (default): when full, the entry with the lowest P2Value leaves, the oldest first among
//     equals; a new entry whose P2Value is below every stored one is rejected instead of admitted.
//   'oldest': when full, the entry inserted first leaves (FIFO).
//   Both run in O(log n) per insertion (an indexed binary heap).
// Sampling: sample() draws entries by P2Value with a PrioritizedSampler, over entries() in insertion order,
//   so the draw depends only on the buffer's contents, the scheme and the Rng state.
// Train/eval split: assertTrainingProblems() throws TrainEvalLeakError naming every problem id that is in both.
import { z } from 'zod';
import type { Rng } from './prng.ts';
import { PrioritizedSampler, type DrawOptions, type SamplingSchemeInput } from './samplers.ts';
import { sha256Hex } from './sha256.ts';

const unit = (name: string) =>
  z.number({ error: `${name} must be a number` }).min(0, `${name} must be ≥ 0`).max(1, `${name} must be ≤ 1`);

export const BufferEntrySchema = z.object({
  problemId: z.number().int().min(0).safe(),
  code: z.string().refine((c) => c.trim().length > 0, 'code must not be empty or blank'),
  possibility: unit('possibility'),
  passRate: unit('passRate'),
  p2value: unit('p2value'),
  sourceModel: z.string().min(1, 'sourceModel must not be empty'),
  iteration: z.number().int().min(0),
});
export type BufferEntry = z.infer<typeof BufferEntrySchema>;

export const EvictionPolicySchema = z.enum(['lowest-p2value', 'oldest']);
export type EvictionPolicy = z.infer<typeof EvictionPolicySchema>;

export const BufferConfigSchema = z.object({
  capacity: z.number().int().min(1).max(2 ** 28),
  eviction: EvictionPolicySchema.default('lowest-p2value'),
});
export type BufferConfig = z.infer<typeof BufferConfigSchema>;
export type BufferConfigInput = z.input<typeof BufferConfigSchema>;

/** An entry as stored: with its dedupe key, the hash of its normalised code and its insertion sequence number. */
export interface StoredEntry extends BufferEntry {
  /** sha256 hex of normaliseCode(code): the code_hash column of buffer_entries. */
  codeHash: string;
  /** `${problemId}:${codeHash}`. */
  key: string;
  /** Insertion order (0, 1, 2, … per buffer; a replacing duplicate gets a new one). */
  seq: number;
}

export type AddOutcome =
  | { status: 'added'; entry: StoredEntry; evicted: StoredEntry | null }
  | { status: 'replaced'; entry: StoredEntry; previous: StoredEntry }
  | { status: 'duplicate'; existing: StoredEntry }
  | { status: 'rejected'; reason: string };

export const BufferSnapshotSchema = z.object({
  version: z.literal(1),
  config: BufferConfigSchema,
  nextSeq: z.number().int().min(0),
  entries: z.array(BufferEntrySchema.extend({ codeHash: z.string(), key: z.string(), seq: z.number().int().min(0) })),
});
export type BufferSnapshot = z.infer<typeof BufferSnapshotSchema>;

/** Canonical form of a program for dedupe: LF line ends, no trailing whitespace, no blank lines, trimmed. */
export function normaliseCode(code: string): string {
  return code
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l.length > 0)
    .join('\n')
    .trim();
}

/** sha256 hex of the normalised code. */
export function codeHash(code: string): string {
  return sha256Hex(normaliseCode(code));
}

/** Dedupe key of (problem, code). */
export function dedupeKey(problemId: number, code: string): string {
  return `${problemId}:${codeHash(code)}`;
}

function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export class ExperienceBuffer {
  readonly config: BufferConfig;
  private readonly slots: (StoredEntry | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private readonly byKey = new Map<string, number>();
  /** Binary min-heap of slot ids by eviction order; heapPos[slot] = index in heap. */
  private readonly heap: number[] = [];
  private readonly heapPos: number[] = [];
  private nextSeq = 0;

  constructor(config: BufferConfigInput) {
    const r = BufferConfigSchema.safeParse(config);
    if (!r.success) throw new RangeError(`ExperienceBuffer: invalid config ${JSON.stringify(config)}: ${describeIssues(r.error)}`);
    this.config = r.data;
  }

  get size(): number {
    return this.byKey.size;
  }

  has(problemId: number, code: string): boolean {
    return this.byKey.has(dedupeKey(problemId, code));
  }

  get(problemId: number, code: string): StoredEntry | undefined {
    const slot = this.byKey.get(dedupeKey(problemId, code));
    return slot === undefined ? undefined : this.slots[slot];
  }

  /** Adds one entry (validated): O(log n). */
  add(input: BufferEntry): AddOutcome {
    const r = BufferEntrySchema.safeParse(input);
    if (!r.success) throw new RangeError(`ExperienceBuffer.add: invalid entry for problem ${String((input as { problemId?: unknown })?.problemId)}: ${describeIssues(r.error)}`);
    const e = r.data;
    const hash = codeHash(e.code);
    const key = `${e.problemId}:${hash}`;
    const existingSlot = this.byKey.get(key);
    if (existingSlot !== undefined) {
      const existing = this.slots[existingSlot]!;
      if (e.p2value <= existing.p2value) return { status: 'duplicate', existing };
      const entry: StoredEntry = { ...e, codeHash: hash, key, seq: this.nextSeq++ };
      this.slots[existingSlot] = entry;
      this.siftUp(this.heapPos[existingSlot]!);
      this.siftDown(this.heapPos[existingSlot]!);
      return { status: 'replaced', entry, previous: existing };
    }
    let evicted: StoredEntry | null = null;
    if (this.size >= this.config.capacity) {
      const victimSlot = this.heap[0]!;
      const victim = this.slots[victimSlot]!;
      if (this.config.eviction === 'lowest-p2value' && e.p2value < victim.p2value) {
        return { status: 'rejected', reason: `buffer full (${this.config.capacity}) and p2value ${e.p2value} is below the lowest stored ${victim.p2value}` };
      }
      this.removeSlot(victimSlot);
      evicted = victim;
    }
    const entry: StoredEntry = { ...e, codeHash: hash, key, seq: this.nextSeq++ };
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    this.slots[slot] = entry;
    this.byKey.set(key, slot);
    this.heap.push(slot);
    this.heapPos[slot] = this.heap.length - 1;
    this.siftUp(this.heap.length - 1);
    return { status: 'added', entry, evicted };
  }

  /** Adds many entries in order; returns one outcome per entry. */
  addAll(entries: readonly BufferEntry[]): AddOutcome[] {
    return entries.map((e) => this.add(e));
  }

  /** Removes an entry by (problem, code); returns it, or undefined if absent. */
  remove(problemId: number, code: string): StoredEntry | undefined {
    const slot = this.byKey.get(dedupeKey(problemId, code));
    if (slot === undefined) return undefined;
    const e = this.slots[slot]!;
    this.removeSlot(slot);
    return e;
  }

  /** The entry that would be evicted next, if any. */
  peekEviction(): StoredEntry | undefined {
    return this.heap.length > 0 ? this.slots[this.heap[0]!] : undefined;
  }

  /** All entries in insertion order (by seq): O(n log n). */
  entries(): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const s of this.slots) if (s !== undefined) out.push(s);
    out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /**
   * Draws k entries by P2Value (as the priority) under a sampling scheme; O(n log n) to build, O(k log n) to draw.
   * Pass `exclude` (e.g. the eval problem ids) to leave those problems out before drawing.
   */
  sample(rng: Rng, k: number, scheme: SamplingSchemeInput, options: DrawOptions & { exclude?: Iterable<number> } = {}): StoredEntry[] {
    let pool = this.entries();
    if (options.exclude !== undefined) {
      const ex = new Set(options.exclude);
      pool = pool.filter((e) => !ex.has(e.problemId));
    }
    if (k > 0 && pool.length === 0) throw new RangeError(`ExperienceBuffer.sample: cannot draw ${k} entries from an empty pool`);
    const sampler = PrioritizedSampler.build(pool.map((e) => e.p2value), scheme);
    const drawOptions: DrawOptions = options.replacement === undefined ? {} : { replacement: options.replacement };
    return sampler.sample(rng, k, drawOptions).map((i) => pool[i]!);
  }

  /** A JSON-safe copy of the whole state (for continue-as-new or persistence). */
  snapshot(): BufferSnapshot {
    return { version: 1, config: { ...this.config }, nextSeq: this.nextSeq, entries: this.entries().map((e) => ({ ...e })) };
  }

  /** Rebuilds a buffer from snapshot(); validated. The result behaves exactly like the buffer that was saved. */
  static restore(snapshot: unknown): ExperienceBuffer {
    const r = BufferSnapshotSchema.safeParse(snapshot);
    if (!r.success) throw new RangeError(`ExperienceBuffer.restore: invalid snapshot: ${describeIssues(r.error)}`);
    const s = r.data;
    const b = new ExperienceBuffer(s.config);
    if (s.entries.length > s.config.capacity) {
      throw new RangeError(`ExperienceBuffer.restore: ${s.entries.length} entries exceed the capacity ${s.config.capacity}`);
    }
    let maxSeq = -1;
    for (const e of s.entries) {
      const hash = codeHash(e.code);
      const key = `${e.problemId}:${hash}`;
      if (e.codeHash !== hash || e.key !== key) {
        throw new RangeError(`ExperienceBuffer.restore: entry seq ${e.seq} (problem ${e.problemId}) has codeHash/key that do not match its code`);
      }
      if (b.byKey.has(key)) throw new RangeError(`ExperienceBuffer.restore: duplicate entry ${key} (seq ${e.seq})`);
      const slot = b.slots.length;
      b.slots.push({ ...e });
      b.byKey.set(key, slot);
      b.heap.push(slot);
      b.heapPos[slot] = b.heap.length - 1;
      b.siftUp(b.heap.length - 1);
      if (e.seq > maxSeq) maxSeq = e.seq;
    }
    if (s.nextSeq <= maxSeq) throw new RangeError(`ExperienceBuffer.restore: nextSeq ${s.nextSeq} must exceed every entry's seq (max ${maxSeq})`);
    b.nextSeq = s.nextSeq;
    return b;
  }

  // ---- indexed heap -------------------------------------------------------------------------------------------

  /** True if slot a leaves before slot b. */
  private before(a: number, b: number): boolean {
    const ea = this.slots[a]!;
    const eb = this.slots[b]!;
    if (this.config.eviction === 'lowest-p2value' && ea.p2value !== eb.p2value) return ea.p2value < eb.p2value;
    return ea.seq < eb.seq;
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    this.heapPos[b] = i;
    this.heapPos[a] = j;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(this.heap[i]!, this.heap[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.before(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.before(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  private removeSlot(slot: number): void {
    const e = this.slots[slot]!;
    const i = this.heapPos[slot]!;
    const last = this.heap.length - 1;
    if (i !== last) {
      this.swap(i, last);
      this.heap.pop();
      this.siftUp(i);
      this.siftDown(i);
    } else {
      this.heap.pop();
    }
    this.byKey.delete(e.key);
    this.slots[slot] = undefined;
    this.freeSlots.push(slot);
  }
}

// ---- train/eval split guard ------------------------------------------------------------------------------------

/** Thrown when training data includes evaluation problems. `offendingIds` lists every one, sorted. */
export class TrainEvalLeakError extends Error {
  readonly offendingIds: string[];
  constructor(offendingIds: string[]) {
    const shown = offendingIds.slice(0, 20).join(', ');
    const more = offendingIds.length > 20 ? ` and ${offendingIds.length - 20} more` : '';
    super(`train/eval leak: ${offendingIds.length} training problem id(s) are evaluation problems: ${shown}${more}`);
    this.name = 'TrainEvalLeakError';
    this.offendingIds = offendingIds;
  }
}

/**
 * Throws TrainEvalLeakError unless no training problem id is an evaluation id. Ids are compared by their
 * string form, so 601 and "601" are the same problem. Offending ids are reported unique and sorted
 * (numerically when all are integers).
 */
export function assertTrainingProblems(problemIds: Iterable<string | number>, evalIds: Iterable<string | number>): void {
  const evalSet = new Set<string>();
  for (const id of evalIds) evalSet.add(String(id));
  const bad = new Set<string>();
  for (const id of problemIds) {
    const s = String(id);
    if (evalSet.has(s)) bad.add(s);
  }
  if (bad.size === 0) return;
  const list = [...bad];
  const numeric = list.every((s) => /^-?\d+$/.test(s));
  list.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  throw new TrainEvalLeakError(list);
}

// ---- training data -----------------------------------------------------------------------------------------------

export interface TrainingPair {
  problemId: number;
  prompt: string;
  completion: string;
}

/**
 * Turns drawn buffer entries into the trainer's prompt/completion pairs, after the split guard: throws
 * TrainEvalLeakError if any entry's problem is an evaluation problem, and names a problem that has no prompt.
 */
export function trainingPairs(
  entries: readonly Pick<BufferEntry, 'problemId' | 'code'>[],
  promptFor: (problemId: number) => string | undefined,
  evalIds: Iterable<string | number>,
): TrainingPair[] {
  assertTrainingProblems(entries.map((e) => e.problemId), evalIds);
  return entries.map((e) => {
    const prompt = promptFor(e.problemId);
    if (typeof prompt !== 'string') throw new RangeError(`trainingPairs: no prompt for problem ${e.problemId}`);
    return { problemId: e.problemId, prompt, completion: e.code };
  });
}

/** The JSONL file the trainer reads (--data): one {"problem_id","prompt","completion"} object per line. */
export function trainingJsonl(pairs: readonly TrainingPair[]): string {
  return pairs.map((p) => JSON.stringify({ problem_id: p.problemId, prompt: p.prompt, completion: p.completion })).join('\n') + (pairs.length ? '\n' : '');
}
