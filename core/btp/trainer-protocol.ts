// The contract between the TypeScript side and the Python LoRA trainer (python -m trainer.train), pure:
// the options (TrainConfig → argv) and the JSON lines it prints on stdout (parseTrainerLine).
// The activity that spawns the trainer heartbeats on 'step' events and records the 'done' event.
import { z } from 'zod';

export const TrainConfigSchema = z.object({
  baseModel: z.string().min(1, 'baseModel must name the base model folder'),
  data: z.string().min(1, 'data must name the JSONL file of prompt/completion pairs'),
  output: z.string().min(1, 'output must name the output folder'),
  loraR: z.number().int().min(1).default(8),
  loraAlpha: z.number().positive().default(16),
  loraDropout: z.number().min(0).lt(1).default(0.05),
  targetModules: z.array(z.string().min(1)).min(1).default(['q_proj', 'k_proj', 'v_proj', 'o_proj']),
  batchSize: z.number().int().min(1).default(8),
  lr: z.number().positive().finite().default(2e-4),
  weightDecay: z.number().min(0).default(0),
  lrSchedule: z.enum(['constant', 'linear', 'cosine']).default('constant'),
  warmupSteps: z.number().int().min(0).default(0),
  epochs: z.number().positive().default(1),
  /** Exact number of optimizer steps; 0 derives it from epochs. */
  maxSteps: z.number().int().min(0).default(0),
  maxLength: z.number().int().min(2).default(512),
  seed: z.number().int().min(0).default(0),
  saveEvery: z.number().int().min(0).default(50),
  keepCheckpoints: z.number().int().min(1).default(2),
  /** Continue from the newest checkpoint in output (the default: a retried activity resumes). */
  resume: z.boolean().default(true),
  device: z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'").default('auto'),
  dtype: z.enum(['float32', 'bfloat16']).default('float32'),
  /** torch CPU threads; 1 by default (faster than 2 OpenMP threads for small models on small machines), 0 = torch's default. */
  threads: z.number().int().min(0).default(1),
  evalLimit: z.number().int().min(0).default(64),
});
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** argv for `python -m trainer.train` (after the module name), validated. */
export function trainerArgs(input: TrainConfigInput): string[] {
  const r = TrainConfigSchema.safeParse(input);
  if (!r.success) {
    throw new RangeError(`invalid trainer config: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const args: string[] = [];
  for (const [k, v] of Object.entries(r.data)) {
    if (k === 'resume') {
      if (v) args.push('--resume');
      continue;
    }
    args.push(`--${kebab(k)}`, Array.isArray(v) ? v.join(',') : String(v));
  }
  return args;
}

const finite = z.number().finite();

export const TrainerEventSchema = z.discriminatedUnion('event', [
  z.object({ event: z.literal('start'), device: z.string(), examples: z.number().int(), total_steps: z.number().int(), start_step: z.number().int() }).loose(),
  z.object({ event: z.literal('resume'), from_step: z.number().int().min(0), checkpoint: z.string().nullable() }).loose(),
  z.object({ event: z.literal('step'), step: z.number().int().min(1), loss: finite, lr: finite.optional(), epoch: z.number().int().optional() }).loose(),
  z.object({ event: z.literal('eval'), step: z.number().int().min(0).optional(), loss: finite, examples: z.number().int().optional() }).loose(),
  z.object({ event: z.literal('checkpoint'), step: z.number().int().min(1), path: z.string() }).loose(),
  z.object({ event: z.literal('interrupted'), step: z.number().int().min(0) }).loose(),
  z.object({
    event: z.literal('done'), steps: z.number().int().min(0), final_loss: finite.nullable(),
    initial_eval_loss: finite.nullable().optional(), final_eval_loss: finite.nullable().optional(),
    adapter: z.string(), metrics: z.string(),
  }).loose(),
  z.object({ event: z.literal('error'), kind: z.string().optional(), message: z.string() }).loose(),
  z.object({ event: z.literal('tiny_model'), output: z.string() }).loose(),
  z.object({ event: z.literal('gpu_check') }).loose(),
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;

/** Parses one stdout line of the trainer; throws naming the line's problem. */
export function parseTrainerLine(line: string): TrainerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new SyntaxError(`trainer output is not a JSON line: ${line.slice(0, 200)}`);
  }
  const r = TrainerEventSchema.safeParse(raw);
  if (!r.success) {
    throw new TypeError(`trainer event does not match the protocol (${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}): ${line.slice(0, 200)}`);
  }
  return r.data;
}
