// API access: bearer tokens, stored only as their SHA-256 hash. A revoked token is kept (revokedAt set) so that
// its use answers 403 rather than 401, and audits can tell which token did what.
import { bigserial, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const apiTokens = pgTable('api_tokens', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  name: text('name').notNull(),
  /** Hex SHA-256 of the token; the token itself is shown once, when it is created, and never stored. */
  tokenHash: text('token_hash').notNull(),
  /** The first characters of the token, to tell tokens apart in listings. */
  prefix: text('prefix').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [uniqueIndex('api_tokens_hash').on(t.tokenHash)]);
