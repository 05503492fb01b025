import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import type { SessionExport, SteerSession } from '../src/shared/steer-types.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { callApi, startHost, type E2eHost } from './support.ts';

/**
 * Steering in Chromium through the serve host, on the real embedded demo (GPT-2 2.6M + TopK
 * SAE, 1536 features; feature 444 fires on the first digits of numbers and years): a strong
 * clamp changes the continuation, a run can be cancelled, sessions survive a restart of the
 * host, and export + import give the same session.
 */

/** Sets the theme the way the Settings screen stores it, before the page's scripts run. */
async function newPage(browser: Browser, theme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  await page.addInitScript(`localStorage.setItem('sae-explorer.theme', ${JSON.stringify(theme)})`);
  return page;
}

const continuation = async (page: Page, side: 'default' | 'steered'): Promise<string> =>
  (await page.getByTestId(`steer-output-${side}`).locator('[data-index]').allTextContents()).join('');

describe('steering on the embedded demo', () => {
  let server: ServeChild;
  let browser: Browser;
  let tmp: string;
  let page: Page;
  let first: { default: string; steered: string; id: string };
  let host: E2eHost;

  before(async () => {
    host = await startHost('e2e-steer');
    ({ server, browser, tmp } = host);
  });
  after(() => host?.close());

  test('a strong clamp of feature 444 makes the steered text differ from the default', async () => {
    page = await newPage(browser, 'dark');
    await page.goto(server.openUrl);
    // the serve host opens the demo and indexes its corpus: the value presets need the index's max
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor({ timeout: 120_000 });

    // from a feature page elsewhere: #/steer?add=444
    await page.goto(new URL('#/steer?add=444', server.openUrl).href);
    const row = page.locator('[data-testid="steer-feature"][data-feature="444"]');
    await row.waitFor();
    await row
      .getByTestId('feature-max')
      .filter({ hasText: /max activation \d/ })
      .waitFor();
    await row.getByRole('button', { name: '×10 max' }).click();
    const max = Number((await row.getByTestId('feature-max').textContent())!.replace(/[^\d.]/g, ''));
    const value = Number(await row.getByLabel('Value for feature 444').inputValue());
    assert.ok(max > 0 && Math.abs(value - 10 * max) <= 0.01 * value, `value ${value} is 10 × max ${max}`);

    await page.getByRole('textbox', { name: 'Prompt' }).fill('The meeting was held on May');
    await page
      .getByTestId('prompt-token-count')
      .filter({ hasText: /^7 tokens/ })
      .waitFor();
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid="steer-status"][data-state="done"]').waitFor({ timeout: 30_000 });

    const d = await continuation(page, 'default');
    const s = await continuation(page, 'steered');
    assert.ok(d.length > 0 && s.length > 0);
    assert.notEqual(s, d, 'the clamp changes the continuation');
    assert.ok((await page.locator('[data-diverged="true"]').count()) > 0, 'the divergence is highlighted');
    // each token's log-probability on hover
    await page.getByTestId('steer-output-steered').locator('[data-index="0"]').hover();
    await page
      .getByTestId('steer-inspector')
      .filter({ hasText: /Steered token 1 .*log p -\d/ })
      .waitFor();
    // the prompt's next token: top 10 default vs steered
    const next = page.getByTestId('steer-next');
    assert.equal(await next.getByRole('table', { name: 'Most likely by default' }).locator('tbody tr').count(), 10);
    assert.equal(await next.getByRole('table', { name: 'Most likely when steered' }).locator('tbody tr').count(), 10);

    const rows = page.getByTestId('session-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    first = { default: d, steered: s, id: (await rows.first().getAttribute('data-session'))! };
    await page.getByTestId('steer-session').scrollIntoViewIfNeeded();
    await page.evaluate('document.getElementById("steer-results").scrollIntoView()');
    await page.screenshot({ path: path.join(resultsDir, 'steer-dark.png') });
  });

  test('the same screen reads well in light, and errors show inline', async () => {
    const light = await newPage(browser, 'light');
    await light.goto(new URL('#/steer', server.openUrl).href);
    // a new browser profile: nothing shown until a session is opened from the list
    await light.getByTestId('session-row').first().getByTitle('Open this session').click();
    await light.locator('[data-testid="steer-status"][data-state="done"]').waitFor();
    assert.equal(await continuation(light, 'steered'), first.steered);
    await light.screenshot({ path: path.join(resultsDir, 'steer-light.png') });
    const box = light.getByLabel('Feature id or search');
    await box.fill('99999');
    await box.press('Enter');
    await light.getByRole('alert').filter({ hasText: 'feature 99999 is out of range: this SAE has features 0–1535' }).waitFor();
    // from search: feature 320 fires on " years"
    await box.fill('years');
    await box.press('Enter');
    await light.getByRole('button', { name: 'Add feature 320' }).click();
    await light
      .locator('[data-testid="steer-feature"][data-feature="320"]')
      .getByText(/max activation \d/)
      .waitFor();
    await light.close();
  });

  test('Escape cancels a run, which is kept with what it produced', async () => {
    await page.getByLabel('Max new tokens').fill('230');
    await page.getByLabel('sample', { exact: true }).check();
    await page.getByRole('button', { name: /^Run/ }).click();
    await page.getByTestId('steer-output-steered').locator('[data-index="2"]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="steer-status"][data-state="cancelled"]').waitFor();
    const kept = await page.getByTestId('steer-output-default').locator('[data-index]').count();
    assert.ok(kept > 0 && kept < 230, `${kept} tokens kept`);
    await page.getByTestId('session-row').nth(1).waitFor();
    assert.equal(await page.getByTestId('session-row').count(), 2);
    await page.close();
  });

  test('sessions are listed after the serve host restarts', async () => {
    server = await host.restartServer();
    page = await newPage(browser, 'dark');
    await page.goto(new URL('#/steer', server.openUrl).href);
    const row = page.locator(`[data-testid="session-row"][data-session="${first.id}"]`);
    await row.waitFor();
    assert.equal(await page.getByTestId('session-row').count(), 2);
    // reopen the first run: its outputs come back as they were
    await row.getByTitle('Open this session').click();
    await page.getByTestId('steer-session-name').filter({ hasText: 'clamp 444' }).waitFor();
    await page.locator('[data-testid="steer-status"][data-state="done"]').waitFor();
    assert.equal(await continuation(page, 'default'), first.default);
    assert.equal(await continuation(page, 'steered'), first.steered);
  });

  test('export, then import, gives the same session', async () => {
    const row = page.locator(`[data-testid="session-row"][data-session="${first.id}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Export session/ }).click()]);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    const exported = JSON.parse(fs.readFileSync(file, 'utf8')) as SessionExport;
    assert.equal(exported.format, 'sae-explorer.steer-session');
    assert.equal(exported.session.id, first.id);
    assert.match(exported.session.identity.model, /demo[/\\]model$/);
    assert.equal(exported.session.identity.hook, 'blocks.2.hook_resid_pre');

    await page.getByLabel('Import a session file').setInputFiles(file);
    await page.getByTestId('session-row').nth(2).waitFor();
    assert.equal(await page.getByTestId('session-row').count(), 3);
    const ids = await page.getByTestId('session-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-session')));
    // the imported session opens: its outputs are the original's
    await page.locator(`[data-testid="session-row"][data-session="${ids[0]}"]`).waitFor();
    assert.notEqual(ids[0], first.id, 'the import gets a new id and shows first');
    await page.locator('[data-testid="steer-status"][data-state="done"]').waitFor();
    assert.equal(await continuation(page, 'steered'), first.steered);

    const original = await callApi<SteerSession>(page, 'session.get', { id: first.id });
    const imported = await callApi<SteerSession>(page, 'session.get', { id: ids[0] });
    for (const key of ['prompt', 'interventions', 'settings', 'outputs', 'identity', 'next', 'name', 'createdAt', 'state'] as const) {
      assert.deepEqual(imported[key], original[key], key);
    }
    assert.deepEqual(imported.outputs, exported.session.outputs);

    // fork: edit the first session and run it again as a new session
    await row.getByRole('button', { name: /^Fork session/ }).click();
    await page.getByTestId('forked-from').waitFor();
    await page.getByLabel('Value for feature 444').fill('0');
    await page.getByRole('button', { name: /^Run/ }).click();
    await page.getByTestId('session-row').nth(3).waitFor();
    await page.locator('[data-testid="steer-status"][data-state="done"]').waitFor();
    const list = await callApi<{ id: string; forkedFrom: string | null }[]>(page, 'session.list', {});
    assert.equal(list[0]!.forkedFrom, first.id);
    await page.screenshot({ path: path.join(resultsDir, 'steer-sessions.png') });
    await page.close();
  });
});
