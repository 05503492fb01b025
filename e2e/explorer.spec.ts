import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import type { Annotation } from '../src/shared/annotation-types.ts';
import type { FeatureDashboard, WorkspaceInfo } from '../src/shared/contract.ts';
import type { FeatureAblation, FeatureCooccurrence, PromptRanking } from '../src/shared/explorer-types.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { callApi, startHost, type E2eHost } from './support.ts';

/**
 * The feature explorer in Chromium through the serve host, on the real embedded demo (GPT-2
 * 2.6M + TopK SAE, 1536 features, its Brown-corpus index built on first run). Its README
 * names feature 320 "spans of time" (strongest on ' years'): search by token and by prompt
 * find it, its page samples a dragged activation range and shows its top tokens, logit
 * histogram, co-occurring features, typed text and the effect of ablating it; it gets
 * annotated, the SAE gets Neuronpedia ids, and annotations are exported (JSON, CSV, Neuronpedia
 * rows) and imported back, with Neuronpedia explanation files (gzipped, mapped from another
 * SAE). Screenshots of each screen go to test-results/.
 */

/** Console errors and uncaught exceptions (a CSP violation shows up here). */
function collectErrors(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') into.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => into.push(`${page.url()}: ${e.message}`));
  // Which request failed and why (the console line alone only gives the status).
  page.on('response', (r) => {
    if (r.status() < 400) return;
    void r
      .text()
      .catch(() => '')
      .then((body) =>
        into.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()} ${r.request().postData() ?? ''} → ${body}`),
      );
  });
}

/** Scrolls the screen so `selector` is in view, then saves a screenshot. */
async function shot(page: Page, name: string, scrollTo?: string): Promise<void> {
  if (scrollTo) await page.locator(scrollTo).first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(resultsDir, `explorer-${name}.png`) });
}

const FEATURE = 320; // "spans of time" in resources/demo/README.md

/** The columns of Neuronpedia's explanation dataset exports, in their order. */
const NEURONPEDIA_COLUMNS = [
  'id',
  'modelId',
  'layer',
  'index',
  'authorId',
  'description',
  'embedding',
  'typeName',
  'explanationModelName',
  'umap_x',
  'umap_y',
  'umap_cluster',
  'umap_log_feature_sparsity',
];

describe('feature explorer on the embedded demo', () => {
  let server: ServeChild;
  let browser: Browser;
  let tmp: string;
  let page: Page;
  let info: WorkspaceInfo;
  const errors: string[] = [];
  let host: E2eHost;

  before(async () => {
    host = await startHost('e2e-explorer');
    ({ server, browser, tmp } = host);
    page = await browser.newPage({ viewport: { width: 1440, height: 960 }, colorScheme: 'light', acceptDownloads: true });
    collectErrors(page, errors);
  });
  after(() => host?.close());

  test('while the demo is indexed the explorer says so, then shows every feature', async () => {
    await page.goto(`${server.openUrl}#/features`);
    // The first run indexes the demo corpus in the background (~15-30 s); the screen waits with progress.
    const waiting = page.getByTestId('explorer-indexing');
    const results = page.getByTestId('feature-results');
    await Promise.race([waiting.waitFor({ timeout: 60_000 }), results.waitFor({ timeout: 60_000 })]);
    // the job's progress events turn into a percentage
    const percent = waiting.filter({ hasText: /Indexing… \d+%/ });
    await Promise.race([percent.waitFor({ timeout: 60_000 }), results.waitFor({ timeout: 180_000 })]);
    if (await percent.isVisible()) await shot(page, 'indexing');
    await results.waitFor({ timeout: 180_000 });
    info = await callApi<WorkspaceInfo>(page, 'workspace.get', {});
    assert.equal(info.index?.state, 'complete');
    const dSae = info.index!.dSae;
    await page
      .getByTestId('result-count')
      .filter({ hasText: `${dSae.toLocaleString('en-US')} features` })
      .waitFor();
    // virtualised: far fewer rows in the DOM than features
    const drawn = await page.getByTestId('feature-row').count();
    assert.ok(drawn > 5 && drawn < 100, `${drawn} rows drawn for ${dSae} features`);
    // scrolling to the end loads the last page
    await results.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator(`[data-testid="feature-row"][data-feature="${dSae - 1}"]`).waitFor();
    await shot(page, 'search-all');
  });

  test('keyboard: / focuses search, j/k move, Enter opens', async () => {
    await page.goto(`${server.openUrl}#/features`);
    await page.getByTestId('feature-row').first().waitFor();
    await page.locator('main').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('/');
    assert.equal(await page.locator('[aria-label="Search features"]:focus').count(), 1, '/ focuses the search box');
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const active = page.locator('[data-testid="feature-row"][aria-selected="true"]');
    assert.equal(await active.getAttribute('data-feature'), '0', 'j j k lands on the first row (ids ascending)');
    await page.keyboard.press('j');
    assert.equal(await active.getAttribute('data-feature'), '1');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/features\/1$/);
    await page.locator('[data-testid="feature-page"][data-feature="1"]').waitFor();
  });

  test('search by top token finds the "years" feature', async () => {
    await page.goto(`${server.openUrl}#/features`);
    await page.getByLabel('Search by').selectOption('token');
    await page.getByLabel('Search features').fill('years');
    const first = page.getByTestId('feature-row').first();
    await page
      .getByTestId('result-count')
      .filter({ hasNotText: /^1,536 features$/ })
      .waitFor();
    await first.waitFor();
    const top = await page
      .getByTestId('feature-row')
      .evaluateAll((rows) => rows.slice(0, 5).map((r) => Number(r.getAttribute('data-feature'))));
    assert.ok(top.includes(FEATURE), `feature ${FEATURE} is among the first token matches for "years": ${top.join(', ')}`);
    // list rows show each feature's top tokens: " years" leads the "years" feature's
    const chips = page.locator(`[data-testid="feature-row"][data-feature="${FEATURE}"] [data-testid="token-chip"]`);
    assert.equal((await chips.first().getAttribute('data-token'))?.trim(), 'years');
    // the search lives in the URL, so Back from a feature page restores it
    assert.match(page.url(), /mode=token/);
    assert.match(page.url(), /q=years/);
    await shot(page, 'search-token');
  });

  test('search by prompt: features per token and ranked over a selected span', async () => {
    await page.goto(`${server.openUrl}#/features/prompt`);
    const text = 'The house was built two hundred years ago.';
    await page.getByLabel('Prompt', { exact: true }).fill(text);
    await page.keyboard.press('Control+Enter');
    const tokens = page.getByTestId('prompt-token');
    await tokens.first().waitFor();
    const pieces = await page.getByTestId('prompt-tokens').getByRole('button').allTextContents();
    const years = pieces.findIndex((p) => p.trim() === 'years');
    assert.ok(years > 0, `a " years" token among ${JSON.stringify(pieces)}`);

    await page.getByRole('button', { name: `Token ${years}: " years"` }).click();
    await page
      .getByTestId('rank-span')
      .filter({ hasText: `Tokens ${years}–${years}` })
      .waitFor();
    await page.locator(`[data-testid="ranking"][data-answers="${years}-${years + 1}:max"]`).waitFor();
    const shown = await page.getByTestId('ranked-feature').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-feature'))));
    const expected = await callApi<PromptRanking>(page, 'prompt.rank', {
      text,
      db: info.db,
      span: { from: years, to: years + 1 },
      sort: 'max',
      top: 5,
      limit: 50,
    });
    assert.deepEqual(
      shown,
      expected.ranking.map((f) => f.id),
      'the page shows core’s ranking for the span',
    );
    assert.ok(shown.slice(0, 3).includes(FEATURE), `feature ${FEATURE} ranks near the top on " years": ${shown.slice(0, 5).join(', ')}`);

    // drag over "two hundred": a two-token span, ranked by sum
    await page.getByRole('radio', { name: 'sum' }).click();
    const two = pieces.findIndex((p) => p.trim() === 'two');
    await page.getByRole('button', { name: `Token ${two}: " two"` }).hover();
    await page.mouse.down();
    await page.getByRole('button', { name: `Token ${two + 1}: " hundred"` }).hover();
    await page.mouse.up();
    await page
      .getByTestId('rank-span')
      .filter({ hasText: `Tokens ${two}–${two + 1}` })
      .waitFor();
    await page.locator(`[data-testid="ranking"][data-answers="${two}-${two + 2}:sum"]`).waitFor();
    await shot(page, 'prompt-inspector');

    // a feature chip opens its page
    await page.getByRole('button', { name: `Token ${years}: " years"` }).click();
    await page.locator(`[data-testid="ranking"][data-answers="${years}-${years + 1}:sum"]`).waitFor();
    await page.locator(`[data-testid="ranked-feature"][data-feature="${FEATURE}"]`).click();
    await page.waitForURL(new RegExp(`#/features/${FEATURE}$`));
    await page.locator(`[data-testid="feature-page"][data-feature="${FEATURE}"]`).waitFor();
  });

  test('feature page: statistics, examples, context sizes, and a sample of a dragged range', async () => {
    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    const dash = await callApi<FeatureDashboard>(page, 'feature.get', { db: info.db, id: FEATURE });
    await page
      .getByTestId('stat-count')
      .filter({ hasText: dash.count.toLocaleString('en-US') })
      .waitFor();
    await page.getByTestId('top-examples').getByTestId('example').first().waitFor();
    assert.equal((await page.getByTestId('interval-title').allTextContents()).length, 10);
    assert.match((await page.getByTestId('interval-title').first().textContent()) ?? '', /^Interval [\d.]+–[\d.]+ · Contains [\d.]+%$/i);
    await page.getByTestId('logit-effects').or(page.getByTestId('logits-unavailable')).waitFor();
    // the demo GPT-2 has a final LayerNorm: its scale is folded into W_U, and the card says so
    await page.getByTestId('logits-basis').filter({ hasText: 'final norm’s scale folded into W_U' }).waitFor();
    await page.getByTestId('nearest-feature').first().waitFor();

    // the strongest example: its activating token carries the value, shaded at full strength
    const active = page.getByTestId('top-examples').locator('[data-active]').first();
    assert.ok(Math.abs(Number(await active.getAttribute('data-value')) - dash.max) < 1e-6 * dash.max);
    assert.match((await active.getAttribute('title')) ?? '', /years/);

    // context toggle: 5 tokens a side at most
    await page.getByRole('radio', { name: '5 tokens' }).first().click();
    const lengths = await page
      .getByTestId('top-examples')
      .getByTestId('token-strip')
      .evaluateAll((strips) => strips.map((s) => s.children.length));
    assert.ok(lengths.length > 0 && lengths.every((n) => n <= 11), `strips of ≤ 11 tokens: ${lengths.join(',')}`);
    await page.getByRole('radio', { name: '64 tokens' }).first().click();
    const longer = await page
      .getByTestId('top-examples')
      .getByTestId('token-strip')
      .first()
      .evaluate((s) => s.children.length);
    assert.ok(longer > 11, `64 tokens a side shows more context (${longer})`);
    await page.getByRole('radio', { name: '16 tokens' }).first().click();

    // drag across the histogram from bin 5 to bin 20
    const grid = page.getByTestId('activation-histogram').locator('.recharts-cartesian-grid');
    await grid.scrollIntoViewIfNeeded();
    const box = (await grid.boundingBox())!;
    const x = (bin: number) => box.x + ((bin + 0.5) * box.width) / dash.histogram.length;
    const y = box.y + box.height / 2;
    // a drag that leaves the chart ends at the bin under the pointer where it is released:
    // down at bin 10, out below the chart, across to bin 25's x, released there
    const width = dash.max / dash.histogram.length;
    await page.mouse.move(x(10), y);
    await page.mouse.down();
    await page.mouse.move(x(10), box.y + box.height + 60, { steps: 3 });
    await page.mouse.move(x(25), box.y + box.height + 60, { steps: 5 });
    await page.mouse.up();
    /** Waits until the range sample shows [lo, hi) (a new drag re-renders it). */
    const sampled = async (lo: number, hi: number): Promise<void> => {
      const near = (a: string | null, b: number): boolean => a !== null && Math.abs(Number(a) - b) < 1e-9;
      const el = page.getByTestId('range-sample');
      for (let i = 0; i < 200; i++) {
        if ((await el.count()) && near(await el.getAttribute('data-lo'), lo) && near(await el.getAttribute('data-hi'), hi)) return;
        await page.waitForTimeout(50);
      }
      assert.fail(`the range sample shows ${await el.getAttribute('data-lo')}–${await el.getAttribute('data-hi')}, not ${lo}–${hi}`);
    };
    await sampled(10 * width, 26 * width);
    await page.mouse.move(x(5), y);
    await page.mouse.down();
    await page.mouse.move(x(12), y, { steps: 5 });
    await page.mouse.move(x(20), y, { steps: 5 });
    await page.mouse.up();
    const sample = page.getByTestId('range-sample');
    await sampled(5 * width, 21 * width);
    const lo = Number(await sample.getAttribute('data-lo'));
    const hi = Number(await sample.getAttribute('data-hi'));
    assert.ok(Math.abs(lo - 5 * width) < 1e-9 && Math.abs(hi - 21 * width) < 1e-9, `range ${lo}–${hi} is bins 5–20 of max ${dash.max}`);
    const values = await sample.getByTestId('example').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    assert.ok(values.length > 0, 'the sample has examples');
    assert.ok(
      values.every((v) => v >= lo && v < hi),
      `every sampled value lies in [${lo}, ${hi}): ${values.join(', ')}`,
    );
    const matching = Number(await sample.getAttribute('data-matching'));
    const inBins = dash.histogram.slice(5, 21).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(matching - inBins) <= 2, `matching ${matching} ≈ the histogram's count over bins 5–20 (${inBins})`);
    assert.match(await page.getByRole('textbox', { name: 'Activation range' }).inputValue(), /^[\d.]+–[\d.]+$/);
    await shot(page, 'feature-sample', '[data-testid="activation-histogram"]');

    // re-roll: a fresh sample of the same range
    const seed = await page.getByTestId('sample-summary').getAttribute('data-seed');
    await page.getByRole('button', { name: 'Re-roll: draw another random sample' }).click();
    await page
      .getByTestId('sample-summary')
      .and(page.locator(`:not([data-seed="${seed}"])`))
      .waitFor();
    assert.equal(Number(await sample.getAttribute('data-matching')), matching);

    // bottom 10% of max
    await page.getByRole('button', { name: 'Bottom 10% of max' }).click();
    await page.locator('[data-testid="range-sample"][data-lo="0"]').waitFor();
    const low = await page
      .getByTestId('range-sample')
      .getByTestId('example')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    assert.ok(
      low.every((v) => v < dash.max * 0.1),
      `bottom-10% values stay below ${dash.max * 0.1}`,
    );
    // a typed range
    await page.getByRole('textbox', { name: 'Activation range' }).fill('2-3');
    await page.getByRole('button', { name: 'Sample', exact: true }).click();
    await page.locator('[data-testid="range-sample"][data-lo="2"][data-hi="3"]').waitFor();
    await shot(page, 'feature-page', '[data-testid="feature-page"]');
  });

  test('feature page additions: Neuronpedia link, top tokens, logit histogram, co-occurring features, typed text, ablation', async () => {
    // the demo SAE has no Neuronpedia ids until the user sets them on the Models screen
    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    await page.getByTestId('neuronpedia-missing').waitFor();
    await page.goto(`${server.openUrl}#/models`);
    const npForm = page.getByTestId('neuronpedia-id');
    await npForm.getByLabel('Neuronpedia id').fill('sae-explorer-demo/2-res-brown');
    await npForm.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-testid="neuronpedia-id"][data-source="user"]').waitFor();
    await shot(page, 'models-neuronpedia-id', '[data-testid="neuronpedia-id"]');

    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    const link = page.getByTestId('neuronpedia-link');
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `https://www.neuronpedia.org/sae-explorer-demo/2-res-brown/${FEATURE}`);
    assert.equal(await link.getAttribute('target'), '_blank');

    // top tokens: the activating tokens of the top examples, most first
    const dash = await callApi<FeatureDashboard>(page, 'feature.get', { db: info.db, id: FEATURE });
    const counts = new Map<string, number>();
    for (const e of dash.top) counts.set(e.tokens[e.position - e.start]!, (counts.get(e.tokens[e.position - e.start]!) ?? 0) + 1);
    const most = Math.max(...counts.values());
    const chip = page.getByTestId('top-tokens').getByTestId('token-chip').first();
    await chip.waitFor();
    assert.equal(counts.get((await chip.getAttribute('data-token'))!), most);
    assert.match((await chip.textContent()) ?? '', new RegExp(`×${most}$`));

    // the logit histogram over the vocabulary, beside the promoted / suppressed tokens
    const hist = page.getByTestId('logit-histogram');
    await hist.locator('.recharts-bar-rectangle').first().waitFor();
    assert.equal(await hist.getAttribute('data-bins'), '40');

    // co-occurring features, by Jaccard then by shared tokens, as core counts them
    const cooc = page.getByTestId('cooccurring-features');
    await cooc.waitFor();
    const shownIds = () =>
      page.getByTestId('cooccurring-feature').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-feature'))));
    const byJaccard = await callApi<FeatureCooccurrence>(page, 'feature.cooccurring', { db: info.db, id: FEATURE, by: 'jaccard', n: 10 });
    assert.ok(byJaccard.features.length > 0);
    assert.deepEqual(
      await shownIds(),
      byJaccard.features.map((f) => f.id),
    );
    await page.getByRole('radio', { name: 'shared tokens' }).click();
    await page.locator('[data-testid="cooccurring-features"][data-by="count"]').waitFor();
    const byCount = await callApi<FeatureCooccurrence>(page, 'feature.cooccurring', { db: info.db, id: FEATURE, by: 'count', n: 10 });
    assert.deepEqual(
      await shownIds(),
      byCount.features.map((f) => f.id),
    );

    // try your own text: the feature fires most on " years"
    await page.getByLabel('Text to try').fill('The house was built two hundred years ago.');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const tried = page.getByTestId('try-text-result');
    await tried.waitFor();
    const peak = tried.locator('[data-active]');
    assert.match((await peak.getAttribute('title')) ?? '', /^" years"/);
    assert.equal(Number(await peak.getAttribute('data-value')), Number(await tried.getAttribute('data-max')));
    assert.ok(Number(await tried.getAttribute('data-max')) > 0);
    await shot(page, 'feature-try-text', '[data-testid="try-text-result"]');

    // per-example effect: removing the feature at the strongest example's token, on demand
    const first = page.getByTestId('top-examples').getByTestId('example').first();
    await first.getByRole('button', { name: /^Effect of removing the feature/ }).click();
    const effect = first.getByTestId('example-effect');
    await effect.waitFor();
    const top = dash.top[0]!;
    const expected = await callApi<FeatureAblation>(page, 'feature.ablate', {
      db: info.db,
      id: FEATURE,
      window: top.window,
      position: top.position,
    });
    assert.ok(expected.next, 'the strongest example has a next token');
    assert.ok(Math.abs(Number(await effect.getAttribute('data-delta')) - (expected.next.ablated - expected.next.clean)) < 1e-9);
    assert.match((await effect.textContent()) ?? '', /Next token .*log p/);
    await shot(page, 'feature-additions', '[data-testid="cooccurring-features"]');
    await effect.scrollIntoViewIfNeeded();
    await shot(page, 'feature-effect');
  });

  test('annotate: saved as you type, kept across reloads, and flushed when leaving at once', async () => {
    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    const editor = page.getByTestId('annotation-editor');
    await editor.getByLabel('Label').waitFor();
    await editor.getByLabel('Label').fill('spans of time');
    await editor.getByLabel('Notes').fill('Units of time after a number: years, months, weeks.');
    await editor.getByLabel('Tags').fill('time, units');
    await editor.getByRole('button', { name: 'Star', exact: true }).click();
    await editor.getByLabel('Add to a new list').fill('demo picks');
    await editor.getByLabel('Add to a new list').press('Enter');
    await editor.getByRole('button', { name: 'demo picks' }).waitFor();
    await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
    const stored = await callApi<Annotation>(page, 'annotation.get', { feature: FEATURE });
    assert.equal(stored.label, 'spans of time');
    assert.deepEqual(stored.tags, ['time', 'units']);
    assert.equal(stored.starred, true);
    assert.deepEqual(stored.lists, ['demo picks']);
    await shot(page, 'annotation');

    // a tag over 64 characters is refused next to the field, before anything is sent
    await editor.getByLabel('Tags').fill(`time, ${'x'.repeat(70)}`);
    await editor.getByTestId('tags-error').filter({ hasText: 'at most 64' }).waitFor();
    assert.equal(await editor.getByLabel('Tags').getAttribute('aria-invalid'), 'true');
    assert.deepEqual((await callApi<Annotation>(page, 'annotation.get', { feature: FEATURE })).tags, ['time', 'units']);
    await editor.getByLabel('Tags').fill('time, units');
    await editor.getByTestId('tags-error').waitFor({ state: 'detached' });
    await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();

    await page.reload();
    await page.getByTestId('annotation-editor').getByLabel('Label').waitFor();
    assert.equal(await page.getByTestId('annotation-editor').getByLabel('Label').inputValue(), 'spans of time');
    assert.equal(await page.getByTestId('annotation-editor').getByRole('button', { name: 'Unstar' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await page.getByTestId('annotation-editor').getByLabel('Notes').inputValue(), stored.notes);

    // typing then leaving before the debounce fires still saves
    await page.goto(`${server.openUrl}#/features/444`);
    await page.getByTestId('annotation-editor').getByLabel('Label').fill('numbers and years');
    await page.getByRole('link', { name: 'Search', exact: true }).click();
    let label = '';
    for (let i = 0; i < 50 && label !== 'numbers and years'; i++) {
      label = (await callApi<Annotation | null>(page, 'annotation.get', { feature: 444 }))?.label ?? '';
      if (label !== 'numbers and years') await page.waitForTimeout(100);
    }
    assert.equal(label, 'numbers and years', 'the label typed just before leaving was saved');
  });

  test('search by label text and filter by star and list', async () => {
    await page.goto(`${server.openUrl}#/features`);
    await page.getByLabel('Search features').fill('spans');
    await page
      .getByTestId('result-count')
      .filter({ hasText: /^1 feature$/ })
      .waitFor();
    const row = page.getByTestId('feature-row').first();
    assert.equal(await row.getAttribute('data-feature'), String(FEATURE));
    assert.match((await row.textContent()) ?? '', /spans of time/);

    await page.getByLabel('Search features').fill('');
    await page.getByRole('checkbox', { name: 'Starred' }).check();
    await page
      .getByTestId('result-count')
      .filter({ hasText: /^1 feature$/ })
      .waitFor();
    assert.equal(await page.getByTestId('feature-row').first().getAttribute('data-feature'), String(FEATURE));
    await page.getByRole('checkbox', { name: 'Starred' }).uncheck();
    // the two labelled here, and the demo's documented features (resources/demo/features.json)
    const labelled = (await callApi<Annotation[]>(page, 'annotation.all', {})).filter((a) => a.label).length;
    assert.ok(labelled >= 2);
    await page.getByRole('combobox', { name: 'Labelled' }).selectOption('yes');
    await page
      .getByTestId('result-count')
      .filter({ hasText: new RegExp(`^${labelled} features$`) })
      .waitFor();
    await page.getByRole('combobox', { name: 'Labelled' }).selectOption('any');
    await page.getByRole('combobox', { name: 'In list' }).selectOption('demo picks');
    await page
      .getByTestId('result-count')
      .filter({ hasText: /^1 feature$/ })
      .waitFor();
    await shot(page, 'search-filtered');
  });

  test('export JSON, CSV and Neuronpedia rows, then import the JSON back', async () => {
    await page.goto(`${server.openUrl}#/features/annotations`);
    await page.getByTestId('annotation-row').first().waitFor();
    const annotated = await callApi<Annotation[]>(page, 'annotation.all', {});
    assert.equal(await page.getByTestId('annotation-row').count(), annotated.length);
    const importInput = () => page.getByLabel(/^Import annotations from a file/);

    const download = async (button: string): Promise<{ name: string; text: string; file: string }> => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button, exact: true }).click()]);
      const file = path.join(tmp, `download-${d.suggestedFilename()}`);
      await d.saveAs(file);
      return { name: d.suggestedFilename(), text: fs.readFileSync(file, 'utf8'), file };
    };
    const json = await download('JSON');
    assert.match(json.name, /\.json$/);
    assert.ok(json.text.includes('spans of time') && json.text.includes('numbers and years'), 'the JSON holds both labels');
    JSON.parse(json.text);
    const csv = await download('CSV');
    assert.match(csv.name, /\.csv$/);
    assert.ok(
      csv.text.split(/\r?\n/).some((line) => line.startsWith(`${FEATURE},`) && line.includes('spans of time')),
      csv.text,
    );
    const np = await download('Neuronpedia rows');
    // named after the ids set on the Models screen, shaped as Neuronpedia's explanation exports
    assert.equal(np.name, 'sae-explorer-demo_2-res-brown.explanations.jsonl');
    const lines = np.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, annotated.filter((a) => a.label).length, 'one explanation per labelled feature');
    const row = lines.find((l) => l['description'] === 'spans of time')!;
    assert.deepEqual(Object.keys(row), NEURONPEDIA_COLUMNS);
    assert.deepEqual(
      [row['modelId'], row['layer'], row['index'], row['embedding'], row['typeName']],
      ['sae-explorer-demo', '2-res-brown', String(FEATURE), null, null],
    );
    await page.getByTestId('export-status').waitFor();

    // relabel one feature, then import the export: the stored label wins and the clash is reported
    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    await page.getByTestId('annotation-editor').getByLabel('Label').fill('time spans');
    await page.locator('[data-testid="save-status"][data-state="saved"]').waitFor();
    await page.goto(`${server.openUrl}#/features/annotations`);
    await importInput().setInputFiles(json.file);
    const report = page.getByTestId('import-result');
    await report.waitFor();
    const text = (await report.textContent()) ?? '';
    assert.match(text, /0 added/);
    assert.match(text, /1 conflict\b/);
    assert.ok(text.includes('time spans') && text.includes('spans of time'), text);
    const kept = await callApi<Annotation>(page, 'annotation.get', { feature: FEATURE });
    assert.equal(kept.label, 'time spans');

    // a file with a feature this workspace has not annotated adds it
    const file = JSON.parse(json.text) as { annotations: Annotation[] };
    const added: Annotation = {
      ...file.annotations.find((a) => a.feature === FEATURE)!,
      feature: 67,
      label: 'adjectives of public life',
      lists: [],
    };
    file.annotations.push(added);
    const edited = path.join(tmp, 'edited.json');
    fs.writeFileSync(edited, JSON.stringify(file));
    await importInput().setInputFiles(edited);
    await report.filter({ hasText: /1 added/ }).waitFor();
    assert.match((await report.textContent()) ?? '', /1 conflict\b/);
    await page.locator('[data-testid="annotation-row"]').filter({ hasText: 'adjectives of public life' }).waitFor();
    assert.equal(await page.getByTestId('annotation-row').count(), annotated.length + 1);

    // a file exported for another SAE is refused, naming it; "Import anyway" merges it
    const foreign = JSON.parse(json.text) as { identity: Record<string, unknown>; annotations: Annotation[] };
    foreign.identity = { ...foreign.identity, saeHash: 'e'.repeat(64), sae: '/elsewhere/other-sae' };
    foreign.annotations = [{ ...added, feature: 77, label: 'from another SAE' }];
    const foreignFile = path.join(tmp, 'foreign.json');
    fs.writeFileSync(foreignFile, JSON.stringify(foreign));
    const errorsBefore = errors.length;
    await importInput().setInputFiles(foreignFile);
    await page.getByTestId('import-refused').waitFor();
    const refusal = (await page.getByRole('alert').filter({ hasText: 'foreign.json' }).textContent()) ?? '';
    assert.ok(refusal.includes('/elsewhere/other-sae') && refusal.includes('eeeeeeeeeeee'), refusal);
    assert.equal(await callApi<Annotation | null>(page, 'annotation.get', { feature: 77 }), null, 'nothing was imported');
    await shot(page, 'import-refused');
    await page.getByRole('button', { name: 'Import anyway' }).click();
    await report
      .filter({ hasText: /1 added/ })
      .filter({ hasText: '/elsewhere/other-sae' })
      .waitFor();
    assert.equal(await page.getByTestId('import-refused').count(), 0);
    assert.equal((await callApi<Annotation>(page, 'annotation.get', { feature: 77 })).label, 'from another SAE');
    await page.locator('[data-testid="annotation-row"]').filter({ hasText: 'from another SAE' }).waitFor();
    // the refusal is a 409 the page expects and shows, not an error of the page
    const unexpected = errors.splice(errorsBefore).filter((e) => !/annotation\.import 409 |status of 409 \(Conflict\)/.test(e));
    errors.push(...unexpected);
    await shot(page, 'annotations');
  });

  test('import Neuronpedia explanation exports: gzipped, your label kept, searchable, another SAE only when mapped', async () => {
    await page.goto(`${server.openUrl}#/features/annotations`);
    await page.getByTestId('annotation-row').first().waitFor();
    const importInput = () => page.getByLabel(/^Import annotations from a file/);
    const np = (index: number, description: string, n: number, layer = '2-res-brown') => ({
      id: `cm${String(n).padStart(3, '0')}e2eexplanation00000`,
      modelId: 'sae-explorer-demo',
      layer,
      index: String(index),
      authorId: 'clsxqq2xd0000vvp2k5itlhqj',
      description,
      embedding: null,
      typeName: 'oai_token-act-pair',
      explanationModelName: 'gpt-4o-mini',
      umap_x: 0,
      umap_y: 0,
      umap_cluster: 0,
      umap_log_feature_sparsity: 0,
    });
    const jsonl = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    const gz = path.join(tmp, 'batch-0.jsonl.gz');
    fs.writeFileSync(
      gz,
      zlib.gzipSync(
        jsonl([
          np(FEATURE, 'measurements of elapsed time', 1),
          np(91, 'verbs of motion, mostly past tense', 2),
          np(91, 'verbs of motion, mostly past tense', 3),
        ]),
      ),
    );
    await importInput().setInputFiles(gz);
    const report = page.getByTestId('import-result');
    await report.and(page.locator('[data-format="neuronpedia"][data-added="2"]')).waitFor();
    await report.locator('[data-reason="duplicate"][data-count="1"]').waitFor();
    // the label the user wrote stays; the explanation sits beside it
    assert.equal((await callApi<Annotation>(page, 'annotation.get', { feature: FEATURE })).label, 'time spans');
    await page.goto(`${server.openUrl}#/features/${FEATURE}`);
    await page.getByTestId('imported-explanation').filter({ hasText: 'measurements of elapsed time' }).waitFor();
    assert.match((await page.getByTestId('imported-explanation').first().textContent()) ?? '', /gpt-4o-mini · oai_token-act-pair/);
    assert.equal(await page.getByTestId('annotation-editor').getByLabel('Label').inputValue(), 'time spans');
    await shot(page, 'imported-explanation', '[data-testid="imported-explanations"]');
    // searchable like a label, and shown in the list where the feature has no label of its own
    await page.goto(`${server.openUrl}#/features`);
    await page.getByLabel('Search features').fill('motion');
    const found = page.locator('[data-testid="feature-row"][data-feature="91"]');
    await found.waitFor();
    assert.match((await found.getByTestId('row-explanation').textContent()) ?? '', /verbs of motion/);

    // another SAE's rows: the page asks before mapping them onto this SAE
    await page.goto(`${server.openUrl}#/features/annotations`);
    await page.getByTestId('annotation-row').first().waitFor();
    const other = path.join(tmp, 'other-sae.jsonl');
    fs.writeFileSync(other, jsonl([np(12, 'hyphenated compounds', 4, '2-res-other')]));
    await importInput().setInputFiles(other);
    const mapping = page.getByTestId('import-mapping');
    await mapping.waitFor();
    assert.match(
      (await mapping.textContent()) ?? '',
      /1 explanation of sae-explorer-demo\/2-res-other; this SAE is sae-explorer-demo\/2-res-brown/,
    );
    assert.equal(
      (await callApi<unknown[]>(page, 'annotation.explanations', { feature: 12 })).length,
      0,
      'nothing imported before confirming',
    );
    await shot(page, 'import-mapping');
    await mapping.getByRole('button', { name: /^Import them as this SAE’s/ }).click();
    await report.and(page.locator('[data-format="neuronpedia"][data-added="1"]')).waitFor();
    assert.equal(
      (await callApi<{ description: string }[]>(page, 'annotation.explanations', { feature: 12 }))[0]?.description,
      'hyphenated compounds',
    );

    // exported back: the label and the explanations, under this SAE's ids
    const [d] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Neuronpedia rows', exact: true }).click(),
    ]);
    const file = path.join(tmp, 'np-after-import.jsonl');
    await d.saveAs(file);
    const rows = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    assert.deepEqual(
      rows.filter((r) => ['12', '91', String(FEATURE)].includes(r['index']!)).map((r) => [r['index'], r['layer'], r['description']]),
      [
        ['12', '2-res-brown', 'hyphenated compounds'],
        ['91', '2-res-brown', 'verbs of motion, mostly past tense'],
        [String(FEATURE), '2-res-brown', 'time spans'],
        [String(FEATURE), '2-res-brown', 'measurements of elapsed time'],
      ],
    );
  });

  test('dark theme renders the feature page', async () => {
    const dark = await browser.newPage({ viewport: { width: 1440, height: 960 }, colorScheme: 'dark' });
    collectErrors(dark, errors);
    await dark.goto(`${server.openUrl}#/features/444`);
    await dark.getByTestId('top-examples').getByTestId('example').first().waitFor();
    assert.equal(await dark.locator('html').getAttribute('class'), 'dark');
    await dark.screenshot({ path: path.join(resultsDir, 'explorer-feature-dark.png') });
    await dark.close();
  });

  test('no console errors or CSP violations on any screen', () => {
    assert.deepEqual(errors, []);
  });
});
