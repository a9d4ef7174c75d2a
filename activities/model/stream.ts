// A streamed completion that the client cuts off (issue 11 item 9): POST /v1/completions with stream: true (vLLM and
// llama.cpp both send OpenAI's server-sent events), the choice's text accumulated event by event, and the request
// aborted as soon as the caller's predicate says the text is enough — for EG-CFG's candidates, d + 1 lines — so the
// server stops generating what would be cut away. One choice per request (n = 1), so each is cut on its own.
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';

const ChunkSchema = z.looseObject({
  choices: z.array(z.looseObject({ index: z.number().int().nonnegative().optional(), text: z.string().optional(), finish_reason: z.string().nullish() })).optional(),
  usage: z.looseObject({ prompt_tokens: z.number().int().nonnegative().optional(), completion_tokens: z.number().int().nonnegative().optional() }).nullish(),
});
export type StreamChunk = z.infer<typeof ChunkSchema>;

/** Splits buffered SSE text into complete `data:` payloads and the unfinished rest (pure). */
export function parseSse(buffer: string): { data: string[]; rest: string } {
  const data: string[] = [];
  const events = buffer.split(/\r?\n\r?\n/);
  const rest = events.pop() ?? '';
  for (const ev of events) {
    const lines = ev.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (lines.length > 0) data.push(lines.join('\n'));
  }
  return { data, rest };
}

export interface StreamedChoice {
  text: string;
  /** The server's finish reason, or 'client_cut' when the predicate stopped it. */
  finishReason: string | null;
  /** Text events received (≈ tokens generated). */
  events: number;
  promptTokens: number | undefined;
  completionTokens: number | undefined;
}

/** One streamed request; `isDone(text)` is asked after every event and ends the request when true. */
export function streamCompletion(
  url: URL, headers: Record<string, string>, body: Record<string, unknown>, signal: AbortSignal, agent: http.Agent,
  isDone: (text: string) => boolean,
): Promise<StreamedChoice> {
  const payload = JSON.stringify({ ...body, stream: true, n: 1 });
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const out: StreamedChoice = { text: '', finishReason: null, events: 0, promptTokens: undefined, completionTokens: undefined };
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err); else resolve(out);
    };
    const req = mod.request(url, { method: 'POST', headers: { ...headers, accept: 'text/event-stream', 'content-length': String(Buffer.byteLength(payload)) }, agent, signal }, (res) => {
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => finish(Object.assign(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`), { status: res.statusCode })));
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        const { data, rest } = parseSse(buffer + c);
        buffer = rest;
        for (const d of data) {
          if (d.trim() === '[DONE]') { finish(); return; }
          let parsed: StreamChunk;
          try { parsed = ChunkSchema.parse(JSON.parse(d)); } catch (e) { finish(new Error(`malformed stream event ${d.slice(0, 200)}: ${(e as Error).message}`)); req.destroy(); return; }
          const ch = parsed.choices?.[0];
          if (ch?.text !== undefined && ch.text !== '') { out.text += ch.text; out.events++; }
          if (ch?.finish_reason) out.finishReason = ch.finish_reason;
          if (parsed.usage) { out.promptTokens = parsed.usage.prompt_tokens; out.completionTokens = parsed.usage.completion_tokens; }
          if (out.finishReason === null && isDone(out.text)) {
            out.finishReason = 'client_cut';
            finish();
            req.destroy();
            return;
          }
        }
      });
      res.on('end', () => finish());
      res.on('error', (e) => finish(e));
      res.on('close', () => finish());
    });
    req.on('error', (e) => finish(e));
    req.end(payload);
  });
}
