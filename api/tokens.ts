// Bearer tokens for the API: random, shown once, stored as their SHA-256 hash (db/schema/auth.ts).
import { createHash, randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { apiTokens } from '../db/schema/index.ts';

export const TOKEN_PREFIX = 'egcfg_';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface CreatedToken {
  id: number;
  name: string;
  /** The secret itself: shown once, never stored. */
  token: string;
  prefix: string;
}

export async function createApiToken(db: Database, name = 'default'): Promise<CreatedToken> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const [row] = await db.insert(apiTokens).values({ name, tokenHash: hashToken(token), prefix }).returning({ id: apiTokens.id });
  return { id: row!.id, name, token, prefix };
}

export type TokenCheck =
  | { ok: true; id: number; name: string }
  | { ok: false; reason: 'invalid' | 'revoked' };

/** Look a presented token up by its hash. A revoked token is told apart from an unknown one (403 vs 401). */
export async function verifyApiToken(db: Database, token: string): Promise<TokenCheck> {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, hashToken(token)));
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  return { ok: true, id: row.id, name: row.name };
}

/** Revoke a token by id; returns false when there is no such token. */
export async function revokeApiToken(db: Database, id: number): Promise<boolean> {
  const rows = await db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id)).returning({ id: apiTokens.id });
  return rows.length > 0;
}

export async function listApiTokens(db: Database) {
  return db.select({
    id: apiTokens.id, name: apiTokens.name, prefix: apiTokens.prefix, createdAt: apiTokens.createdAt,
    lastUsedAt: apiTokens.lastUsedAt, revokedAt: apiTokens.revokedAt,
  }).from(apiTokens).orderBy(asc(apiTokens.id));
}

/** Record use at most once a minute per token, so that reads do not turn into a write each. */
const lastTouched = new Map<number, number>();
export async function touchApiToken(db: Database, id: number): Promise<void> {
  const now = Date.now();
  if ((lastTouched.get(id) ?? 0) > now - 60_000) return;
  lastTouched.set(id, now);
  await db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, id));
}
