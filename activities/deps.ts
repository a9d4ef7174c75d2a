// What activities need from the outside world, passed in once when a worker starts (no hidden globals).
import type { Database } from '../db/client.ts';
import type { ModelBackend } from './model-backend.ts';
import type { ModelSpec } from '../core/contracts.ts';
import type { Sandbox } from './sandbox/index.ts';

export interface ActivityDeps {
  db: Database;
  /** The process-wide sandbox pool, created on first use. */
  sandbox(): Promise<Sandbox>;
  /** A model backend for a spec (cached per spec by the caller). */
  model(spec: ModelSpec): ModelBackend;
  /**
   * The data folder whose local model servers this worker may start (its model-servers/ registry, stopped by
   * `egcfg down`): BTP serves a llama.cpp adapter on a server of its own. Absent: no local servers from activities.
   */
  localDataDir?: string;
}
