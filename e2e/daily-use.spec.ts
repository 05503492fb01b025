import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright';
import type { WorkspaceInfo } from '../src/shared/workspace-types.ts';
import { repoRoot, resultsDir, type ServeChild } from './harness.ts';
import { startHost, type E2eHost } from './support.ts';

/**
 * Daily use on the real embedded demo, as a new user meets it: links out of any Features
 * view go where they say in one click, the documented demo features arrive labelled, Steer
 * shows labels and names sessions cleanly, Jobs says when things ran, the page scrolls as a
 * whole. Full-page screenshots of Features, a feature page, Steer and Health at 1440×900 and
 * 1920×1080 go to test-results/.
 */

/** The five features resources/demo/features.json documents, with their labels. */
const documented = new Map([
  [66, 'adjectives of society and institutions'],
  [118, 'speech attribution'],
  [298, 'hyphen in a compound'],
  [320, 'spans of time'],
  [444, 'numbers and years'],
]);

/** The document's height, the window's, and how <main> overflows (it must not scroll on its own). */
interface Layout {
  readonly scroll: number;
  readonly inner: number;
  readonly mainScrolls: string;
}

/** The page's Layout (a string expression: the e2e specs compile without the DOM's types). */
function layout(page: Page): Promise<Layout> {
  return page.evaluate<Layout>(
    `({ scroll: document.scrollingElement.scrollHeight, inner: window.innerHeight, mainScrolls: getComputedStyle(document.getElementById('main')).overflowY })`,
  );
}

const sizes = [
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const;

describe('daily use on the embedded demo', () => {
  let server: ServeChild;
  let browser: Browser;
  let host: E2eHost;
  const at = (hash: string): string => new URL(hash, server.url).href;

  before(async () => {
    host = await startHost('e2e-daily');
    ({ server, browser } = host);
    // the first page takes the token cookie; the demo's corpus is indexed in the background
    const page = await browser.newPage();
    await page.goto(server.openUrl);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor({ timeout: 180_000 });
    await page.close();
  });
  after(() => host?.close());

  /**
   * A page in a fresh browser profile (its own steering draft), holding the host's token
   * cookie: it has opened the URL the host printed, as a user does.
   */
  async function newPage(viewport: { width: number; height: number } = { width: 1280, height: 860 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await page.goto(server.openUrl);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  /** A page opened (and reloaded, as a user's F5 does) on a deep link, once that view has rendered. */
  async function openDeep(hash: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
    const page = await newPage();
    await page.goto(at(hash));
    await ready(page);
    await page.reload();
    await ready(page);
    return page;
  }

  const views = [
    { hash: '#/features/118', ready: (p: Page) => p.getByTestId('feature-page').waitFor() },
    {
      hash: '#/features/prompt',
      ready: (p: Page) => p.locator('nav[aria-label="Explorer"] a[aria-current="page"]', { hasText: 'Prompt inspector' }).waitFor(),
    },
    {
      hash: '#/features/annotations',
      ready: (p: Page) => p.locator('nav[aria-label="Explorer"] a[aria-current="page"]', { hasText: 'Annotations' }).waitFor(),
    },
  ];

  test('from a Features deep link, one click on Health or Models lands there', async () => {
    for (const view of views) {
      for (const target of ['Health', 'Models'] as const) {
        const page = await openDeep(view.hash, view.ready);
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: target }).click();
        await page.getByRole('heading', { level: 1, name: target }).waitFor();
        assert.equal(new URL(page.url()).hash, `#/${target.toLowerCase()}`, `${view.hash} → ${target}`);
        await page.close();
      }
    }
  });

  test('“Steer with this feature” on a reloaded feature page carries the feature, with its label', async () => {
    const page = await openDeep('#/features/118', (p) => p.getByTestId('feature-page').waitFor());
    await page.getByTestId('steer-link').click();
    await page.getByRole('heading', { level: 1, name: 'Steer' }).waitFor();
    const card = page.locator('[data-testid="steer-feature"][data-feature="118"]');
    await card.getByTestId('feature-label').filter({ hasText: 'speech attribution' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/steer');
    await page.close();
  });

  test('the documented demo features arrive labelled, and a label search shows no raw rank', async () => {
    const page = await newPage();
    await page.goto(at('#/features?labelled=yes&sort=id'));
    const rows = page.getByTestId('feature-row');
    await page
      .getByTestId('result-count')
      .filter({ hasText: /^5 features$/ })
      .waitFor();
    await rows.nth(4).waitFor();
    const listed = await rows.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-feature')), e.textContent ?? ''] as const));
    assert.deepEqual(
      listed.map(([id]) => id),
      [...documented.keys()].sort((a, b) => a - b),
    );
    for (const [id, text] of listed) assert.ok(text.includes(documented.get(id)!) && text.includes('demo'), `#${id}: ${text}`);

    // a text search lists its matches best first, without a column of FTS5 ranks
    await page.goto(at('#/features?q=speech'));
    await page
      .getByTestId('result-count')
      .filter({ hasText: /^1 feature$/ })
      .waitFor();
    assert.equal(await rows.first().getAttribute('data-feature'), '118');
    assert.doesNotMatch((await page.getByTestId('feature-results').locator('..').textContent()) ?? '', /Match|0\.0000/);
    await page.close();
  });

  test('a session whose prompt has quotes is named without doubling them', async () => {
    const page = await newPage();
    await page.goto(at('#/steer?add=118'));
    await page.locator('[data-testid="steer-feature"][data-feature="118"]').getByTestId('feature-label').waitFor();
    await page.getByRole('textbox', { name: 'Prompt' }).fill('"We will win", the governor');
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid="steer-status"][data-state="done"]').waitFor({ timeout: 60_000 });
    const name = (await page.getByTestId('steer-session-name').textContent()) ?? '';
    assert.match(name, /^“"We will win", the governor” · clamp 118=/);
    assert.doesNotMatch(name, /""/);
    await page.getByTestId('session-row').filter({ hasText: '“"We will win", the governor”' }).waitFor();
    await page.close();
  });

  test('Jobs says when each job started and how long it took', async () => {
    const page = await newPage();
    await page.goto(at('#/jobs'));
    const job = page.locator('[data-testid="job"][data-state="done"]', { hasText: 'corpus.jsonl' }).first();
    await job.waitFor();
    assert.match(
      (await job.getByTestId('job-times').textContent()) ?? '',
      /^started \d{1,2}:\d{2}:\d{2}.* · took (\d+ ms|\d+\.\d s|\d+ min \d+ s)$/,
    );
    await page.close();
  });

  test('reopening the demo from the form keeps its badge', async () => {
    const page = await newPage();
    await page.goto(at('#/models'));
    const demo = path.join(repoRoot, 'resources', 'demo');
    const form = page.getByRole('form', { name: 'Open a model and an SAE' });
    await form.getByLabel('Model folder').fill(path.join(demo, 'model'));
    await form.getByLabel('SAE').fill(path.join(demo, 'sae'));
    await form.getByLabel('Corpus to index (optional)').fill(path.join(demo, 'corpus.jsonl'));
    const [opened] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/workspace.open')),
      form.getByRole('button', { name: 'Open' }).click(),
    ]);
    const reply = (await opened.json()) as { ok: boolean; value?: WorkspaceInfo };
    assert.equal(reply.value?.selection?.demo, true, 'the demo’s paths are the demo');
    await page.getByTestId('workspace').getByText('embedded demo').waitFor();
    await page.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor();
    await page.close();
  });

  test('screenshots: Features, a feature page, Steer and Health scroll as whole pages', async () => {
    // a small evaluation, so Health has its numbers and density histogram
    const setup = await newPage(sizes[0]);
    await setup.goto(at('#/health'));
    const evaluation = setup.getByRole('form', { name: 'Run evaluation' });
    await evaluation.getByLabel('Max tokens').fill('4000');
    await evaluation.getByRole('button', { name: 'Run evaluation' }).click();
    await setup.getByTestId('health-metrics').waitFor({ timeout: 180_000 });
    await setup.close();

    for (const size of sizes) {
      const page = await newPage(size);
      const shot = async (name: string): Promise<void> => {
        // the document itself scrolls: a full-page capture holds the whole screen, not one viewport
        const { scroll, inner, mainScrolls } = await layout(page);
        assert.ok(mainScrolls === 'visible', `${name}: main must not scroll on its own (${mainScrolls})`);
        assert.ok(scroll >= inner, name);
        // from the top, where the navigation sits
        await page.evaluate('window.scrollTo(0, 0)');
        await page.screenshot({ path: path.join(resultsDir, `daily-${name}-${size.width}x${size.height}.png`), fullPage: true });
      };

      await page.goto(at('#/features'));
      await page.getByTestId('feature-row').nth(10).waitFor();
      await shot('features');

      await page.goto(at('#/features/320'));
      await page.getByTestId('top-examples').waitFor();
      assert.equal(await page.getByTestId('feature-title').textContent(), 'Feature 320');
      const feature = await layout(page);
      assert.ok(feature.scroll > feature.inner, 'a feature page is longer than the window');
      await shot('feature-page');

      await page.goto(at('#/steer'));
      const steered = page.getByTestId('steer-output-steered');
      await page.getByTestId('session-row').first().getByTitle('Open this session').click();
      await steered.locator('[data-index]').first().waitFor();
      // the continuations get the width: two columns side by side, each a good part of the screen
      const box = (await steered.boundingBox())!;
      assert.ok(box.width >= 0.28 * size.width, `steered column ${box.width}px of ${size.width}px`);
      await shot('steer');

      await page.goto(at('#/health'));
      const histogram = page.getByTestId('density-histogram');
      await histogram.locator('.recharts-bar-rectangle').first().waitFor();
      // the x axis names densities as shares of tokens (the y axis counts latents)
      const ticks = (await histogram.locator('.recharts-cartesian-axis-tick-value').allTextContents()).filter((t) => !/^\d+$/.test(t));
      assert.ok(ticks.length > 0 && ticks.every((t) => /%$|×10/.test(t) && !t.includes('^')), ticks.join(' '));
      await shot('health');
      await page.close();
    }
  });
});
