// The dynamic signal fitted to the model's context before it is applied (issue 11 item 10). Without this, a signal
// longer than the context made the server refuse the conditional prompt and guidance was skipped for the whole line,
// visible only as `contextOverflow` in a step row. The rule is core/egcfg/signal-fit.ts (drop entries last-first,
// then keep the latest trace lines of the first); this module measures the conditional prompt exactly as the decode
// and candidate calls will send it (the same fixed-part ids + the generated ids) against the server's context.
import { fitSignal, type SignalFitRecord } from '../../core/egcfg/signal-fit.ts';
import type { SignalEntry } from '../../core/egcfg/signal.ts';
import type { EgcfgModel } from './model.ts';

/** Tokens a line may still add to the code after the signal is built (one line of the γ = 1 path: 64 tokens). */
export const LINE_GROWTH_TOKENS = 64;

export interface FittedSignal {
  signal: string;
  /** Set when the signal had to be fitted (entries dropped or a trace shortened); stored in the step's summary. */
  fit?: SignalFitRecord;
}

export interface FitInput {
  model: Pick<EgcfgModel, 'contextLength'>;
  entries: readonly SignalEntry[];
  render: (entries: SignalEntry[]) => string;
  /** Tokens of the conditional prompt with this signal (fixed part + generated ids). */
  condTokens: (signal: string) => Promise<number>;
  /** Tokens a conditional request may ask for (its largest max_tokens); counted where the server counts them. */
  requestTokens: number;
}

/**
 * The signal of all entries when the model's context is unknown or the prompt fits; else the fitted one. A prompt
 * fits when cond tokens + LINE_GROWTH_TOKENS + requestTokens (only where the server counts the completion: vLLM refuses
 * prompt + max_tokens over max_model_len; llama.cpp only a prompt over one slot's n_ctx) stay within the context.
 */
export async function fitSignalToContext(a: FitInput): Promise<FittedSignal> {
  const all = a.render([...a.entries]);
  const context = await a.model.contextLength();
  if (context === undefined || a.entries.length === 0) return { signal: all };
  const budget = context.tokens - LINE_GROWTH_TOKENS - (context.countsCompletion ? a.requestTokens : 0);
  // Each candidate signal is tokenized once (the fitted one was measured by the search that chose it).
  const measured = new Map<string, Promise<number>>();
  const condTokens = (signal: string): Promise<number> => {
    let n = measured.get(signal);
    if (!n) { n = a.condTokens(signal); measured.set(signal, n); }
    return n;
  };
  const fits = async (es: SignalEntry[]): Promise<boolean> => (await condTokens(a.render(es))) <= budget;
  const fit = await fitSignal(a.entries, fits);
  if (fit.dropped === 0 && fit.shortened === 0) return { signal: all };
  const signal = fit.entries.length === 0 ? '' : a.render(fit.entries);
  const { entries, ...left } = fit;
  return { signal, fit: { ...left, kept: entries.length, contextTokens: context.tokens, condTokens: await condTokens(signal) } };
}
