// Model servers and their API keys: which URLs a campaign may name, and which key (if any) goes to which server.
//
// A key is bound to the server it belongs to and is never sent to a URL a caller chose:
// - EGCFG_MODEL_SERVERS: a JSON array of { url, key?, name? }. A request to a URL gets the key of the configured server
//   whose origin (scheme, host, port) is the same and whose path is a prefix of the URL's path (at a '/' boundary).
// - EGCFG_MODEL_API_KEY (legacy): sent only to the URLs listed in EGCFG_MODEL_API_KEY_URLS (comma-separated, same
//   prefix rule) and to the URLs this process trusted itself (the CLI's own --model-url, see trustModelUrl).
// Over the API, a campaign's modelUrl must be a configured server (or a simulated server the API started), unless
// EGCFG_ALLOW_ANY_MODEL_URL=1; even then no key goes to an unconfigured URL.
//
// Pure functions of their arguments (env defaults to process.env), importable anywhere except workflows.
import { z } from 'zod';

/** Longest URL accepted anywhere (a URL is an address, not a payload). */
export const MAX_URL_CHARS = 2048;

/** Why `url` is not an acceptable model server URL (only http and https, no credentials in it), or undefined. */
export function modelUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL_CHARS) return `longer than ${MAX_URL_CHARS} characters`;
  if (url.includes('\0')) return 'contains a NUL byte';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `scheme '${u.protocol.replace(/:$/, '')}' is not allowed (only http and https)`;
  if (!u.hostname) return 'has no host';
  if (u.username || u.password) return 'must not carry credentials (configure keys in EGCFG_MODEL_SERVERS)';
  return undefined;
}

/** A zod schema for a model server URL: http(s) only, with `what` naming the field in messages. */
export const httpUrlSchema = (what: string) => z.string().max(MAX_URL_CHARS, `${what} longer than ${MAX_URL_CHARS} characters`)
  .superRefine((v, ctx) => {
    const problem = modelUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `${what} must be an http(s) URL: ${problem}` });
  });

export const modelServerSchema = z.strictObject({
  url: httpUrlSchema('url'),
  key: z.string().min(1).max(4096).optional(),
  name: z.string().min(1).max(200).optional(),
});
export type ModelServer = z.infer<typeof modelServerSchema>;

export class ModelServersConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ModelServersConfigError'; }
}

/** EGCFG_MODEL_SERVERS (a JSON array of { url, key?, name? }); absent or empty: none. Malformed: a named error. */
export function parseModelServers(text: string | undefined): ModelServer[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Never quote the value: it holds keys.
    throw new ModelServersConfigError('EGCFG_MODEL_SERVERS is not valid JSON (expected an array of {"url", "key"?, "name"?})');
  }
  const parsed = z.array(modelServerSchema).max(1000).safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.code === 'custom' ? i.message : i.code}`).join('; ');
    throw new ModelServersConfigError(`EGCFG_MODEL_SERVERS is malformed: ${where}`);
  }
  return parsed.data;
}

type Env = Record<string, string | undefined>;

export const configuredModelServers = (env: Env = process.env): ModelServer[] => parseModelServers(env.EGCFG_MODEL_SERVERS);

/** Does `url` fall under `base`: same origin, and base's path a prefix of url's path at a '/' boundary? */
export function urlUnder(url: string, base: string): boolean {
  let u: URL, b: URL;
  try {
    u = new URL(url);
    b = new URL(base);
  } catch {
    return false;
  }
  if (u.origin === 'null' || u.origin !== b.origin || u.username || u.password) return false;
  const basePath = b.pathname.replace(/\/+$/, '');
  const path = u.pathname.replace(/\/+$/, '');
  return path === basePath || path.startsWith(`${basePath}/`);
}

/** The configured server `url` belongs to (the longest matching path), or undefined. */
export function serverFor(url: string, servers: readonly ModelServer[]): ModelServer | undefined {
  let best: ModelServer | undefined;
  for (const s of servers) {
    if (urlUnder(url, s.url) && (!best || new URL(s.url).pathname.length > new URL(best.url).pathname.length)) best = s;
  }
  return best;
}

/** URLs this process chose itself (the CLI's --model-url): the legacy key may go there. */
const trusted = new Set<string>();
export function trustModelUrl(url: string): void { if (!modelUrlProblem(url)) trusted.add(url); }
export const trustedModelUrls = (): string[] => [...trusted];

const legacyKeyUrls = (env: Env): string[] => (env.EGCFG_MODEL_API_KEY_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The API key to send to `url`: a configured server's own key; else the legacy EGCFG_MODEL_API_KEY when `url` is
 * under one of EGCFG_MODEL_API_KEY_URLS or a URL this process trusted; else undefined (no Authorization header).
 */
export function apiKeyFor(url: string, env: Env = process.env, trustedUrls: readonly string[] = trustedModelUrls()): string | undefined {
  if (modelUrlProblem(url)) return undefined;
  let servers: ModelServer[];
  try {
    servers = configuredModelServers(env);
  } catch {
    servers = []; // a malformed config binds no key to anything (startup validation names the problem)
  }
  const server = serverFor(url, servers);
  if (server) return server.key;
  const legacy = env.EGCFG_MODEL_API_KEY;
  if (!legacy) return undefined;
  return [...legacyKeyUrls(env), ...trustedUrls].some((base) => urlUnder(url, base)) ? legacy : undefined;
}

export interface ModelUrlPolicy {
  servers: readonly ModelServer[];
  /** EGCFG_ALLOW_ANY_MODEL_URL=1: any http(s) URL (still no key for unconfigured ones). */
  allowAny: boolean;
  /** URLs the platform started itself (simulated servers), always allowed. */
  own?: readonly string[];
}

export function modelUrlPolicy(env: Env = process.env, own: readonly string[] = []): ModelUrlPolicy {
  return { servers: configuredModelServers(env), allowAny: env.EGCFG_ALLOW_ANY_MODEL_URL === '1', own };
}

/** Why an API caller may not use `url` as a model server, or undefined when it may. */
export function modelUrlRefusal(url: string, policy: ModelUrlPolicy): string | undefined {
  const problem = modelUrlProblem(url);
  if (problem) return `must be an http(s) URL: ${problem}`;
  if (policy.allowAny) return undefined;
  if (serverFor(url, policy.servers)) return undefined;
  if ((policy.own ?? []).some((base) => urlUnder(url, base))) return undefined;
  const names = policy.servers.map((s) => s.name ? `${s.name} (${s.url})` : s.url);
  return names.length
    ? `not a configured model server; configured: ${names.join(', ')}`
    : 'not a configured model server (this API server has none: set EGCFG_MODEL_SERVERS, or EGCFG_ALLOW_ANY_MODEL_URL=1 to allow any URL without sending keys)';
}
