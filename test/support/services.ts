// Real services for tests: the Temporal dev server (the cached binary, through @temporalio/testing) and a fresh
// database on the project's Postgres server (started by infra/postgres.sh) for each test file.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { repoPath } from '../../core/repo.ts';
import { temporalBin } from '../../core/tools.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';

/** A Temporal dev server of our own on a free port (the real server, not a fake). */
export function startTestTemporal(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: temporalBin() }, log: { format: 'pretty', level: 'error' } },
  });
}

let serverUrl: string | undefined;
/**
 * The URL of the Postgres server the tests use: EGCFG_TEST_PG_URL if set; with EGCFG_TESTCONTAINERS=1 (machines with a
 * Docker engine) one started by testcontainers; otherwise the project's own server, started (idempotently) by
 * infra/postgres.sh.
 */
export async function postgresServerUrl(): Promise<string> {
  if (process.env.EGCFG_TEST_PG_URL) return process.env.EGCFG_TEST_PG_URL;
  if (!serverUrl && process.env.EGCFG_TESTCONTAINERS === '1') serverUrl = await testcontainersPostgres();
  if (!serverUrl) {
    execFileSync('bash', [repoPath('infra', 'postgres.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
    serverUrl = execFileSync('bash', [repoPath('infra', 'postgres.sh'), 'url'], { encoding: 'utf8' }).trim();
  }
  return serverUrl;
}

/** Optional path: `npm install @testcontainers/postgresql` on a machine with Docker, then EGCFG_TESTCONTAINERS=1. */
async function testcontainersPostgres(): Promise<string> {
  const moduleName = '@testcontainers/postgresql';
  let mod: { PostgreSqlContainer: new (image: string) => { start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }> } };
  try {
    mod = await import(moduleName);
  } catch {
    throw new Error(`EGCFG_TESTCONTAINERS=1 needs the optional package ${moduleName}: npm install --no-save ${moduleName} (and a Docker engine)`);
  }
  const container = await new mod.PostgreSqlContainer('postgres:15').start();
  process.once('exit', () => { void container.stop(); });
  return container.getConnectionUri();
}

export interface TestDatabase extends DatabaseHandle {
  url: string;
  /** Close and drop the database. */
  drop(): Promise<void>;
}

/** A brand-new, migrated database on the real Postgres server. */
export async function freshPostgresDatabase(): Promise<TestDatabase> {
  const base = new URL(await postgresServerUrl());
  const name = `egcfg_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  const handle = await openDatabase(url.toString());
  return {
    ...handle,
    url: url.toString(),
    async drop() {
      await handle.close();
      const a = postgres(base.toString(), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
