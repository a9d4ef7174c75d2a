// The dashboard in a real browser, shared by the browser tests: Debian's Chromium (infra/browser.sh) driven headless
// by playwright-core, against the API server on real services (a Temporal dev server, a fresh Postgres database,
// in-process workers with nsjail, simulated model servers). Screenshots go to test-artifacts/ (gitignored).
import { existsSync, mkdirSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import type { ServerFolders } from '../../api/campaign-input.ts';
import { startApiServer, type ApiServer } from '../../api/server.ts';
import { simulatedModels, type SimulatedModels } from '../../api/simulated-models.ts';
import { createApiToken } from '../../api/tokens.ts';
import { repoPath } from '../../core/repo.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from './services.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** The describe() skip reason where Chromium is not installed. */
export const chromiumSkip: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: run \`bash infra/browser.sh\` to install Debian's chromium`;
export const artifacts = repoPath('test-artifacts');

export interface DashboardStack {
  env: TestWorkflowEnvironment;
  db: TestDatabase;
  workers: RunningWorkers;
  sims: SimulatedModels;
  server: ApiServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** An API token (the page is signed in with it when `signedIn`). */
  token: string;
  /** A screenshot of the page under test-artifacts/NAME.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface DashboardStackOptions {
  /** The simulated models' skill (0: wrong unless guided; 1: right). */
  skill?: number;
  temporalUiUrl?: string;
  /** Where grid, BTP work folder and model folder names resolve. */
  folders?: ServerFolders;
  /** Sign the page in with the token cookie (else the test signs in through /login). */
  signedIn?: boolean;
  tokenName?: string;
}

export async function startDashboardStack(o: DashboardStackOptions = {}): Promise<DashboardStack> {
  mkdirSync(artifacts, { recursive: true });
  const s: Partial<DashboardStack> = {};
  const close = async () => {
    await s.browser?.close();
    await s.server?.close();
    await s.workers?.shutdown();
    await s.sims?.close();
    await s.env?.teardown();
    await s.db?.drop();
  };
  try {
    [s.env, s.db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
    s.workers = await startWorkers({ connection: s.env.nativeConnection, deps: { db: s.db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
    s.sims = simulatedModels(o.skill === undefined ? {} : { skill: o.skill });
    s.server = await startApiServer({
      db: s.db.db, client: s.env.client, simulated: s.sims, log: () => {},
      ...(o.temporalUiUrl ? { temporalUiUrl: o.temporalUiUrl } : {}), ...(o.folders ? { folders: o.folders } : {}),
    });
    s.token = (await createApiToken(s.db.db, o.tokenName ?? 'browser')).token;
    s.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    s.context = await s.browser.newContext({ viewport: { width: 1280, height: 900 } });
    if (o.signedIn) await s.context.addCookies([{ name: 'egcfg_token', value: s.token, url: s.server.url }]);
    s.page = await s.context.newPage();
    s.page.on('pageerror', (err) => console.error(`[browser] page error: ${err.message}`));
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const page = s.page;
  return { ...(s as Omit<DashboardStack, 'shot' | 'close'>), shot: async (name) => { await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true }); }, close };
}
