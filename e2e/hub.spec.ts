import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import { fixtureRepos, TestHub } from '#testing/hub/test-hub-server.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { startHost, type E2eHost } from './support.ts';

/**
 * Models screen against a local hub (HF_ENDPOINT) and a temporary HF cache (HF_HUB_CACHE):
 * pull an SAE from the catalog and a model from the repo form with live progress, see both
 * in the HF cache, open them as the workspace, and see a missing repo reported.
 */
describe('pulling from the HuggingFace Hub in the Models screen', () => {
  let server: ServeChild;
  let browser: Browser;
  let hub: TestHub;
  let tmp: string;
  let page: Page;
  let host: E2eHost;
  const SAE = 'jbloom/GPT2-Small-SAEs-Reformatted';
  // the folder the local picker browses: outside the host's own roots, so granted (`serve --allow-dir`)
  const pickerRef = referenceCases().find((c) => c.name === 'gpt2-topk-l1post')!;

  before(async () => {
    hub = await TestHub.start({ repos: fixtureRepos(referenceCases()) });
    // a small stand-in for the embedded demo (as first-run.spec does), so boot stays quick
    host = await startHost('e2e-hub', {
      demo: { fixture: 'gpt2-relu-l2pre', corpus: [{ text: 'a tiny corpus' }] },
      allowDirs: [pickerRef.dir],
      env: (tmp) => ({
        HF_ENDPOINT: hub.url,
        HF_HUB_CACHE: path.join(tmp, 'hf-cache'),
        HF_HOME: path.join(tmp, 'hf-home'),
        HF_TOKEN: '',
        HF_HUB_OFFLINE: '',
      }),
    });
    ({ server, browser, tmp } = host);
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Models' }).click();
  });
  after(async () => {
    await host?.close();
    await hub?.close();
  });

  test('an SAE from the catalog: choose the layer, pull, watch bytes arrive, then its folder in the HF cache', async () => {
    // slow enough to see the progress: 8 KiB every 40 ms
    hub.slowMs = 40;
    hub.chunkBytes = 8 * 1024;
    const catalog = page.getByTestId('hub-catalog');
    await catalog.getByRole('searchbox').fill('gpt2 resid_pre');
    const entry = catalog.locator('[data-testid=catalog-entry][data-name="gpt2-small-res-jb"]');
    await entry.getByRole('button', { name: 'Choose' }).click();
    await entry.getByLabel('Layer').selectOption('2');
    await entry.getByText(`${SAE}:blocks.2.hook_resid_pre`).waitFor();
    await entry.getByRole('button', { name: 'Pull SAE' }).click();

    const row = page.locator('[data-testid=download]').filter({ hasText: `${SAE}:blocks.2.hook_resid_pre` });
    await row.locator('[data-testid=download-file][data-state=downloading]').first().waitFor();
    await row
      .getByTestId('download-progress')
      .filter({ hasText: /[1-9][\d.]* kB \/ \d[\d.]* kB/ })
      .waitFor();
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(resultsDir, 'hub-pull-progress.png') });
    hub.slowMs = 0;

    await page
      .locator(`[data-testid=download][data-state=done]`)
      .filter({ hasText: 'blocks.2.hook_resid_pre' })
      .waitFor({ timeout: 60_000 });
    const folder = path.join(
      tmp,
      'hf-cache',
      'models--jbloom--GPT2-Small-SAEs-Reformatted',
      'snapshots',
      hub.commit(SAE),
      'blocks.2.hook_resid_pre',
    );
    assert.equal(await row.getByTestId('download-path').textContent(), folder);
    assert.deepEqual(fs.readdirSync(folder).sort(), ['cfg.json', 'sae_weights.safetensors']);
    assert.equal(await row.locator('[data-testid=download-file][data-state=done]').count(), 2);
  });

  test('a Gemma Scope SAE: the L0 choices come from the hub', async () => {
    const catalog = page.getByTestId('hub-catalog');
    await catalog.getByRole('searchbox').fill('gemma-scope-2b-pt-res');
    const entry = catalog.locator('[data-testid=catalog-entry][data-name="gemma-scope-2b-pt-res"]');
    await entry.getByRole('button', { name: 'Choose' }).click();
    await entry.getByLabel('Layer').selectOption('1');
    await entry.getByRole('button', { name: 'List from the hub' }).click();
    const l0 = entry.getByLabel('Average L0');
    await l0.locator('option', { hasText: '40' }).waitFor({ state: 'attached' });
    assert.deepEqual(await l0.locator('option').allTextContents(), ['8', '40']);
    await l0.selectOption('40');
    await entry.getByRole('button', { name: 'Pull SAE' }).click();
    await page.locator('[data-testid=download][data-state=done]').filter({ hasText: 'average_l0_40' }).waitFor({ timeout: 60_000 });
  });

  test('a model from the repo form, then both opened as the workspace from the downloads', async () => {
    await page.getByRole('tab', { name: 'Hub repo' }).click();
    const form = page.getByRole('form', { name: 'Pull from a hub repo' });
    await form.getByLabel('Repo id').fill('ref/gpt2-relu-l2pre-model');
    await form.getByLabel('Kind').selectOption('model');
    await form.getByRole('button', { name: 'Pull' }).click();
    const row = page.locator('[data-testid=download][data-state=done]').filter({ hasText: 'ref/gpt2-relu-l2pre-model' });
    await row.waitFor({ timeout: 60_000 });
    const modelPath = (await row.getByTestId('download-path').textContent()) ?? '';
    assert.equal(
      modelPath,
      path.join(tmp, 'hf-cache', 'models--ref--gpt2-relu-l2pre-model', 'snapshots', hub.commit('ref/gpt2-relu-l2pre-model')),
    );

    // a repo that does not exist: the download fails and says so
    await form.getByLabel('Repo id').fill('nobody/nothing');
    await form.getByLabel('Kind').selectOption('');
    await form.getByRole('button', { name: 'Pull' }).click();
    await page
      .locator('[data-testid=download][data-state=failed]')
      .filter({ hasText: 'nobody/nothing' })
      .getByText(/repository "nobody\/nothing" not found on http:\/\/127\.0\.0\.1:\d+/)
      .waitFor();

    await row.getByRole('button', { name: 'Use as model' }).click();
    await page
      .locator('[data-testid=download][data-state=done]')
      .filter({ hasText: 'blocks.2.hook_resid_pre' })
      .getByRole('button', { name: 'Use as SAE' })
      .click();
    const open = page.getByRole('form', { name: 'Open a model and an SAE' });
    assert.equal(await open.getByLabel('Model folder').inputValue(), modelPath);
    assert.match(await open.getByLabel('SAE').inputValue(), /models--jbloom--GPT2-Small-SAEs-Reformatted.*blocks\.2\.hook_resid_pre$/);
    await open.getByRole('button', { name: 'Open' }).click();
    const ws = page.getByTestId('workspace');
    await ws.getByText('models--ref--gpt2-relu-l2pre-model').waitFor();
    await ws.getByText('standard · d_in 64 · 256 latents').waitFor({ timeout: 60_000 });
    assert.match((await ws.textContent()) ?? '', /Runs on\s*cpu/);

    // the HF cache tab lists what was pulled, shared with Python tools
    await page.getByRole('tab', { name: 'HF cache' }).click();
    const cached = page.getByTestId('hub-cached');
    await cached.locator('[data-testid=cached-item][data-kind=model]').filter({ hasText: 'ref/gpt2-relu-l2pre-model' }).waitFor();
    await cached
      .locator('[data-testid=cached-item][data-kind=sae]')
      .filter({ hasText: `${SAE}:blocks.2.hook_resid_pre` })
      .waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'hub-models.png') });

    // the local folder picker starts at the folders the host may reach: its own and the granted one
    const ref = pickerRef;
    await page.getByRole('tab', { name: 'Local folder' }).click();
    const picker = page.getByTestId('folder-picker');
    await picker.locator('[data-testid=folder-entry][data-root=granted]').filter({ hasText: ref.dir }).waitFor();
    await picker.locator('[data-testid=folder-entry][data-root=hf-cache]').waitFor();
    // a folder elsewhere is refused, saying how to grant it
    await picker.getByRole('textbox', { name: 'Folder' }).fill('/etc');
    await picker.getByRole('button', { name: 'Go', exact: true }).click();
    await picker.getByText(/folder \/etc is outside the folders the app may reach.*--allow-dir \/etc/).waitFor();
    // it marks model and SAE folders and fills the form
    await picker.getByRole('textbox', { name: 'Folder' }).fill(ref.dir);
    await picker.getByRole('button', { name: 'Go', exact: true }).click();
    await picker.getByTestId('folder-current').filter({ hasText: ref.dir }).waitFor();
    await picker.locator('[data-testid=folder-entry][data-kind=model]').getByRole('button', { name: 'Use as model' }).click();
    assert.equal(await open.getByLabel('Model folder').inputValue(), ref.modelDir);
    await picker.locator('[data-testid=folder-entry][data-kind=sae]').getByRole('button', { name: 'Use as SAE' }).click();
    assert.equal(await open.getByLabel('SAE').inputValue(), ref.saeDir);
    await page.getByTestId('downloads').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(resultsDir, 'hub-downloads.png') });
  });
});
