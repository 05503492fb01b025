/** `steer` with --sweep, --samples and --chat on the embedded demo: the JSON scripts rely on, reproducibility, and usage errors. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '#testing/fixtures.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-steer-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const demo = path.join(repoRoot, 'resources', 'demo');
const steer = (...more: string[]) =>
  cli('steer', '--model', path.join(demo, 'model'), '--sae', path.join(demo, 'sae'), '--data', path.join(tmp, 'data'), ...more);

interface Run {
  side: string;
  factor: number | null;
  sample: number;
  seed: number;
  interventions: { feature: number; mode: string; value: number }[];
  ids: number[];
  text: string;
  klFirst: number | null;
  klMean: number | null;
  coherence: number | null;
}
interface GridJson {
  prompt: string;
  default: Run;
  runs: Run[];
  defaults: Run[];
}

test('--add 320=1 --sweep 0,4,16 runs add 0, 4 and 16 on one seed, with KL and coherence', async () => {
  const r = await steer(
    '--text',
    'The house was built two hundred years',
    '--add',
    '320=1',
    '--sweep',
    '0,4,16',
    '--max-new-tokens',
    '10',
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as GridJson;
  assert.equal(out.default.side, 'default');
  assert.deepEqual(
    out.runs.map((x) => [x.factor, x.interventions]),
    [0, 4, 16].map((v) => [v, [{ feature: 320, mode: 'add', value: v }]]),
  );
  assert.deepEqual(out.defaults, [out.default]);
  assert.equal(out.runs[0]!.klFirst, 0);
  assert.deepEqual(out.runs[0]!.ids, out.default.ids);
  assert.ok(out.runs[2]!.klFirst! > out.runs[1]!.klFirst!);
  for (const x of [out.default, ...out.runs]) assert.equal(x.ids.length, 10);
  const text = await steer(
    '--text',
    'The house was built two hundred years',
    '--add',
    '320=1',
    '--sweep',
    '0,4,16',
    '--max-new-tokens',
    '10',
  );
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /^×16 +".*" {2}KL first \d+\.\d{3} mean \d+\.\d{3} · coherence -\d/m);
});

test('--samples 3 samples three continuations per side, seeds S, S+1, S+2; the same seed gives the same JSON', async () => {
  const args = [
    '--text',
    'He was a well',
    '--add',
    '298=8',
    '--samples',
    '3',
    '--temperature',
    '1',
    '--seed',
    '4',
    '--max-new-tokens',
    '8',
    '--json',
  ];
  const a = await steer(...args);
  assert.equal(a.code, 0, a.err);
  const out = JSON.parse(a.out) as GridJson;
  assert.deepEqual(
    out.defaults.map((x) => x.seed),
    [4, 5, 6],
  );
  assert.deepEqual(
    out.runs.map((x) => [x.side, x.sample, x.seed]),
    [0, 1, 2].map((i) => ['steered', i, 4 + i]),
  );
  const b = await steer(...args);
  assert.equal(b.out, a.out);
});

test('usage errors: samples without sampling, a sweep without interventions, a chat on a model without a template', async () => {
  const samples = await steer('--text', 'x', '--add', '1=1', '--samples', '2');
  assert.equal(samples.code, 2);
  assert.match(samples.err, /several samples need sampling.*give --temperature/);
  const sweep = await steer('--text', 'x', '--sweep', '0,1');
  assert.equal(sweep.code, 2);
  assert.match(sweep.err, /--sweep scales the interventions/);
  const bad = await steer('--text', 'x', '--add', '1=1', '--sweep', '0,a');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--sweep takes 1 to 16 comma-separated factors/);
  const chat = await steer('--text', 'x', '--chat');
  assert.equal(chat.code, 2);
  assert.match(chat.err, /this model has no chat template/);
});

test('--chat-template renders --text as the user message; --positions user steers its tokens only', async () => {
  const template = path.join(repoRoot, 'test/fixtures/chat-templates/chatml-qwen2-instruct.jinja');
  const r = await steer(
    '--chat-template',
    template,
    '--system',
    'Be brief.',
    '--text',
    'The meeting was held on May',
    '--clamp',
    '444=30',
    '--positions',
    'user',
    '--max-new-tokens',
    '4',
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { baseline: { ids: number[] }; steered: { ids: number[] } };
  assert.equal(out.baseline.ids.length, 4);
  const text = await steer('--chat-template', template, '--text', 'Hi', '--max-new-tokens', '2');
  assert.match(
    text.out,
    /^prompt {3}"<\|im_start\|>system\\nYou are a helpful assistant\.<\|im_end\|>\\n<\|im_start\|>user\\nHi<\|im_end\|>\\n<\|im_start\|>assistant\\n"/,
  );
});
