import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PayloadInput } from '#shared/contract.ts';
import { rerunPayload } from '#testing/steer/rerun-payload.ts';
import { defaultGenerationSettings, type SteerSession } from '#shared/steer-types.ts';
import { createCore, type Core } from '../host/core.ts';
import { Engine } from '../model/engine.ts';
import { logSoftmax } from '../model/sampling.ts';
import { referenceCases, repoRoot, sharedRealworldDir } from '#testing/fixtures.ts';
import { saePathOf } from '#testing/reference-asserts.ts';
import { exportSession, importSession } from './exchange.ts';
import { runGrid } from './grid.ts';

/**
 * Strength sweeps and several samples on the embedded demo (GPT-2 2.6M + TopK SAE): one run
 * per factor and sample, generated in one batch; KL from the default model exactly 0 where
 * the steering leaves the model alone (add 0) and growing with the strength for the demo's
 * documented features; samples reproducible from their seeds and from the session alone;
 * and the batched rows reproduce the PyTorch reference's default and steered continuations.
 */
const demo = path.join(repoRoot, 'resources', 'demo');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-steer-grid-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface DemoFeature {
  readonly id: number;
  readonly label: string;
  readonly max: number;
  readonly steer: { readonly prompt: string };
}
const features = JSON.parse(fs.readFileSync(path.join(demo, 'features.json'), 'utf8')) as DemoFeature[];

async function runToEnd(core: Core, payload: PayloadInput<'steer.run'>): Promise<SteerSession> {
  const done = core.bus.next('steer.done');
  const started = await core.request('steer.run', payload);
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const end = await done;
  assert.equal(end.state, 'done', end.error);
  const got = await core.request('session.get', { id: end.session });
  assert.ok(got.ok, got.ok ? '' : got.error.message);
  return got.value;
}

const FACTORS = [0, 0.5, 1, 2, 4, 8];

describe('sweeps and samples on the demo', () => {
  let core: Core;
  before(async () => {
    core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
    const opened = await core.request('workspace.open', { model: path.join(demo, 'model'), sae: path.join(demo, 'sae') });
    assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
  });
  after(() => core?.close());

  test('the demo documents five features', () => assert.equal(features.length, 5));

  for (const f of features) {
    test(`feature ${f.id} (${f.label}): add × max at ${FACTORS.join(', ')}: KL 0 at 0, larger at 8 than at ½`, async () => {
      const tokens: number[] = [];
      const off = core.bus.on('steer.token', (t) => {
        if (t.row !== undefined) tokens.push(t.row);
      });
      const s = await runToEnd(core, {
        prompt: f.steer.prompt,
        interventions: [{ feature: f.id, mode: 'add', value: f.max }],
        settings: { maxNewTokens: 12, stopAtEos: false },
        sweep: FACTORS,
      });
      off();
      assert.deepEqual(s.sweep, FACTORS);
      assert.deepEqual(
        s.runs.map((r) => [r.side, r.factor, r.sample]),
        [['default', null, 0], ...FACTORS.map((x) => ['steered', x, 0])],
        'the default run, then one run per strength',
      );
      for (const r of s.runs) {
        assert.equal(r.output.ids.length, 12);
        assert.equal(r.output.finish, 'length');
        assert.equal(r.output.tokens.join(''), r.output.text);
        assert.ok(r.metrics);
      }
      assert.equal(tokens.length, 12 * s.runs.length, 'every run streamed its tokens');
      const [dflt, zero, half, , , , eight] = s.runs;
      assert.equal(zero!.metrics!.klFirst, 0, 'add 0 leaves the next-token distribution exactly as it is');
      assert.equal(zero!.metrics!.klMean, 0);
      assert.deepEqual(zero!.output.ids, dflt!.output.ids);
      assert.equal(zero!.metrics!.coherence, dflt!.metrics!.coherence, 'the default model reads add 0 as its own text');
      assert.ok(half!.metrics!.klFirst > 0);
      assert.ok(eight!.metrics!.klFirst > half!.metrics!.klFirst, `KL first ×8 ${eight!.metrics!.klFirst} > ×½ ${half!.metrics!.klFirst}`);
      assert.ok(eight!.metrics!.klMean > half!.metrics!.klMean, `KL mean ×8 ${eight!.metrics!.klMean} > ×½ ${half!.metrics!.klMean}`);
      assert.deepEqual(s.outputs.default, dflt!.output);
      assert.deepEqual(s.outputs.steered, zero!.output, 'outputs mirror the first default and the first steered run');
      assert.equal(s.next, null, 'a sweep has no single next-token table');
    });
  }

  test('three samples per side: each sample its own seed, both sides of a sample the same; rerun gives the same text', async () => {
    const payload = {
      prompt: 'The meeting was held on May',
      interventions: [{ feature: 444, mode: 'clamp' as const, value: 12 }],
      settings: { maxNewTokens: 16, greedy: false, temperature: 1, topK: 0, topP: 1, seed: 5, stopAtEos: false },
      samples: 3,
    };
    const a = await runToEnd(core, payload);
    assert.deepEqual(
      a.runs.map((r) => [r.side, r.factor, r.sample, r.seed]),
      [0, 1, 2].flatMap((i) => [
        ['default', null, i, 5 + i],
        ['steered', 1, i, 5 + i],
      ]),
    );
    const defaults = a.runs.filter((r) => r.side === 'default').map((r) => r.output.text);
    assert.equal(new Set(defaults).size, 3, `three different samples: ${JSON.stringify(defaults)}`);
    assert.ok(a.next && a.next.default.length === 10 && a.next.steered.length === 10);
    for (const r of a.runs) assert.ok(r.side === 'default' ? r.metrics!.klFirst === 0 : r.metrics!.klFirst > 0);

    const b = await runToEnd(core, payload);
    assert.deepEqual(
      b.runs.map((r) => r.output),
      a.runs.map((r) => r.output),
      'the same seed gives the same samples',
    );
    const c = await runToEnd(core, { ...payload, settings: { ...payload.settings, seed: 6 } });
    assert.deepEqual(c.runs[0]!.output.ids, a.runs[2]!.output.ids, 'seed 6 sample 0 is seed 5 sample 1 (the default side)');
    assert.notDeepEqual(c.runs[0]!.output.ids, a.runs[0]!.output.ids);

    // the session alone reruns it: export, import into another data folder, run what it says
    const file = JSON.parse(JSON.stringify(exportSession(a))) as unknown;
    const imported = importSession(file);
    const again = await runToEnd(core, rerunPayload(imported));
    assert.deepEqual(
      again.runs.map((r) => r.output),
      a.runs.map((r) => r.output),
      'reproduced from the exported session',
    );
    assert.deepEqual(again.samples, 3);
  });

  test('a sweep with samples: per sample the default, then each factor; the list says what each session is', async () => {
    const s = await runToEnd(core, {
      prompt: 'He was a well',
      interventions: [{ feature: 298, mode: 'add', value: 4 }],
      settings: { maxNewTokens: 6, greedy: false, temperature: 0.8, seed: 1, stopAtEos: false },
      sweep: [0, 2],
      samples: 2,
    });
    assert.deepEqual(
      s.runs.map((r) => `${r.side}:${r.factor}:${r.sample}`),
      ['default:null:0', 'steered:0:0', 'steered:2:0', 'default:null:1', 'steered:0:1', 'steered:2:1'],
    );
    for (const sample of [0, 1]) {
      const [d, z] = s.runs.filter((r) => r.sample === sample);
      assert.deepEqual(z!.output.ids, d!.output.ids, `sample ${sample}: add 0 samples exactly what the default samples`);
    }
    const list = await core.request('session.list', {});
    assert.ok(list.ok);
    const row = list.value.find((x) => x.id === s.id)!;
    assert.deepEqual([row.sweep, row.samples, row.chat], [[0, 2], 2, false]);
  });

  test('a sweep cancelled mid-run keeps every run’s tokens so far, each marked cancelled', async () => {
    const started = await core.request('steer.run', {
      prompt: 'The house was built',
      interventions: [{ feature: 320, mode: 'add', value: 13 }],
      settings: { maxNewTokens: 200, stopAtEos: false },
      sweep: [0, 1, 4],
    });
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    await core.bus.next('steer.token', (t) => t.row === 3 && t.index === 2);
    const done = core.bus.next('steer.done');
    const cancelled = await core.request('steer.cancel', { run: started.value.run });
    assert.ok(cancelled.ok);
    assert.equal((await done).state, 'cancelled');
    const s = cancelled.value;
    assert.equal(s.state, 'cancelled');
    assert.equal(s.runs.length, 4);
    const n = s.runs[0]!.output.ids.length;
    assert.ok(n >= 3 && n < 200, `${n} tokens kept`);
    for (const r of s.runs) {
      assert.equal(r.output.finish, 'cancelled');
      assert.equal(r.output.ids.length, n, 'the rows step together');
    }
  });

  test('refused with a reason: samples with greedy decoding, a sweep without interventions, too many rows', async () => {
    const base = { prompt: 'The house', interventions: [{ feature: 320, mode: 'add' as const, value: 1 }] };
    const greedy = await core.request('steer.run', { ...base, samples: 2 });
    assert.ok(!greedy.ok && /several samples need sampling/.test(greedy.error.message));
    const none = await core.request('steer.run', { ...base, interventions: [], sweep: [1, 2] });
    assert.ok(!none.ok && /add a feature to steer first/.test(none.error.message));
    const big = await core.request('steer.run', {
      ...base,
      sweep: Array.from({ length: 16 }, (_, i) => i),
      samples: 4,
      settings: { greedy: false },
    });
    assert.ok(!big.ok && /at most 96/.test(big.error.message), big.ok ? '' : big.error.message);
  });
});

describe('batched rows reproduce the PyTorch reference, at residual and other hooks', () => {
  // residual hooks, and the real-world exports' SAEs on hook_mlp_out, hook_attn_out and attn.hook_z
  const beyond = referenceCases([sharedRealworldDir]).filter((c) => /hook_mlp_out|hook_attn_out|hook_z$/.test(c.expected.hook));
  const cases = [...referenceCases(), ...beyond].filter((c) => c.expected.clamps.length > 0);
  test('there are reference cases with clamps, three of them beyond the residual stream', () => {
    assert.ok(cases.length >= 5);
    assert.deepEqual([...new Set(beyond.map((c) => c.expected.hook.split('.').slice(2).join('.')))].sort(), [
      'attn.hook_z',
      'hook_attn_out',
      'hook_mlp_out',
    ]);
  });
  for (const c of cases) {
    const e = c.expected;
    test(`${c.name}: the default row and the steered row of a batch are the reference's default and clamped continuations`, async () => {
      const engine = await Engine.open({
        model: c.modelDir,
        sae: saePathOf(c),
        hook: e.hook,
        cacheDir: path.join(tmp, 'ref-cache'),
        provider: 'cpu',
      });
      try {
        const clamps = e.clamps.map(([feature, value]) => ({ feature, mode: 'clamp' as const, value }));
        const rows = await engine.generateBatch(
          e.prompt_ids,
          [{ sampling: {} }, { sampling: {}, interventions: clamps }, { sampling: {}, follow: 1 }],
          {
            maxNewTokens: e.max_new_tokens,
          },
        );
        assert.deepEqual(rows[0]!.ids, e.baseline_ids);
        assert.deepEqual(rows[1]!.ids, e.steered_ids);
        assert.deepEqual(rows[2]!.ids, e.steered_ids, 'the reader is fed the steered text');
        // …and its log-probabilities are the untouched model's on the prompt + steered text
        const P = e.prompt_ids.length;
        const base = await engine.logits([[...e.prompt_ids, ...e.steered_ids]], 'base');
        e.steered_ids.forEach((id, t) => {
          const lp = logSoftmax(base.data.subarray((P - 1 + t) * base.vocab, (P + t) * base.vocab));
          assert.ok(Math.abs(lp[id]! - rows[2]!.logprobs[t]!) < 2e-3, `token ${t}: ${lp[id]} vs ${rows[2]!.logprobs[t]}`);
        });
        // a sweep at this hook: adding 0 × the decoder row changes nothing, a large multiple does
        const [feature, value] = e.clamps[0]!;
        const sweep = await runGrid(engine, {
          promptIds: e.prompt_ids,
          interventions: [{ feature, mode: 'add', value: Math.max(1, Math.abs(value)) }],
          settings: { ...defaultGenerationSettings, maxNewTokens: 4, stopAtEos: false },
          plan: { sweep: [0, 1, 16], samples: 1 },
        });
        const kl = sweep.filter((r) => r.side === 'steered').map((r) => r.metrics!.klFirst);
        assert.equal(kl[0], 0);
        assert.ok(kl[2]! > kl[1]! && kl[1]! > 0, `KL at ×1 ${kl[1]}, ×16 ${kl[2]}`);
      } finally {
        await engine.close();
      }
    });
  }
});
