// One drizzle database over two drivers: postgres.js for a Postgres server, PGlite for the embedded zero-setup mode.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { repoPath } from '../core/repo.ts';
import { connectToOwner } from './local-owner.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  /** `postgres` (server) or `pglite` (embedded). */
  driver: 'postgres' | 'pglite';
  /** Where the data lives: a redacted URL or a folder. */
  location: string;
  /** For a PGlite folder: the process that owns it (its database server), which this handle talks to. */
  owner?: { pid: number; command: string };
  close(): Promise<void>;
}

const migrationsFolder = repoPath('db', 'migrations');

export const isPostgresUrl = (target: string): boolean => /^postgres(ql)?:\/\//.test(target);

/** Hide the password of a connection URL before it reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/**
 * Open (and migrate) the database. `target` is a postgres:// URL, a folder for PGlite, or `memory://` for a
 * throwaway in-memory PGlite. A folder is reached through its owner process (db/local-owner.ts), started if none
 * runs; `direct: true` opens it in this process instead, for the owner itself and for tools that know no owner runs.
 */
export async function openDatabase(target: string, opts: { poolSize?: number; direct?: boolean } = {}): Promise<DatabaseHandle> {
  if (isPostgresUrl(target)) {
    const client = postgres(target, { max: opts.poolSize ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema });
    try {
      await migratePostgres(db, { migrationsFolder });
    } catch (err) {
      await client.end({ timeout: 1 });
      throw new Error(`could not migrate Postgres at ${redactUrl(target)}: ${(err as Error).message}`, { cause: err });
    }
    return {
      db,
      driver: 'postgres',
      location: redactUrl(target),
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (target !== 'memory://' && !opts.direct) {
    // A PGlite folder has one owner process; this one talks to it (db/local-owner.ts).
    const { client, owner } = await connectToOwner(target, opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {});
    return {
      db: drizzlePostgres(client, { schema }),
      driver: 'pglite',
      location: target,
      owner: { pid: owner.pid, command: owner.command },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const h = await openPglite(target);
  return { db: h.db, driver: 'pglite', location: h.location, close: () => h.close() };
}

/** Open (and migrate) a PGlite in this process: a folder only by its owner (db/local-owner-main.ts), or `memory://`. */
export async function openPglite(target: string): Promise<{ client: PGlite; db: Database; location: string; close(): Promise<void> }> {
  const dataDir = target === 'memory://' ? undefined : target;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder });
  return { client, db, location: dataDir ?? 'memory://', close: () => client.close() };
}
