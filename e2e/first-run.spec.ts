import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright';
import { resultsDir, type ServeChild } from './harness.ts';
import { startHost, type E2eHost } from './support.ts';

/**
 * First run in a browser: with nothing chosen, the serve host opens the embedded demo and
 * indexes its corpus in the background; Models shows the progress, then the finished index.
 * A small reference fixture stands in for the demo (same layout) so the spec stays quick.
 */
describe('first run opens the embedded demo', () => {
  let server: ServeChild;
  let browser: Browser;
  let tmp: string;
  let host: E2eHost;
  before(async () => {
    const corpus = Array.from({ length: 200 }, (_, i) => ({ text: `Line ${i}: the quick brown fox jumps over the lazy dog.` }));
    host = await startHost('e2e-first-run', { demo: { fixture: 'gpt2-relu-l2pre', corpus } });
    ({ server, browser, tmp } = host);
  });
  after(() => host?.close());

  test('Models shows the demo, indexing progress, then the complete index', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Models' }).click();
    const ws = page.getByTestId('workspace');
    await ws.getByText('embedded demo').waitFor();
    assert.match((await ws.textContent()) ?? '', /gpt2-relu-l2pre|demo[/\\]model/);
    // the index completes in the background; the panel updates on the job's events
    await ws.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor({ timeout: 120_000 });
    assert.match((await ws.getByTestId('index-state').textContent()) ?? '', /complete · [\d,]+ tokens, 200 documents/);
    // the engine loads in the background; its facts appear when it is ready
    await ws.getByText('standard · d_in 64 · 256 latents').waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'models-demo.png') });

    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByTestId('job').filter({ hasText: 'done' }).first().waitFor();
    await page.close();
  });

  test('opening a model that does not exist shows why, inline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Models' }).click();
    const form = page.getByRole('form', { name: 'Open a model and an SAE' });
    await form.getByLabel('Model folder').fill(path.join(tmp, 'no-such-model'));
    await form.getByLabel('SAE').fill(path.join(tmp, 'no-such-sae'));
    await form.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('alert').filter({ hasText: 'no-such-model' }).waitFor();
    // the demo stays open
    await page.getByTestId('workspace').getByText('embedded demo').waitFor();
    await page.close();
  });
});
