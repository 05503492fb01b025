import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createCore } from '../host/core.ts';
import { referenceCases } from '#testing/fixtures.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-browse-'));
const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
after(async () => {
  await core.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the folder browser tags a folder SAE only when its cfg.json reads, and says why not', async () => {
  const ref = referenceCases().find((c) => c.name === 'gpt2-relu-l2pre')!;
  const good = path.join(tmp, 'good');
  const broken = path.join(tmp, 'broken');
  const unknown = path.join(tmp, 'unknown-architecture');
  for (const dir of [good, broken, unknown]) fs.cpSync(ref.saeDir, dir, { recursive: true });
  fs.writeFileSync(path.join(broken, 'cfg.json'), '{"d_in": 64, ');
  const cfg = JSON.parse(fs.readFileSync(path.join(ref.saeDir, 'cfg.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(unknown, 'cfg.json'), JSON.stringify({ ...cfg, architecture: 'mystery' }));

  const listing = await core.request('hub.browse', { dir: tmp });
  assert.ok(listing.ok, listing.ok ? '' : listing.error.message);
  const by = Object.fromEntries(listing.value.entries.map((e) => [e.name, e]));
  assert.equal(by['good']?.kind, 'sae');
  assert.equal(by['good']?.problem, undefined);
  assert.equal(by['broken']?.kind, null);
  assert.match(by['broken']?.problem ?? '', /not valid JSON/);
  assert.equal(by['unknown-architecture']?.kind, null);
  assert.match(by['unknown-architecture']?.problem ?? '', /unknown SAE architecture "mystery"/);
});
