import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import type { WorkspaceInfo } from '../src/shared/workspace-types.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { callApi, startHost, type E2eHost } from './support.ts';

/**
 * A corpus with a line that is not UTF-8 fails its index job. Features (in any tab) and Models
 * say so, with Retry and a “replace invalid bytes” choice; Jobs offers the same. A retry as it
 * was fails again, and Features follows the new failure; a retry with the choice completes
 * the index, and the choice is remembered. A small reference fixture stands in for the demo.
 */
describe('a failed index job', () => {
  let server: ServeChild;
  let browser: Browser;
  let host: E2eHost;
  const at = (hash: string): string => new URL(hash, server.url).href;

  before(async () => {
    const corpus = Array.from({ length: 120 }, (_, i) => ({ text: `Line ${i}: the quick brown fox jumps over the lazy dog.` }));
    // Latin-1 bytes (caf\xe9) in a JSONL line: invalid UTF-8
    const tail = Buffer.concat([Buffer.from('{"text": "un caf'), Buffer.from([0xe9]), Buffer.from(' au lait"}\n')]);
    host = await startHost('e2e-failed-index', { demo: { fixture: 'gpt2-relu-l2pre', corpus, tail } });
    ({ server, browser } = host);
  });
  after(() => host?.close());

  /** A new tab that has opened the host's URL (its token cookie), then `hash`. */
  async function open(hash: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.openUrl);
    await page.goto(at(hash));
    return page;
  }

  const failure = (page: Page) => page.locator('[data-testid="index-problem"][data-state="failed"]');

  test('Features and Models show the failure with Retry and a “replace invalid bytes” choice', async () => {
    const page = await open('#/features');
    const problem = failure(page);
    await problem.waitFor({ timeout: 120_000 });
    assert.match((await problem.textContent()) ?? '', /Indexing failed.*corpus\.jsonl.*invalid UTF-8 at byte \d+/);
    assert.doesNotMatch((await problem.textContent()) ?? '', /--invalid-utf8/, 'no CLI flag as advice');
    const replace = problem.getByRole('checkbox', { name: /Replace invalid bytes/ });
    assert.equal(await replace.isChecked(), true);
    await problem.getByRole('button', { name: /^Retry / }).waitFor();
    assert.equal(await page.getByTestId('explorer-indexing').count(), 0, 'not “Indexing…” forever');

    // the other explorer tabs, and a fresh tab on Models, say the same
    await page.goto(at('#/features/3'));
    await failure(page).waitFor();
    const models = await open('#/models');
    await failure(models)
      .getByRole('checkbox', { name: /Replace invalid bytes/ })
      .waitFor();
    assert.match((await models.getByTestId('index-state').textContent()) ?? '', /^failed/);
    await models.screenshot({ path: path.join(resultsDir, 'failed-index-models.png'), fullPage: true });
    await models.close();
    await page.close();
  });

  test('Jobs: a retry as it was fails again, and the workspace follows the new job', async () => {
    const page = await open('#/jobs');
    const failed = page.locator('[data-testid="job"][data-state="failed"]');
    await failed.first().waitFor();
    assert.equal(await failed.count(), 1);
    assert.match((await failed.getByTestId('job-times').textContent()) ?? '', /^started .* · took /);
    await failed.getByRole('checkbox', { name: /Replace invalid bytes/ }).uncheck();
    await failed.getByRole('button', { name: /^Retry / }).click();
    // the first job now points at its retry, which fails the same way
    await page.locator('[data-testid="job"][data-state="failed"]', { hasText: 'Retried: the newer job above' }).waitFor();
    await page.locator('[data-testid="job"][data-state="failed"]').nth(1).waitFor({ timeout: 60_000 });
    const info = await callApi<WorkspaceInfo>(page, 'workspace.get', {});
    const latest = await page.locator('[data-testid="job"][data-state="failed"]').first().getAttribute('data-job');
    assert.equal(info.lastIndexJob?.id, latest, 'the workspace follows the retried job');
    await page.close();
  });

  test('Retry with “replace invalid bytes” completes the index, and the choice is remembered', async () => {
    const page = await open('#/features');
    const problem = failure(page);
    await problem.waitFor();
    assert.equal(await problem.getByRole('checkbox', { name: /Replace invalid bytes/ }).isChecked(), true);
    await problem.getByRole('button', { name: /^Retry / }).click();
    // the explorer opens on the finished index: 120 lines and the one with its bad byte replaced
    await page.getByTestId('result-count').waitFor({ timeout: 120_000 });
    const info = await callApi<WorkspaceInfo>(page, 'workspace.get', {});
    assert.equal(info.index?.state, 'complete');
    assert.equal(info.index?.documents, 121);
    assert.equal(info.selection?.invalidUtf8, 'replace');
    assert.equal(info.lastIndexJob?.state, 'done');

    await page.goto(at('#/models'));
    assert.match((await page.getByTestId('index-state').filter({ hasText: 'complete' }).textContent()) ?? '', /121 documents/);
    assert.equal(await page.getByTestId('index-problem').count(), 0);
    await page.goto(at('#/jobs'));
    await page.locator('[data-testid="job"][data-state="done"]').first().waitFor();
    assert.equal(await page.getByTestId('retry-job').count(), 0, 'nothing left to retry');
    await page.close();

    // after a restart the remembered choice still reads the corpus the same way
    server = await host.restartServer();
    const again = await open('#/models');
    await again.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor();
    const after = await callApi<WorkspaceInfo>(again, 'workspace.get', {});
    assert.equal(after.selection?.invalidUtf8, 'replace');
    assert.equal(after.index?.documents, 121);
    await again.close();
  });
});
