// What createApp (./app.ts) is given, and what it resolves once for all its route modules (./*-routes.ts): kept here
// so that the route modules never import ./app.ts.
import type { Client } from '@temporalio/client';
import type { ServiceContext } from '../campaigns/service.ts';
import type { ModelServer, ModelUrlPolicy } from '../core/model-servers.ts';
import type { Database } from '../db/client.ts';
import type { AuthConfig } from './app-env.ts';
import type { ServerFolders } from './campaign-input.ts';
import type { HealthChecks } from './health.ts';
import type { ApiLimits, StreamSlots } from './limits.ts';
import type { RequestStats } from './metrics.ts';
import type { SimulatedModels } from './simulated-models.ts';

export interface AppOptions {
  db: Database;
  client: Client;
  auth?: AuthConfig;
  /** Campaigns created without a modelUrl use these simulated servers; absent, modelUrl is required. */
  simulated?: SimulatedModels;
  /** Where POST /evaluate keeps uploaded samples files (the workers read them from there). */
  uploadDir?: string;
  /** Base URL of the Temporal Web UI, for links to a campaign's workflow. */
  temporalUiUrl?: string;
  namespace?: string;
  /** Extra health checks (e.g. the sandbox of the in-process worker). */
  checks?: HealthChecks;
  /** `Secure` cookies (set when serving over https). */
  secureCookies?: boolean;
  /** The data folder: BTP work folders (btp/NAME) and model folders (models/NAME) given by name resolve here. */
  dataDir?: string;
  /** Where names resolve (default: from dataDir, see api/campaign-input.ts). */
  folders?: ServerFolders;
  /** The model servers campaigns may name (default: EGCFG_MODEL_SERVERS). */
  modelServers?: ModelServer[];
  /** Any http(s) modelUrl (default: EGCFG_ALLOW_ANY_MODEL_URL=1); keys still go only to configured servers. */
  allowAnyModelUrl?: boolean;
  /** Request size limits (defaults: DEFAULT_LIMITS). */
  limits?: Partial<ApiLimits>;
  log?: (line: string) => void;
}

/** The options with their defaults applied, and the per-app state the route modules share. */
export interface ApiDeps {
  opts: AppOptions;
  db: Database;
  ctx: ServiceContext;
  auth: AuthConfig;
  log: (line: string) => void;
  namespace: string;
  uploadDir: string;
  limits: ApiLimits;
  folders: ServerFolders;
  /** The model URLs a campaign may name (read per request: the simulated servers running now are allowed). */
  urlPolicy: () => ModelUrlPolicy;
  /** Open event streams, per token and in all. */
  streams: StreamSlots;
  /** Request latency per route, for /metrics. */
  stats: RequestStats;
}
