// How to reach Temporal and Postgres, from flags and environment, in one place: the CLI runtime (openRuntime) and the
// `egcfg worker` command both build their connections here. Supports a plain dev server, TLS / mTLS (a self-hosted
// cluster or Temporal Cloud with certificates) and API keys (Temporal Cloud).
//
// Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY (client certificate and key
// files, PEM: mTLS), TEMPORAL_TLS_CA (a CA file for a server certificate the system does not trust),
// TEMPORAL_TLS_SERVER_NAME (SNI override), TEMPORAL_TLS=1 (TLS with no custom files), TEMPORAL_API_KEY;
// DATABASE_URL and EGCFG_DB_POOL (connections per process).
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions, TLSConfig } from '@temporalio/worker';
import { z } from 'zod';

export const TemporalSettingsSchema = z.object({
  address: z.string().regex(/^[^\s:]+:\d+$/, 'expected HOST:PORT'),
  namespace: z.string().min(1).default('default'),
  tlsCertFile: z.string().min(1).optional(),
  tlsKeyFile: z.string().min(1).optional(),
  tlsCaFile: z.string().min(1).optional(),
  tlsServerName: z.string().min(1).optional(),
  /** TLS without custom files (a server whose certificate the system trusts, e.g. Temporal Cloud with an API key). */
  tls: z.boolean().default(false),
  apiKey: z.string().min(1).optional(),
}).refine((s) => Boolean(s.tlsCertFile) === Boolean(s.tlsKeyFile), {
  message: 'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS needs both the client certificate and its key)',
});
export type TemporalSettings = z.infer<typeof TemporalSettingsSchema>;

const truthy = (v: string | undefined): boolean => v !== undefined && /^(1|true|yes|on)$/i.test(v);
const nonEmpty = (v: string | undefined): string | undefined => (v && v.length > 0 ? v : undefined);

/** Settings from explicit values (flags) first, then the environment. The address may be absent (local mode). */
export function temporalSettingsFromEnv(
  overrides: { address?: string; namespace?: string } = {}, env: NodeJS.ProcessEnv = process.env,
): Omit<TemporalSettings, 'address'> & { address?: string } {
  const raw = {
    address: overrides.address ?? nonEmpty(env.TEMPORAL_ADDRESS),
    namespace: overrides.namespace ?? nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default',
    tlsCertFile: nonEmpty(env.TEMPORAL_TLS_CERT),
    tlsKeyFile: nonEmpty(env.TEMPORAL_TLS_KEY),
    tlsCaFile: nonEmpty(env.TEMPORAL_TLS_CA),
    tlsServerName: nonEmpty(env.TEMPORAL_TLS_SERVER_NAME),
    tls: truthy(env.TEMPORAL_TLS),
    apiKey: nonEmpty(env.TEMPORAL_API_KEY),
  };
  const parsed = TemporalSettingsSchema.safeParse({ ...raw, address: raw.address ?? '127.0.0.1:7233' });
  if (!parsed.success) {
    throw new Error(`Temporal connection settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ')}`);
  }
  const { address: _ignored, ...rest } = parsed.data;
  return raw.address ? { ...rest, address: raw.address } : rest;
}

/** The TLS config, reading the certificate files; undefined for a plain connection. */
export function tlsConfig(s: TemporalSettings): TLSConfig | undefined {
  const wantsTls = s.tls || s.tlsCertFile || s.tlsCaFile || s.tlsServerName || s.apiKey;
  if (!wantsTls) return undefined;
  const read = (file: string, what: string): Buffer => {
    try { return readFileSync(file); } catch (err) { throw new Error(`cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err }); }
  };
  return {
    ...(s.tlsServerName ? { serverNameOverride: s.tlsServerName } : {}),
    ...(s.tlsCaFile ? { serverRootCACertificate: read(s.tlsCaFile, 'TEMPORAL_TLS_CA') } : {}),
    ...(s.tlsCertFile && s.tlsKeyFile
      ? { clientCertPair: { crt: read(s.tlsCertFile, 'TEMPORAL_TLS_CERT'), key: read(s.tlsKeyFile, 'TEMPORAL_TLS_KEY') } }
      : {}),
  };
}

/** Options for the client connection (`Connection.connect`). An API key implies TLS, as Temporal Cloud requires. */
export function clientConnectionOptions(s: TemporalSettings): ConnectionOptions {
  const tls = tlsConfig(s);
  return { address: s.address, ...(tls ? { tls } : {}), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
}

/** Options for a worker connection (`NativeConnection.connect`): the same settings. */
export function workerConnectionOptions(s: TemporalSettings): NativeConnectionOptions {
  const tls = tlsConfig(s);
  return { address: s.address, ...(tls ? { tls } : {}), ...(s.apiKey ? { apiKey: s.apiKey } : {}) };
}

/**
 * Connect, retrying for up to `deadlineMs`: a dev server that has just started (or a loaded machine) may accept TCP
 * before its gRPC service answers. The last error is rethrown, naming the address.
 */
export async function connectWithRetry<T>(connect: () => Promise<T>, address: string, deadlineMs = 60_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      return await connect();
    } catch (err) {
      if (Date.now() + delay > deadline) {
        throw new Error(`could not connect to Temporal at ${address}: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** A one-line description for start-up logs: never the API key or key material, only what is in use. */
export function describeTemporal(s: TemporalSettings): string {
  const auth = [
    s.tlsCertFile ? 'mTLS client certificate' : undefined,
    !s.tlsCertFile && tlsConfig(s) ? 'TLS' : undefined,
    s.apiKey ? 'API key' : undefined,
  ].filter(Boolean);
  return `${s.address}, namespace ${s.namespace}${auth.length ? ` (${auth.join(' + ')})` : ''}`;
}

/** Postgres connections per process: EGCFG_DB_POOL (default 10). */
export function databasePoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const raw = nonEmpty(env.EGCFG_DB_POOL);
  if (raw === undefined) return 10;
  const n = z.coerce.number().int().min(1).max(1000).safeParse(raw);
  if (!n.success) throw new Error(`EGCFG_DB_POOL: expected an integer from 1 to 1000, got '${raw}'`);
  return n.data;
}
