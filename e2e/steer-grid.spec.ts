import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright';
import type { SessionExport } from '../src/shared/steer-types.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { resultsDir, type ServeChild } from './harness.ts';
import { callApi, startHost, type E2eHost } from './support.ts';

/**
 * Strength sweeps, several samples and chat prompts in the Steer screen, in Chromium through
 * the serve host on the real embedded demo: feature 320 ("spans of time", fires on " years")
 * added at 0, ½, 1, 2, 4 and 8 × its max activation gives a grid of seven runs with KL and
 * coherence; three samples per side stack under default and steered; a chat rendered with a
 * pasted ChatML template steers the user's text only. Screenshots of the grids go to
 * test-results/.
 */

/** The numbers a grid shows for each run, by factor (default: ''). */
async function klByFactor(page: Page): Promise<Map<string, number>> {
  const cards = page.getByTestId('grid-run').and(page.locator('[data-side="steered"]'));
  const out = new Map<string, number>();
  for (const card of await cards.all()) {
    out.set((await card.getAttribute('data-factor'))!, Number(await card.getByTestId('grid-kl-first').textContent()));
  }
  return out;
}

describe('sweeps, samples and chats on the embedded demo', () => {
  let server: ServeChild;
  let host: E2eHost;
  let page: Page;

  before(async () => {
    host = await startHost('e2e-steer-grid');
    server = host.server;
    page = await host.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.addInitScript(`localStorage.setItem('sae-explorer.theme', 'light')`);
  });
  after(() => host?.close());

  test('a sweep of feature 320 at 0, ½, 1, 2, 4, 8 × max activation: one run per strength, KL 0 at 0 and growing', async () => {
    await page.goto(server.openUrl);
    // the value presets need the index's max activation
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('index-state').filter({ hasText: 'complete' }).waitFor({ timeout: 120_000 });
    await page.goto(new URL('#/steer?add=320', server.openUrl).href);
    const row = page.locator('[data-testid="steer-feature"][data-feature="320"]');
    await row
      .getByTestId('feature-max')
      .filter({ hasText: /max activation \d/ })
      .waitFor();
    await row.getByRole('radio', { name: 'add' }).click();
    await row.getByRole('button', { name: '×1 max' }).click();
    const max = Number(await row.getByLabel('Value for feature 320').inputValue());
    assert.ok(max > 10, `feature 320's max activation ${max}`);

    await page.getByRole('textbox', { name: 'Prompt' }).fill('The house was built two hundred years');
    await page.getByRole('checkbox', { name: 'Strength sweep' }).check();
    assert.equal(await page.getByLabel('Sweep factors').inputValue(), '0, 0.5, 1, 2, 4, 8');
    await page.keyboard.press('Control+Enter');
    const grid = page.locator('[data-testid="steer-grid"][data-kind="sweep"]');
    await grid.locator('[data-testid="steer-status"][data-state="done"]').waitFor({ timeout: 60_000 });

    const runs = grid.getByTestId('grid-run');
    assert.equal(await runs.count(), 7, 'the default run and one per strength');
    assert.deepEqual(await grid.getByTestId('grid-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-group'))), [
      'default',
      'f0',
      'f0.5',
      'f1',
      'f2',
      'f4',
      'f8',
    ]);
    const kl = await klByFactor(page);
    assert.equal(kl.get('0'), 0, 'adding 0 leaves the model alone');
    assert.ok(kl.get('8')! > kl.get('0.5')!, `KL at ×8 ${kl.get('8')} > at ×½ ${kl.get('0.5')}`);
    // the ×8 row shows its values: add 320 + 8 × max
    await grid
      .locator('[data-group="f8"]')
      .getByText(/^add 320\+\d/)
      .waitFor();
    await grid.getByTestId('grid-legend').getByText('at the first generated position').waitFor();
    // the default's text and add 0's are the same; ×8 differs from the default somewhere
    const text = (f: string) =>
      grid.locator(`[data-testid="grid-run"][data-side="steered"][data-factor="${f}"]`).getByTestId('grid-text').textContent();
    const dflt = await grid.locator('[data-testid="grid-run"][data-side="default"]').getByTestId('grid-text').textContent();
    assert.equal(await text('0'), dflt);
    assert.notEqual(await text('8'), dflt);
    await grid.scrollIntoViewIfNeeded();
    await page.evaluate('document.getElementById("steer-results").scrollIntoView()');
    await page.screenshot({ path: path.join(resultsDir, 'steer-sweep.png'), fullPage: false });

    // the session is one session with every run, and exports with them
    const list = await callApi<{ id: string; sweep: number[] | null }[]>(page, 'session.list', {});
    assert.deepEqual(list[0]!.sweep, [0, 0.5, 1, 2, 4, 8]);
    const exported = await callApi<SessionExport>(page, 'session.export', { id: list[0]!.id });
    assert.equal(exported.version, 2);
    assert.equal(exported.session.runs.length, 7);
    await page.getByTestId('session-row').first().getByText('sweep ×6', { exact: true }).waitFor();
  });

  test('three samples per side, stacked under default and steered, each sample one seed for both', async () => {
    await page.getByRole('checkbox', { name: 'Strength sweep' }).uncheck();
    await page.getByLabel('sample', { exact: true }).check();
    await page.getByLabel('Seed').fill('11');
    await page.getByLabel('Samples per side').fill('3');
    await page.getByRole('button', { name: /^Run/ }).click();
    const grid = page.locator('[data-testid="steer-grid"][data-kind="samples"]');
    await grid.locator('[data-testid="steer-status"][data-state="done"]').waitFor({ timeout: 60_000 });
    for (const side of ['default', 'steered'] as const) {
      const column = grid.locator(`[data-testid="grid-column"][data-group="${side}"]`);
      assert.equal(await column.getByTestId('grid-run').count(), 3);
      for (const [i, seed] of [11, 12, 13].entries()) await column.getByTestId('grid-run').nth(i).getByText(`seed ${seed}`).waitFor();
    }
    const defaults = await grid.locator('[data-group="default"] [data-testid="grid-text"]').allTextContents();
    assert.equal(new Set(defaults).size, 3, 'three different samples');
    // the next-token table compares the two sides
    await grid.getByTestId('steer-next').waitFor();
    await page.evaluate('document.getElementById("steer-results").scrollIntoView()');
    await page.screenshot({ path: path.join(resultsDir, 'steer-samples.png') });
    await page.getByTestId('session-row').first().getByText('3 samples', { exact: true }).waitFor();
  });

  test('a chat with a pasted ChatML template: the user text is told from the template tokens and steered alone', async () => {
    await page.getByLabel('Samples per side').fill('1');
    await page.getByLabel('greedy').check();
    await page.getByRole('radio', { name: 'Chat' }).click();
    await page.getByText('This model has no chat template').waitFor();
    await page.getByRole('button', { name: /template: none/ }).click();
    const chatml = fs.readFileSync(path.join(repoRoot, 'test/fixtures/chat-templates/chatml-qwen2-instruct.jinja'), 'utf8');
    await page.getByLabel('Chat template').fill(chatml);
    await page.getByLabel('Turn 1 (user)').fill('How many years ago was the house built?');
    await page.getByTestId('prompt-segments').getByText('user text', { exact: true }).waitFor();
    // the chat as rendered: the template's tokens (its default system turn too) around the user's text
    const tokens = page.getByRole('list', { name: 'Prompt tokens by position' }).locator('li');
    await tokens.last().and(page.locator('[data-role="template"]')).waitFor();
    const roles = await tokens.evaluateAll((els) => els.map((e) => e.getAttribute('data-role')));
    const user = roles.flatMap((r, i) => (r === 'user' ? [i] : []));
    assert.ok(user.length >= 8 && user[0]! > 5, roles.join(','));
    assert.equal(user.at(-1)! - user[0]! + 1, user.length, 'the user text is one run of tokens');
    assert.ok(roles.slice(user.at(-1)! + 1).length >= 5 && roles.slice(user.at(-1)! + 1).every((r) => r === 'template'));
    await page.getByRole('region', { name: 'Prompt' }).screenshot({ path: path.join(resultsDir, 'steer-chat.png') });
    await page.getByLabel('Positions for feature 320').selectOption('user');
    await page.getByRole('button', { name: /^Run/ }).click();
    await page.locator('[data-testid="steer-outputs"] [data-testid="steer-status"][data-state="done"]').waitFor({ timeout: 60_000 });
    const s = (await callApi<{ id: string; chat: boolean }[]>(page, 'session.list', {}))[0]!;
    assert.equal(s.chat, true);
    const full = await callApi<{ prompt: string; segments: { role: string }[]; interventions: { positions: unknown }[] }>(
      page,
      'session.get',
      {
        id: s.id,
      },
    );
    assert.match(full.prompt, /^<\|im_start\|>system\nYou are a helpful assistant\.<\|im_end\|>\n<\|im_start\|>user\nHow many years/);
    assert.deepEqual(
      full.segments.map((x) => x.role),
      ['user'],
    );
    assert.equal(full.interventions[0]!.positions, 'user');
  });
});
