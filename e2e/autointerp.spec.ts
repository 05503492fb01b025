import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import { answer, mockServer, roundItems, type MockServer } from '#testing/autointerp/test-support.ts';
import type { FeatureSearchResult } from '../src/shared/explorer-types.ts';
import type { WorkspaceInfo } from '../src/shared/workspace-types.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { callApi, startHost, type E2eHost } from './support.ts';

/**
 * Automatic interpretation in the browser: the explainer set in Settings is a scripted
 * chat-completions server on loopback (as a local llama.cpp server would be); Explain on a
 * feature page streams the explanation, then its scores; a label search finds the auto
 * explanation (marked as such) in the feature list; the user accepts it as their label.
 */
describe('automatic interpretation with a local chat-completions server', () => {
  let server: ServeChild;
  let browser: Browser;
  let host: E2eHost;
  let explainer: MockServer;
  let db = '';
  let feature = 0;

  before(async () => {
    explainer = await mockServer((body, _n, res) => {
      const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
      if (system.includes('[EXPLANATION]')) return answer(res, 'Let me look.\n[EXPLANATION]: shimmering fox sentences', body.stream);
      // scoring rounds: "yes" on every other item
      answer(
        res,
        `[${roundItems(body.messages)
          .map((_, i) => (i % 2 === 0 ? 1 : 0))
          .join(', ')}]`,
        body.stream,
      );
    });
    const corpus = Array.from({ length: 200 }, (_, i) => ({ text: `Line ${i}: the quick brown fox jumps over the lazy dog.` }));
    host = await startHost('e2e-autointerp', { demo: { fixture: 'gpt2-relu-l2pre', corpus } });
    ({ server, browser } = host);
    const page = await newPage();
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor({ timeout: 120_000 });
    const ws = await callApi<WorkspaceInfo>(page, 'workspace.get', {});
    db = ws.db!;
    // a feature that fires often enough to score, and rarely enough that other contexts lack it
    const all = await callApi<FeatureSearchResult>(page, 'feature.search', { db, query: { kind: 'all' }, sort: 'count', limit: 5000 });
    feature = all.rows.filter((r) => r.count >= 12).at(-1)!.id;
    await page.close();
  });
  after(async () => {
    await host?.close();
    await explainer?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(server.openUrl);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  test('Settings → endpoint; Explain on a feature page shows the explanation and its scores; label search finds it', async () => {
    const page = await newPage();
    await page.getByRole('link', { name: 'Settings' }).click();
    const form = page.getByTestId('explainer-settings');
    await form.getByLabel('OpenAI-compatible endpoint').fill(explainer.url);
    await form.getByLabel('Endpoint model name').fill('scripted-e2e');
    await form.getByRole('button', { name: 'Save explainer' }).click();
    await until(async () => (await callApi<{ endpoint: string | null }>(page, 'autointerp.settings', {})).endpoint === explainer.url);

    await page.goto(new URL(`#/features/${feature}`, server.url).href);
    const auto = page.getByTestId('auto-explanations');
    await auto.getByRole('button', { name: 'Explain this feature' }).click();
    const item = auto.getByTestId('auto-explanation').filter({ hasText: 'shimmering fox sentences' });
    await item.waitFor({ timeout: 60_000 });
    assert.match((await item.textContent()) ?? '', /auto · scripted-e2e/);
    const detection = (await item.getByTestId('auto-score-detection').textContent()) ?? '';
    const fuzzing = (await item.getByTestId('auto-score-fuzzing').textContent()) ?? '';
    assert.match(detection, /^detection (0|1)\.\d\d$/);
    assert.match(fuzzing, /^fuzzing (0|1)\.\d\d$/);
    assert.ok(explainer.stats.requests >= 3, 'explain, detection and fuzzing went to the local server');
    await page.screenshot({ path: path.join(resultsDir, 'autointerp-feature.png') });

    // the label search finds the auto explanation, marked as auto, with its scores in the row
    await page.goto(new URL('#/features', server.url).href);
    await page.getByLabel('Search features').fill('shimmering');
    const row = page.locator(`[data-testid="feature-row"][data-feature="${feature}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.getByTestId('row-auto-explanation').textContent()) ?? '', /^auto\s*shimmering fox sentences/);
    assert.match((await row.getByTestId('row-auto-scores').textContent()) ?? '', /det [01]\.\d\d · fuzz [01]\.\d\d/);

    // accepted as the label only by the user's click
    await page.goto(new URL(`#/features/${feature}`, server.url).href);
    const label = page.getByLabel('Label');
    await label.waitFor();
    assert.equal(await label.inputValue(), '', 'no label written automatically');
    await page
      .getByTestId('auto-explanation')
      .first()
      .getByRole('button', { name: /use as my label/ })
      .click();
    await until(async () => (await page.getByLabel('Label').inputValue()) === 'shimmering fox sentences');
    const stored = await callApi<{ label: string } | null>(page, 'annotation.get', { feature });
    assert.equal(stored?.label, 'shimmering fox sentences');
    await page.close();
  });
});

/** Polls `check` until it holds (10 s at most). */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
