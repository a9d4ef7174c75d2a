// `egcfg show <campaign> <task_id>`: one problem of a campaign, step by step, from the database. For EG-CFG: every
// generation (agent × γ), and in each one every step: the reasoning prefix, each candidate request (raw and
// executable candidates), the traced runs and the signal, each decoded line with its tokens (guided, changed by
// guidance) and counters, the final code and its verdicts. `--full` prints signals and traces whole; `--json` dumps
// the rows.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { egcfgProblemSteps } from '../../campaigns/egcfg.ts';
import { OptionsError } from '../../campaigns/options.ts';
import { openDatabase } from '../../db/client.ts';
import { SIMULATED_NOTE } from '../output.ts';
import { lineCapRecordSchema, signalFitRecordSchema, stepTokensSchema } from '../../core/stored/egcfg-step.ts';
import { parseStored } from '../../core/stored/parse.ts';
import { executionLabel, generationVerdictLabel, traceRunLabel } from '../show-labels.ts';
import { defaultDataDir } from '../runtime.ts';
import { showFlags as flags } from '../spec.ts';
import { promptsConfigOf } from '../../activities/egcfg/prompts.ts';


const clip = (s: string, full: boolean, n = 400): string => (full || s.length <= n ? s : `${s.slice(0, n)}… [${s.length - n} more chars; --full shows all]`);
const indent = (s: string, pad = '      '): string => s.split('\n').map((l) => pad + l).join('\n');

export async function showCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: true });
  const [campaignId, taskId] = positionals;
  if (!campaignId || !taskId || positionals.length !== 2) {
    throw new OptionsError([{ field: '(arguments)', message: 'usage: egcfg show <campaign_id> <task_id> [--full] [--json] [--database-url URL | --data-dir DIR]' }]);
  }
  const url = values['database-url'] ?? process.env.DATABASE_URL ?? resolve(values['data-dir'] ?? defaultDataDir(), 'pglite');
  const database = await openDatabase(url);
  try {
    const data = await egcfgProblemSteps(database.db, campaignId, taskId);
    if (values.json) {
      console.log(JSON.stringify(data, null, 2));
      return 0;
    }
    console.log(render(data, values.full ?? false));
    return 0;
  } finally {
    await database.close();
  }
}

type Data = Awaited<ReturnType<typeof egcfgProblemSteps>>;

/** Why a step ran unguided although a signal existed: the conditional prompt did not fit the model's context. */
const overflowNote = (sum: Record<string, unknown>): string =>
  typeof sum.contextOverflow === 'string' ? ' — GUIDANCE SKIPPED: the conditional prompt (with the signal) exceeds the model\'s context' : '';

/** A line whose guidance --line-token-cap cut short. */
function lineCapNote(sum: Record<string, unknown>): string {
  const parsed = lineCapRecordSchema.safeParse(sum.lineCap);
  if (!parsed.success) return '';
  const c = parsed.data;
  return ` — LINE CAP: unguided from token ${String(c.unguidedFrom)} (the line had spent ${String(c.spentBefore)} tokens before decoding; cap ${String(c.cap)})`;
}

/** A signal fitted to the model's context (activities/egcfg/signal-context.ts): what was left out, said plainly. */
function fitNote(sum: Record<string, unknown>): string {
  const parsed = signalFitRecordSchema.safeParse(sum.signalFit);
  if (!parsed.success) return '';
  const f = parsed.data;
  if (f.kept === 0) {
    return ` — GUIDANCE SKIPPED: not even a shortened trace fits the model's ${String(f.contextTokens)}-token context`;
  }
  const cut = f.shortened ? `, the first entry's trace cut by ${String(f.linesOmitted)} earlier lines` : '';
  return ` — SIGNAL FITTED to the model's ${String(f.contextTokens)}-token context: ${String(f.dropped)} entries dropped${cut} (conditional prompt ${String(f.condTokens)} tokens)`;
}

/** The generation's prompt: raw (its base prompt), or chat (both sides' texts as the model's template rendered them). */
function promptLines(g: Data['generations'][number]['generation'], full: boolean): string[] {
  const chat = promptsConfigOf(g.config).chat;
  if (!chat) return [full ? `   prompt format raw, base prompt:\n${indent(g.basePrompt)}` : `   prompt format raw, base prompt of ${g.basePrompt.length} chars (--full prints it)`];
  const head = full || chat.condHead.length <= 300 ? chat.condHead : `…${chat.condHead.slice(-300)}`;
  return [
    "   prompt format chat (the model's template, rendered by its server); unconditional side:",
    indent(clip(g.basePrompt, full, 600)),
    '   conditional side: the same turns with the signal of each refresh at the end of the user turn:',
    indent(`${head}⟨signal⟩${chat.condTail}`),
    `   the assistant turn opens with: ${JSON.stringify(chat.responsePrefix)}`,
  ];
}

function render(d: Data, full: boolean): string {
  const out: string[] = [];
  const c = d.campaign;
  out.push(`campaign ${c.id}: ${c.method} on ${c.dataset}, model ${c.model}${c.simulated ? ' [SIMULATED]' : ''}, ${c.status}`);
  if (c.simulated) out.push(`NOTE: ${SIMULATED_NOTE}.`);
  out.push(`task ${d.problem.taskId} (entry point ${d.problem.entryPoint}), version ${d.problem.contentHash}; visible tests:`);
  for (const t of d.problem.visibleTests) out.push(`  ${t}`);
  out.push('verdicts:');
  for (const v of d.verdicts) out.push(`  ${v.protocol.padEnd(8)} ${v.passed ? 'PASSED' : 'failed'} (${v.status}) ${JSON.stringify(v.detail)}`);
  if (d.generations.length === 0) {
    for (const s of d.baselineSamples) out.push(`sample ${s.id} (${s.attempt}):\n${indent(s.code)}`);
    return out.join('\n');
  }
  for (const { generation: g, steps, candidates, traces, executions: execs } of d.generations) {
    out.push('');
    const selection = (g.stats as { selection?: { suite?: string } } | null)?.selection?.suite;
    out.push(`== ${g.agent} γ=${g.gamma} try ${g.attempt}: ${generationVerdictLabel(g.status, selection)}${g.stopReason ? `, stop ${g.stopReason}` : ''}, seed ${g.seed}${g.error ? `, ${g.error}` : ''}`);
    out.push(...promptLines(g, full));
    if (g.prefix !== null) out.push(`   reasoning prefix:\n${indent(clip(g.prefix, full))}`);
    for (const s of steps) {
      const head = `   [${s.seq}] ${s.kind.padEnd(9)} line ${s.lineIndex}`;
      const counters = `${s.modelCalls} model calls, ${s.promptTokens}→${s.completionTokens} tokens${s.sandboxRuns ? `, ${s.sandboxRuns} sandbox runs ${s.sandboxMs.toFixed(0)} ms` : ''}${s.activityAttempt > 1 ? `, written by activity attempt ${s.activityAttempt}` : ''}`;
      const sum = s.summary;
      switch (s.kind) {
        case 'line': {
          out.push(`${head}: +${JSON.stringify(s.appended ?? '')} (${s.tokenCount} tokens, ${s.guidedTokens} guided, ${s.changedTokens} changed by guidance; ${counters}) → ${String(sum.next)}${overflowNote(sum)}${lineCapNote(sum)}`);
          if (full) for (const t of parseStored(stepTokensSchema, s.tokens, { table: 'egcfg_steps', column: 'tokens', id: s.id }) ?? []) out.push(`        ${JSON.stringify(t)}`);
          break;
        }
        case 'sample': {
          const stream = sum.streamed === true ? `, streamed: ${String(sum.cutAtHorizon)} of ${String(sum.n)} cut after d + 1 lines` : '';
          out.push(`${head}: ${String(sum.side)} request ${String(sum.request)} n=${String(sum.n)} t=${String(sum.temperature)} max_tokens=${String(sum.maxTokens)}${stream} (${counters})${overflowNote(sum)}`);
          for (const k of candidates.filter((x) => x.lineIndex === s.lineIndex && x.side === sum.side && x.requestIndex === sum.request)) {
            const mark = k.accepted ? 'ACCEPTED' : k.raw === null ? 'rejected (first line)' : k.executable === null ? (k.prepareError ? 'not executable' : 'duplicate') : 'duplicate';
            out.push(`      candidate ${k.candidateIndex}: ${mark}`);
            if (k.raw !== null) out.push(`        raw:\n${indent(clip(k.raw, full), '          ')}`);
            if (k.executable !== null) out.push(`        executable:\n${indent(clip(k.executable, full), '          ')}`);
          }
          break;
        }
        case 'prepare':
          out.push(`${head}: make_executable ${String(sum.examined)} → ${String(sum.accepted)} unique${sum.needAnother ? ', another request due' : ''} (${counters})`);
          break;
        case 'signal': {
          out.push(`${head}: signal of ${String(sum.entries)} entries, ${String(sum.signalChars)} chars (${counters}) → ${String(sum.next)}${fitNote(sum)}`);
          for (const t of traces.filter((x) => x.lineIndex === s.lineIndex)) {
            out.push(`      trace ${t.invocation} [${traceRunLabel(t.status)}, ${t.durationMs.toFixed(0)} ms${t.traceTruncated ? ', truncated' : ''}]${t.trace === null ? ' (no trace)' : ''}`);
          }
          if (s.signal) out.push(indent(clip(s.signal, full, 800)));
          break;
        }
        default:
          out.push(`${head}: ${JSON.stringify({ ...sum, tries: undefined })} (${counters})`);
      }
    }
    if (g.finalCode !== null) out.push(`   final code:\n${indent(g.finalCode)}`);
    for (const e of execs) out.push(`   ${executionLabel(e)}`);
    if (g.cost) out.push(`   cost: ${JSON.stringify(g.cost)}`);
  }
  return out.join('\n');
}
