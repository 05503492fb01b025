/**
 * The status panel shows the engine's real facts, fetched through the contract: once in
 * Debian's Chromium against the serve host, once in Electron (where its binary exists).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { _electron, type Browser, type Page } from 'playwright';
import { onnxruntimeVersion, probeProviders, type ProviderStatus } from '../src/core/model/providers.ts';
import { electronBinary, launchChromium, repoRoot, resultsDir, startServeChild, tempDir, type ServeChild } from './harness.ts';

/** Checks the status panel against what this process's onnxruntime reports. */
async function expectRealStatus(page: Page, expected: readonly ProviderStatus[]): Promise<void> {
  const panel = page.getByTestId('status-panel').first();
  await panel.getByTestId('status-ready').waitFor();
  const rows = panel.getByTestId('provider');
  assert.equal(await rows.count(), expected.length, 'one row per provider this platform may have');
  for (const p of expected) {
    const row = panel.locator(`[data-testid="provider"][data-provider="${p.name}"]`);
    assert.equal(await row.getAttribute('data-available'), String(p.available), `${p.name} availability`);
    await row.getByText(p.available ? 'Available' : 'Unavailable', { exact: true }).waitFor();
  }
  assert.equal(await panel.getByTestId('onnxruntime-version').textContent(), onnxruntimeVersion());
}

/** Console errors and uncaught exceptions (a CSP violation shows up here). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

describe('status panel', () => {
  let expected: ProviderStatus[];
  before(async () => {
    expected = await probeProviders();
    assert.ok(
      expected.some((p) => p.name === 'cpu' && p.available),
      'cpu is available in the test process',
    );
    fs.mkdirSync(resultsDir, { recursive: true });
  });

  describe('in Chromium via the serve host', () => {
    let server: ServeChild;
    let browser: Browser;
    let dataDir: string;
    before(async () => {
      dataDir = tempDir('e2e-serve');
      [server, browser] = await Promise.all([startServeChild({ dataDir }), launchChromium()]);
    });
    after(async () => {
      await Promise.all([browser?.close(), server?.stop()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    for (const colorScheme of ['light', 'dark'] as const) {
      test(`shows the real execution providers (${colorScheme})`, async () => {
        const page = await browser.newPage({ colorScheme, viewport: { width: 1280, height: 860 } });
        const errors = collectErrors(page);
        await page.goto(server.openUrl);
        await expectRealStatus(page, expected);
        assert.equal(await page.getByTestId('data-dir').textContent(), dataDir);
        assert.equal(await page.locator('html').getAttribute('class'), colorScheme, 'theme follows the OS');
        await page.screenshot({ path: path.join(resultsDir, `status-${colorScheme}.png`) });
        assert.deepEqual(errors, [], 'no console errors (CSP violations, failed requests)');
        await page.close();
      });
    }

    test('navigation is keyboard reachable and Settings switches the theme', async () => {
      const page = await browser.newPage({ colorScheme: 'light' });
      await page.goto(server.openUrl);
      await page.getByTestId('status-ready').waitFor();
      const settings = page.getByRole('link', { name: 'Settings' });
      await settings.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
      assert.equal(await settings.getAttribute('aria-current'), 'page');
      await page.getByText('Dark', { exact: true }).click();
      await page.locator('html.dark').waitFor({ state: 'attached' });
      await page.getByTestId('status-ready').waitFor();
      await page.screenshot({ path: path.join(resultsDir, 'settings-dark.png') });
      await page.keyboard.press('Control+1');
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page.close();
    });
  });

  const electronPath = electronBinary();
  test('in Electron', { skip: electronPath ? false : 'skipped: Electron binary not installed' }, async () => {
    const dataDir = tempDir('e2e-electron');
    const app = await _electron.launch({
      executablePath: electronPath,
      args: [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      env: { ...process.env, SAE_EXPLORER_DATA: dataDir },
    });
    try {
      const page = await app.firstWindow();
      const errors = collectErrors(page);
      await expectRealStatus(page, expected);
      assert.equal(await page.getByTestId('transport').textContent(), 'Desktop app');
      await page.screenshot({ path: path.join(resultsDir, 'status-electron.png') });
      assert.deepEqual(errors, []);
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
