// The simulated server's HTTP layer (activities/model/simulated-server.ts): one request read, counted, delayed by the
// configured latency, answered by the fault schedule or the routes; errors as vLLM's JSON error bodies. And the
// listening server, which can go down (every connection dropped) and come back on the same port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { HttpError } from './sim-engine.ts';
import type { FaultSchedule } from './sim-faults.ts';
import type { RouteAnswer } from './sim-routes.ts';
import type { SimulatedServerStats } from './sim-server-types.ts';

export interface Handler {
  stats: SimulatedServerStats;
  faults: FaultSchedule;
  latencyMs: number;
  route(method: string, path: string, body: unknown): RouteAnswer;
}

function send(res: ServerResponse, status: number, contentType: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'x-simulated-model': 'true', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The route's answer to a request body (JSON for POST), or the error body of what it threw. */
function answer(h: Handler, req: IncomingMessage, res: ServerResponse, path: string, chunks: Buffer[]): void {
  try {
    let body: unknown;
    if (req.method === 'POST') {
      const raw = Buffer.concat(chunks).toString('utf8');
      try { body = JSON.parse(raw); } catch (e) { throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`); }
    }
    const out = h.route(req.method ?? 'GET', path, body);
    if (out.text !== undefined) send(res, out.status, 'text/plain; charset=utf-8', out.text);
    else send(res, out.status, 'application/json', JSON.stringify(out.json));
  } catch (e) {
    if (e instanceof HttpError) {
      send(res, e.status, 'application/json', JSON.stringify({ object: 'error', message: e.message, type: e.type, param: null, code: e.status, simulated: true }));
    } else {
      send(res, 500, 'application/json', JSON.stringify({ object: 'error', message: `simulated server bug: ${(e as Error).stack ?? String(e)}`, type: 'InternalServerError', param: null, code: 500, simulated: true }));
    }
  }
}

async function handle(h: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const st = h.stats;
  const t0 = performance.now();
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  // The client's dialect probe (GET /props: llama.cpp, GET /version: vLLM) is answered as vLLM would, outside the
  // fault schedule and the request counts, so that injected faults hit model calls as the tests intend.
  if (req.method === 'GET' && (path === '/version' || path === '/props')) {
    req.resume();
    return path === '/version' ? send(res, 200, 'application/json', JSON.stringify({ version: 'simulated' }))
      : send(res, 404, 'application/json', JSON.stringify({ object: 'error', message: 'Not Found', type: 'NotFoundError', code: 404 }));
  }
  st.requests++;
  st.byPath[path] = (st.byPath[path] ?? 0) + 1;
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (h.latencyMs > 0) await sleep(h.latencyMs);
  const t1 = performance.now();
  res.once('finish', () => { const t2 = performance.now(); st.serverMs += t2 - t0; st.handlerMs += t2 - t1; });
  if (h.faults.inject((status, contentType, body, extra) => send(res, status, contentType, body, extra))) return;
  answer(h, req, res, path, chunks);
}

export interface Listening {
  port: number;
  setDown(down: boolean): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: ReturnType<typeof createServer>, port: number, host: string) => new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, () => { server.off('error', reject); resolve(); });
});

/** Serves the handler on host:port (0: a free port). */
export async function serve(h: Handler, host: string, port: number): Promise<Listening> {
  // A client that goes away mid-request (an aborted call) must not take the server down.
  const server = createServer((req, res) => { handle(h, req, res).catch(() => { res.destroy(); }); });
  server.keepAliveTimeout = 30_000;
  await listen(server, port, host);
  const bound = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  let listening = true;
  const stopListening = () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  return {
    port: bound,
    async setDown(down: boolean) {
      if (closed) throw new Error('the simulated server is closed');
      if (down && listening) { listening = false; await stopListening(); }
      if (!down && !listening) {
        await listen(server, bound, host);
        listening = true;
      }
    },
    close: () => {
      closed ??= listening ? stopListening() : Promise.resolve();
      listening = false;
      return closed;
    },
  };
}
