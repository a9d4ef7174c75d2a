// The EG-CFG problem viewer in a real browser: Debian's Chromium (infra/browser.sh) driven headless by
// playwright-core, against the API server on real services (Temporal dev server, Postgres, in-process workers with
// nsjail, the SIMULATED model). An EG-CFG campaign started through the API finishes; its solved problem is opened,
// and the keyboard (j/k, arrows) steps through the lines of the guided generation. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { modelBackendCache } from '../../activities/model-backend.ts';
import { getSharedSandbox } from '../../activities/sandbox/index.ts';
import { ProblemStepsSchema } from '../../api/problem-steps.ts';
import { startApiServer, type ApiServer } from '../../api/server.ts';
import { simulatedModels, type SimulatedModels } from '../../api/simulated-models.ts';
import { createApiToken } from '../../api/tokens.ts';
import { waitForCampaign } from '../../campaigns/service.ts';
import { repoPath } from '../../core/repo.ts';
import { problems, results } from '../../db/schema/index.ts';
import { startWorkers, type RunningWorkers } from '../../workers/worker.ts';
import { freshPostgresDatabase, startTestTemporal, type TestDatabase } from '../support/services.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: run \`bash infra/browser.sh\` to install Debian's chromium`;
const artifacts = repoPath('test-artifacts');

describe('EG-CFG problem viewer in headless Chromium', { timeout: 600_000, skip }, () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let workers: RunningWorkers;
  let sims: SimulatedModels;
  let server: ApiServer;
  let browser: Browser;
  let page: Page;
  let token: string;

  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    [env, db] = await Promise.all([startTestTemporal(), freshPostgresDatabase()]);
    workers = await startWorkers({ connection: env.nativeConnection, deps: { db: db.db, sandbox: getSharedSandbox, model: modelBackendCache() } });
    // skill 0: the unguided model believes a broken variant; with traces in the prompt it ranks the solution first,
    // so the problem is solved by guidance, token by token.
    sims = simulatedModels({ skill: 0 });
    server = await startApiServer({ db: db.db, client: env.client, simulated: sims, log: () => {} });
    token = (await createApiToken(db.db, 'viewer')).token;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'egcfg_token', value: token, url: server.url }]);
    page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[browser] page error: ${err.message}`));
  }, { timeout: 300_000 });
  after(async () => {
    await browser?.close();
    await server?.close();
    await workers?.shutdown();
    await sims?.close();
    await env?.teardown();
    await db?.drop();
  }, { timeout: 120_000 });

  test('a finished EG-CFG campaign: open its solved problem and step through the lines with the keyboard', async () => {
    const res = await fetch(`${server.url}/campaigns`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'mbpp', method: 'eg-cfg', modelName: 'simulated-deepseek', maxProblems: 1, gammas: [3], concurrency: 1 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { campaignId } = await res.json() as { campaignId: string };
    await waitForCampaign({ db: db.db, client: env.client }, campaignId);
    const [solved] = await db.db.select({ taskId: problems.taskId }).from(results).innerJoin(problems, eq(problems.id, results.problemId))
      .where(and(eq(results.campaignId, campaignId), eq(results.protocol, 'default'), eq(results.passed, true)));
    assert.ok(solved, 'the guided generation solved the problem');

    // The JSON route and the page show the same lines.
    const stepsRes = await fetch(`${server.url}/campaigns/${campaignId}/problems/${encodeURIComponent(solved.taskId)}/steps`, { headers: { authorization: `Bearer ${token}` } });
    const steps = ProblemStepsSchema.parse(await stepsRes.json());
    const guided = steps.generations.find((g) => g.gamma === 3)!;
    assert.ok(guided.lines.length >= 2, `the guided generation has several lines (${guided.lines.length})`);

    await page.goto(`${server.url}/ui/campaigns/${campaignId}`);
    await page.screenshot({ path: `${artifacts}/egcfg-campaign.png`, fullPage: true });
    await page.click(`#problems a[href$="/problems/${encodeURIComponent(solved.taskId)}"]`);
    await page.waitForURL(/\/problems\//);
    const status = page.locator('#viewer-status');
    const lineNow = () => status.getAttribute('data-line');
    await page.waitForFunction(() => document.querySelector('#viewer-status')?.getAttribute('data-line') !== null);
    assert.equal(await lineNow(), String(guided.lines[0]!.index));
    assert.equal(await page.locator('.gen.active .line.current').count(), 1, 'one line is shown at a time');
    await page.screenshot({ path: `${artifacts}/egcfg-viewer-line0.png`, fullPage: true });

    await page.keyboard.press('j');
    assert.equal(await lineNow(), String(guided.lines[1]!.index), 'j moves to the next line');
    const shown = await page.locator('.gen.active .line.current pre.code-before').textContent();
    assert.equal(shown, guided.lines[1]!.codeBefore, 'the current line shows its code so far');
    await page.screenshot({ path: `${artifacts}/egcfg-viewer-line1.png`, fullPage: true });
    await page.keyboard.press('k');
    assert.equal(await lineNow(), String(guided.lines[0]!.index), 'k moves back');
    await page.keyboard.press('ArrowDown');
    assert.equal(await lineNow(), String(guided.lines[1]!.index), '↓ moves to the next line');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await lineNow(), String(guided.lines[0]!.index), 'the first line stays the first');
    assert.match(await page.locator('#viewer-status').textContent() ?? '', /γ=3/);
  });
});
