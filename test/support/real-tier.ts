// The real-model tier's own data folder per suite: zero-config local mode (no external Temporal or database), the
// `egcfg` command run in it, and everything it started (model servers, Temporal) stopped at the end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { DatabaseHandle } from '../../db/client.ts';
import { runEgcfg, type CliResult } from './cli.ts';

export interface RealTier {
  /** The data folder (set in `before`). */
  readonly dataDir: string;
  egcfg(args: string[]): Promise<CliResult>;
  /** A database handle the suite opened: closed before the folder's services are stopped. */
  db: DatabaseHandle | undefined;
}

/** Registers the suite's before/after hooks; call inside `describe`. */
export function realTier(prefix: string): RealTier {
  let env: NodeJS.ProcessEnv = {};
  const tier: RealTier = {
    dataDir: '',
    egcfg: (args) => runEgcfg(args, env),
    db: undefined,
  };
  before(() => {
    (tier as { dataDir: string }).dataDir = mkdtempSync(join(tmpdir(), prefix));
    env = { ...process.env, EGCFG_DATA_DIR: tier.dataDir };
    delete env.TEMPORAL_ADDRESS;
    delete env.DATABASE_URL;
  });
  after(async () => {
    await tier.db?.close();
    await tier.egcfg(['down', '--data-dir', tier.dataDir]);
  });
  return tier;
}
