// The dashboard in a real browser (test/support/browser.ts: headless Chromium against the API server on real
// services, the simulated model). Sign in, start a campaign from the form, watch its progress reach 100% over SSE,
// open a problem in the audit viewer. Screenshots go to test-artifacts/ (gitignored).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumSkip, startDashboardStack, type DashboardStack } from '../support/browser.ts';

describe('dashboard in headless Chromium', { timeout: 600_000, skip: chromiumSkip }, () => {
  let stack: DashboardStack;
  let page: Page;
  let server: { url: string };
  let token: string;
  let campaignUrl = '';

  before(async () => {
    stack = await startDashboardStack({ skill: 0.5, temporalUiUrl: 'http://127.0.0.1:8233' });
    ({ page, server, token } = stack);
  }, { timeout: 300_000 });
  after(async () => { await stack?.close(); }, { timeout: 120_000 });

  test('sign in through the login form', async () => {
    await page.goto(`${server.url}/ui`);
    assert.match(new URL(page.url()).pathname, /^\/login$/, 'a stranger lands on the login page');
    await page.fill('#token', 'egcfg_wrong');
    await page.click('#login-form button[type=submit]');
    assert.match(await page.textContent('.error') ?? '', /invalid token/);
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(`${server.url}/ui`);
    assert.match(await page.textContent('h1') ?? '', /Campaigns/);
    await stack.shot('dashboard-list');
  });

  test('the start form names bad fields, then starts a campaign', async () => {
    // The browser checks what the inputs declare (min, required); the server names the rest.
    await page.fill('#start-form input[name=modelUrl]', 'not a url');
    await page.click('#start-button');
    await page.waitForFunction(() => (document.querySelector('#form-errors')?.textContent ?? '').length > 0);
    assert.match(await page.textContent('#form-errors') ?? '', /modelUrl: model url must be an http\(s\) URL/);
    assert.match(await page.textContent('[data-error-for=modelUrl]') ?? '', /model url must be an http\(s\) URL/, 'the error is shown beside its field');
    // The method's own options (generated from the API schema) appear with it.
    assert.equal(await page.isVisible('fieldset[data-method=eg-cfg]'), false);
    await page.selectOption('#start-form select[name=method]', 'eg-cfg');
    assert.equal(await page.isVisible('fieldset[data-method=eg-cfg] input[name=gammas]'), true);
    assert.equal(await page.isVisible('fieldset[data-method=btp]'), false);
    await page.selectOption('#start-form select[name=method]', 'baseline');
    await page.fill('#start-form input[name=modelUrl]', '');
    await page.fill('#start-form input[name=maxProblems]', '6');
    await page.fill('#start-form input[name=concurrency]', '2');
    await page.selectOption('#start-form select[name=dataset]', 'mbpp');
    await page.click('#start-button');
    await page.waitForURL(/\/ui\/campaigns\/[^/]+$/);
    campaignUrl = page.url();
  });

  test('live progress reaches 100% and the pass@1 table says "simulated model"', async () => {
    await page.waitForFunction(() => /\(100%\)/.test(document.querySelector('#progress-text')?.textContent ?? ''), undefined, { timeout: 120_000 });
    await page.waitForFunction(() => (document.querySelector('#status-badge')?.textContent ?? '') === 'completed', undefined, { timeout: 60_000 });
    assert.match(await page.textContent('#progress-text') ?? '', /^6\/6 \(100%\)$/);
    assert.match(await page.textContent('#pass-table') ?? '', /simulated model/);
    assert.match(await page.textContent('#sim-note') ?? '', /say nothing about any real model/);
    // The event log grows over SSE: running, six problem_finished, completed.
    await page.waitForFunction(() => /completed/.test(document.querySelector('#events li:last-child')?.textContent ?? ''), undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#events li code', { hasText: 'problem_finished' }).count(), 6);
    // Each problem_finished event added its row to the problems table.
    assert.equal(await page.locator('#problems tbody tr').count(), 6, await page.locator('#problems').innerText());
    assert.match(await page.getAttribute('#temporal-link', 'href') ?? '', /\/namespaces\/default\/workflows\/campaign-/);
    // A finished campaign cannot be paused, resumed or cancelled: its buttons are disabled.
    await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('#pause-button')?.disabled === true);
    for (const b of ['#pause-button', '#resume-button', '#cancel-button']) assert.equal(await page.isDisabled(b), true, b);
    await stack.shot('dashboard-campaign');
  });

  test('pause, resume and cancel from the buttons: the badge follows, each writes its event, a cancelled campaign\'s buttons are disabled', async () => {
    const res = await fetch(`${server.url}/campaigns`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'mbpp', modelName: 'simulated-deepseek', maxProblems: 200, concurrency: 1 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const { campaignId } = await res.json() as { campaignId: string };
    await page.goto(`${server.url}/ui/campaigns/${campaignId}`);
    const badgeIs = (text: string) => page.waitForFunction((t) => document.querySelector('#status-badge')?.textContent === t, text, { timeout: 60_000 });
    await badgeIs('running');
    await page.click('#pause-button');
    await badgeIs('paused');
    assert.equal(await page.isDisabled('#pause-button'), true);
    await page.waitForFunction(() => /pause by browser/.test(document.querySelector('#events')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await stack.shot('dashboard-paused');
    await page.click('#resume-button');
    await badgeIs('running');
    await page.waitForFunction(() => /resume by browser/.test(document.querySelector('#events')?.textContent ?? ''), undefined, { timeout: 30_000 });
    page.once('dialog', (d) => { void d.accept(); });
    await page.click('#cancel-button');
    await badgeIs('cancelled');
    await page.waitForFunction(() => /cancel by browser/.test(document.querySelector('#events')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('#cancel-button')?.disabled === true, undefined, { timeout: 30_000 });
    for (const b of ['#pause-button', '#resume-button', '#cancel-button']) assert.equal(await page.isDisabled(b), true, b);
    await page.reload();
    for (const b of ['#pause-button', '#resume-button', '#cancel-button']) assert.equal(await page.isDisabled(b), true, `${b} after a reload`);
    assert.equal(await page.textContent('#status-badge'), 'cancelled');
  });

  test('the audit viewer shows the sample code, per-test verdicts and events', async () => {
    await page.goto(campaignUrl);
    const link = page.locator('#problems tbody tr a').first();
    const taskId = await link.textContent();
    await link.click();
    await page.waitForURL(/\/problems\//);
    assert.match(await page.textContent('h1') ?? '', new RegExp(`Problem ${taskId}`));
    assert.ok((await page.locator('pre.code').first().textContent() ?? '').length > 0);
    const verdicts = await page.locator('table.tests tbody tr').count();
    assert.equal(verdicts, 3, 'MBPP problems have three tests');
    assert.match(await page.textContent('body') ?? '', /problem_finished/);
    await stack.shot('dashboard-audit');
  });
});
