/** The evaluate and compare commands: the JSON fields scripts depend on, storage, and their errors. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { HealthStore, healthDbFile } from '../../core/health/store.ts';
import { REPORT_NUMBER_FIELDS } from '#testing/health/test-support.ts';
import { referenceCase } from '#testing/index/test-support.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-health-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ref = referenceCase('gpt2-relu-l2pre');
const data = path.join(tmp, 'data');

test('evaluate --json: every metric field, the prompt fixture’s FVU, and the report stored in the data folder', async () => {
  const corpus = path.join(tmp, 'prompt.txt');
  fs.writeFileSync(corpus, ref.expected.prompt_text);
  /** `evaluate` of the reference case's model and SAE, storing into `data`. */
  const evaluate = (...more: string[]) => cli('evaluate', '--model', ref.modelDir, '--sae', ref.saeDir, '--data', data, ...more);
  const r = await evaluate('--corpus', corpus, '--max-tokens', '1000', '--json');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as Record<string, unknown>;
  for (const k of REPORT_NUMBER_FIELDS) assert.equal(typeof out[k], 'number', k);
  assert.ok(Array.isArray(out['density_histogram']) && out['density_histogram'].length === 50);
  assert.ok(Math.abs((out['fvu'] as number) - ref.expected.fvu) < 1e-3);
  assert.equal(out['tokens'], ref.expected.prompt_ids.length);
  assert.equal(out['max_tokens'], 1000);
  assert.equal(out['context'], 128);
  assert.equal(out['text_field'], 'text');
  const store = new HealthStore(healthDbFile(data));
  try {
    assert.deepEqual(store.byId(out['id'] as number), out);
  } finally {
    store.close();
  }
  const text = await evaluate('--corpus', corpus);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /CE loss recovered\s+-?\d/);

  const bad = await evaluate();
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--corpus PATH is required/);
  const missing = await evaluate('--corpus', path.join(tmp, 'nope.jsonl'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /corpus not found: .*nope\.jsonl/);
});

test('compare --json: an SAE with itself gives 1.0 for every latent; different hooks are refused', async () => {
  const r = await cli('compare', '--sae', ref.saeDir, '--sae-b', ref.saeDir, '--provider', 'cpu', '--json');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { max_cosine: number[]; argmax: number[]; shares: Record<string, number>; histogram: unknown[] };
  assert.equal(out.max_cosine.length, 256);
  assert.ok(out.max_cosine.every((v) => Math.abs(v - 1) < 1e-5));
  assert.deepEqual(
    out.argmax,
    Array.from({ length: 256 }, (_, i) => i),
  );
  assert.deepEqual(out.shares, { above_0_9: 1, above_0_8: 1, above_0_7: 1 });
  assert.equal(out.histogram.length, 50);

  const other = referenceCase('gpt2-topk-l1post');
  const refused = await cli('compare', '--sae', ref.saeDir, '--sae-b', other.saeDir);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /same hook/);
});
