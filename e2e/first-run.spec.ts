import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright';
import { referenceCases } from '../src/core/testing/fixtures.ts';
import { launchChromium, resultsDir, startServeChild, tempDir, type ServeChild } from './harness.ts';

/**
 * First run in a browser: with nothing chosen, the serve host opens the embedded demo and
 * indexes its corpus in the background; Models shows the progress, then the finished index.
 * A small reference fixture stands in for the demo (same layout) so the spec stays quick.
 */
describe('first run opens the embedded demo', () => {
  let server: ServeChild;
  let browser: Browser;
  let tmp: string;
  before(async () => {
    tmp = tempDir('e2e-first-run');
    const ref = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
    const demo = path.join(tmp, 'resources', 'demo');
    fs.cpSync(ref.modelDir, path.join(demo, 'model'), { recursive: true });
    fs.cpSync(ref.saeDir, path.join(demo, 'sae'), { recursive: true });
    const docs = Array.from({ length: 200 }, (_, i) => JSON.stringify({ text: `Line ${i}: the quick brown fox jumps over the lazy dog.` }));
    fs.writeFileSync(path.join(demo, 'corpus.jsonl'), `${docs.join('\n')}\n`);
    fs.mkdirSync(resultsDir, { recursive: true });
    [server, browser] = await Promise.all([
      startServeChild({ dataDir: path.join(tmp, 'data'), env: { SAE_EXPLORER_RESOURCES: path.join(tmp, 'resources') } }),
      launchChromium(),
    ]);
  });
  after(async () => {
    await Promise.all([browser?.close(), server?.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

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
