// Read models across campaigns: cost against pass@1 (the campaigns list's scatter plot) and the BTP experiment suite
// (`egcfg experiment`: every campaign's config names its experiment, step and variant — cli/commands/experiment.ts),
// grouped as the experiment's own plots are: step3 bars (final pass@1 per ablation variant), step4 curves (final
// pass@1 against each hyperparameter's value) and the pass@1-per-iteration curves of step2-finetune / big-to-small.
import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { btpIterations, campaigns, egcfgGenerations, egcfgSteps, results, samples } from '../db/schema/index.ts';
import { campaignConfigSchema } from '../campaigns/options/stored.ts';
import { parseStored } from '../core/stored/parse.ts';

const num = z.coerce.number();

// ---- Cost vs pass@1 ----

export const CostPointSchema = z.object({
  campaignId: z.string(), method: z.string(), model: z.string(), simulated: z.boolean(),
  done: z.number().int(), passed: z.number().int(), passAt1: z.number(),
  /** Prompt + completion tokens (samples; EG-CFG: every step) and model calls, in all and per finished problem. */
  tokens: z.number(), modelCalls: z.number(), tokensPerProblem: z.number(),
}).openapi('CostPoint');
export type CostPoint = z.infer<typeof CostPointSchema>;

/** One point per campaign with a finished problem (default protocol). */
export async function costPoints(db: Database, ids: string[]): Promise<CostPoint[]> {
  if (!ids.length) return [];
  const [meta, done, sampleCost, stepCost] = await Promise.all([
    db.select({ id: campaigns.id, method: campaigns.method, model: campaigns.model, simulated: campaigns.simulated }).from(campaigns).where(inArray(campaigns.id, ids)),
    db.select({ id: results.campaignId, done: sql`count(*)`, passed: sql`count(*) filter (where ${results.passed})` }).from(results)
      .where(and(inArray(results.campaignId, ids), eq(results.protocol, 'default'))).groupBy(results.campaignId),
    db.select({ id: samples.campaignId, tokens: sql`coalesce(sum(${samples.promptTokens} + ${samples.completionTokens}), 0)`, calls: sql`coalesce(sum(${samples.modelCalls}), 0)` })
      .from(samples).where(inArray(samples.campaignId, ids)).groupBy(samples.campaignId),
    db.select({ id: egcfgGenerations.campaignId, tokens: sql`coalesce(sum(${egcfgSteps.promptTokens} + ${egcfgSteps.completionTokens}), 0)`, calls: sql`coalesce(sum(${egcfgSteps.modelCalls}), 0)` })
      .from(egcfgSteps).innerJoin(egcfgGenerations, eq(egcfgGenerations.id, egcfgSteps.generationId)).where(inArray(egcfgGenerations.campaignId, ids)).groupBy(egcfgGenerations.campaignId),
  ]);
  const counts = new Map(z.array(z.object({ id: z.string(), done: num, passed: num })).parse(done).map((r) => [r.id, r]));
  const costRows = z.array(z.object({ id: z.string(), tokens: num, calls: num }));
  const bySamples = new Map(costRows.parse(sampleCost).map((r) => [r.id, r]));
  const bySteps = new Map(costRows.parse(stepCost).map((r) => [r.id, r]));
  return meta.flatMap((m): CostPoint[] => {
    const c = counts.get(m.id);
    if (!c || c.done === 0) return [];
    // EG-CFG's samples hold the final programs; its model cost is in the steps.
    const cost = m.method === 'eg-cfg' ? bySteps.get(m.id) : bySamples.get(m.id);
    const tokens = cost?.tokens ?? 0;
    return [{ campaignId: m.id, method: m.method, model: m.model, simulated: m.simulated, done: c.done, passed: c.passed, passAt1: c.passed / c.done,
      tokens, modelCalls: cost?.calls ?? 0, tokensPerProblem: tokens / c.done }];
  }).sort((a, b) => a.campaignId.localeCompare(b.campaignId));
}

// ---- Experiments ----

const experimentOf = sql`${campaigns.config}->'experiment'->>'name'`;

export const ExperimentSummarySchema = z.object({ name: z.string(), campaigns: z.number().int(), createdAt: z.string() }).openapi('ExperimentSummary');

export async function experimentNames(db: Database, limit = 50): Promise<Array<z.infer<typeof ExperimentSummarySchema>>> {
  const rows = await db.select({ name: experimentOf, campaigns: sql`count(*)`, createdAt: sql`max(${campaigns.createdAt})` }).from(campaigns)
    .where(sql`${experimentOf} is not null`).groupBy(experimentOf).orderBy(desc(sql`max(${campaigns.createdAt})`)).limit(limit);
  return z.array(z.object({ name: z.string(), campaigns: num, createdAt: z.coerce.date() })).parse(rows)
    .map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/** The groups each step varies (cli/commands/experiment.ts stepVariants). */
export const STEP3_GROUPS = ['sampling', 'p2value-alpha', 'buffer-size'] as const;
export const STEP4_GROUPS = ['sampling-alpha', 'temperature', 'num-beams'] as const;

const point = z.object({ x: z.number(), y: z.number(), campaignId: z.string() });

export const ExperimentViewSchema = z.object({
  name: z.string(), simulated: z.boolean(),
  campaigns: z.array(z.object({
    campaignId: z.string(), method: z.string(), status: z.string(), steps: z.array(z.string()),
    variants: z.array(z.object({ group: z.string(), label: z.string() })),
    /** pass@1 of the last evaluated iteration (BTP) or of the campaign (baseline); null before any. */
    finalPassAt1: z.number().nullable(),
    iterations: z.array(z.object({ iteration: z.number().int(), passAt1: z.number() })),
  })),
  /** step3: one bar per ablation variant (final pass@1, %). */
  step3: z.array(z.object({ group: z.string(), label: z.string(), passAt1: z.number(), campaignId: z.string() })),
  /** step4: per hyperparameter, final pass@1 (%) against its value. */
  step4: z.array(z.object({ group: z.string(), points: z.array(point) })),
  /** step2-finetune / big-to-small: pass@1 (%) per iteration, one curve per campaign. */
  curves: z.array(z.object({ step: z.string(), label: z.string(), campaignId: z.string(), points: z.array(point) })),
}).openapi('ExperimentView');
export type ExperimentView = z.infer<typeof ExperimentViewSchema>;

/** null: no campaign names this experiment. */
export async function experimentView(db: Database, name: string): Promise<ExperimentView | null> {
  const rows = await db.select({ id: campaigns.id, method: campaigns.method, status: campaigns.status, simulated: campaigns.simulated, config: campaigns.config })
    .from(campaigns).where(sql`${experimentOf} = ${name}`).orderBy(asc(campaigns.id));
  if (!rows.length) return null;
  const ids = rows.map((r) => r.id);
  const [its, baseline] = await Promise.all([
    db.select({ id: btpIterations.campaignId, iteration: btpIterations.iteration, passAt1: btpIterations.passAt1 }).from(btpIterations)
      .where(inArray(btpIterations.campaignId, ids)).orderBy(asc(btpIterations.iteration)),
    db.select({ id: results.campaignId, done: sql`count(*)`, passed: sql`count(*) filter (where ${results.passed})` }).from(results)
      .where(and(inArray(results.campaignId, ids), eq(results.protocol, 'default'))).groupBy(results.campaignId),
  ]);
  const base = new Map(z.array(z.object({ id: z.string(), done: num, passed: num })).parse(baseline).map((r) => [r.id, r]));
  const view: ExperimentView = { name, simulated: rows.some((r) => r.simulated), campaigns: [], step3: [], step4: [], curves: [] };
  const step4 = new Map<string, Array<z.infer<typeof point>>>();
  for (const r of rows) {
    const experiment = parseStored(campaignConfigSchema, r.config, { table: 'campaigns', column: 'config', id: r.id }).experiment;
    if (!experiment) continue;
    const iterations = its.filter((i) => i.id === r.id).map(({ iteration, passAt1 }) => ({ iteration, passAt1 }));
    const b = base.get(r.id);
    const finalPassAt1 = r.method === 'btp' ? (iterations.at(-1)?.passAt1 ?? null) : (b && b.done ? b.passed / b.done : null);
    const steps = experiment.step.split('+');
    const variants = experiment.variant.split('; ').map((v) => { const i = v.indexOf('='); return { group: v.slice(0, i), label: v.slice(i + 1) }; });
    view.campaigns.push({ campaignId: r.id, method: r.method, status: r.status, steps, variants, finalPassAt1, iterations });
    for (const v of variants) {
      if (finalPassAt1 === null) continue;
      if (steps.includes('step3') && (STEP3_GROUPS as readonly string[]).includes(v.group)) view.step3.push({ ...v, passAt1: 100 * finalPassAt1, campaignId: r.id });
      const x = Number(v.label);
      if (steps.includes('step4') && (STEP4_GROUPS as readonly string[]).includes(v.group) && Number.isFinite(x)) {
        step4.set(v.group, [...(step4.get(v.group) ?? []), { x, y: 100 * finalPassAt1, campaignId: r.id }]);
      }
    }
    for (const st of steps.filter((s) => s === 'step2-finetune' || s === 'big-to-small')) {
      view.curves.push({ step: st, label: variants.find((v) => v.group !== '')?.label ?? st, campaignId: r.id, points: iterations.map((i) => ({ x: i.iteration, y: 100 * i.passAt1, campaignId: r.id })) });
    }
  }
  view.step3.sort((a, b) => STEP3_GROUPS.indexOf(a.group as never) - STEP3_GROUPS.indexOf(b.group as never) || a.label.localeCompare(b.label));
  view.step4 = STEP4_GROUPS.filter((g) => step4.has(g)).map((g) => ({ group: g, points: step4.get(g)!.sort((a, b) => a.x - b.x) }));
  return view;
}
