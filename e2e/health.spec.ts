import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright';
import { REPORT_NUMBER_FIELDS } from '#testing/health/test-support.ts';
import { referenceCases } from '#testing/fixtures.ts';
import { repoRoot, resultsDir, type ServeChild } from './harness.ts';
import { startHost, type E2eHost } from './support.ts';

/**
 * The Health screen in a browser: run the evaluation of the workspace's SAE from the
 * screen, watch its progress, read the numbers and export them as JSON; compare the SAE's
 * dictionary with itself and browse the matched pairs. On the real embedded demo, so the
 * figures are a trained SAE's (the demo's README promises variance explained ≥ 80%).
 */
describe('Health screen', () => {
  let server: ServeChild;
  let browser: Browser;
  let tmp: string;
  let saeDir: string;
  let host: E2eHost;
  before(async () => {
    // the other SAE compared below lives outside the host's own roots: granted, as `serve --allow-dir` does
    host = await startHost('e2e-health', { allowDirs: [referenceCases().find((c) => c.name === 'gpt2-topk-l1post')!.dir] });
    ({ server, browser, tmp } = host);
    saeDir = path.join(repoRoot, 'resources', 'demo', 'sae');
  });
  after(() => host?.close());

  test('run the evaluation from the Health screen, see the numbers, export them', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Health' }).click();
    const panel = page.getByTestId('health-evaluation');
    await panel.getByTestId('health-empty').waitFor();

    const form = page.getByRole('form', { name: 'Run evaluation' });
    await form.getByLabel('Max tokens').fill('6000');
    await form.getByRole('button', { name: 'Run evaluation' }).click();
    // the job reports progress, then the stored report replaces it
    await panel.getByTestId('health-progress').waitFor();
    await panel.getByTestId('health-metrics').waitFor({ timeout: 120_000 });

    const metric = async (id: string): Promise<string> =>
      (await panel.getByTestId(`metric-${id}`).getByTestId('metric-value').textContent()) ?? '';
    assert.equal(await metric('l0'), '24'); // a TopK SAE with k = 24
    const percent = async (id: string): Promise<number> => Number(/^(-?[\d.]+)%$/.exec(await metric(id))?.[1]);
    assert.ok((await percent('variance_explained')) >= 80, await metric('variance_explained'));
    assert.ok((await percent('ce_loss_recovered')) >= 80, await metric('ce_loss_recovered'));
    for (const id of ['ce_clean', 'ce_recon', 'ce_zero', 'kl_recon', 'mse', 'l1']) assert.match(await metric(id), /^-?[\d.,e+-]+$/, id);
    assert.match(await metric('dead'), /^[\d,]+ \/ 1,536$/);
    assert.match((await panel.getByTestId('health-basis').textContent()) ?? '', /6,000 tokens/);
    await panel.getByTestId('density-histogram').locator('.recharts-bar-rectangle').first().waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'health-evaluation.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export JSON' }).click()]);
    assert.match(download.suggestedFilename(), /^health-sae-corpus-6000\.json$/);
    const file = path.join(tmp, download.suggestedFilename());
    await download.saveAs(file);
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const k of [...REPORT_NUMBER_FIELDS, 'density_histogram']) assert.ok(k in json, k);
    assert.equal(json['l0'], 24);
    assert.equal(json['tokens'], 6000);

    // the report is kept: a fresh visit shows it without running again
    await page.reload();
    await page.getByTestId('health-metrics').waitFor();
    await page.close();
  });

  test('compare the dictionary with itself and browse the matched pairs', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Health' }).click();
    const form = page.getByRole('form', { name: 'Compare dictionaries' });
    await form.getByLabel('SAE B').fill(saeDir);
    await form.getByRole('button', { name: 'Compare' }).click();
    const result = page.getByTestId('compare-result');
    await result.waitFor();
    assert.match((await result.getByTestId('compare-shares').textContent()) ?? '', /best cosine > 0\.9100\.0%/);
    const rows = result.getByTestId('compare-pair');
    assert.equal(await rows.count(), 25);
    assert.match((await rows.first().textContent()) ?? '', /^(\d+)\1(1\.0000|0\.9999)$/);
    await result.getByRole('button', { name: 'Next' }).click();
    await result.getByText('26–50 of 1,536').waitFor();
    await page.screenshot({ path: path.join(resultsDir, 'health-compare.png'), fullPage: true });
    // an A latent opens its feature page
    const link = rows.first().getByRole('link', { name: /^A feature \d+$/ });
    const id = (await link.textContent())!;
    await link.click();
    await page.waitForURL(new RegExp(`#/features/${id}$`));

    // SAEs on different hooks are refused, inline
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Health' }).click();
    const other = referenceCases().find((c) => c.name === 'gpt2-topk-l1post')!; // blocks.1.hook_resid_post
    await page.getByRole('form', { name: 'Compare dictionaries' }).getByLabel('SAE B').fill(other.saeDir);
    await page.getByRole('form', { name: 'Compare dictionaries' }).getByRole('button', { name: 'Compare' }).click();
    await page.getByRole('alert').filter({ hasText: 'same hook' }).waitFor();
    await page.close();
  });
});
