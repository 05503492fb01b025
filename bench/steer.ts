/**
 * `npm run bench:steer [-- --reps N --provider EP]`
 *
 * On the embedded demo (GPT-2 2.6M + 1,536-latent TopK SAE): a 6-strength sweep of 24 tokens
 * (add feature 320 at 0, ½, 1, 2, 4, 8 × its max activation, with KL and coherence, all in one
 * batch) against one steered run (default and steered side stepping together, as the Steer
 * screen runs them), and 3 samples per side against the same. Prints the ratios (target for
 * the sweep ≤ 3×) of wall-clock medians and minimums, measured alternately in the same run,
 * and of the process's CPU time (ONNX Runtime's threads included), which other load on the
 * machine inflates less.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultGenerationSettings, type GenerationSettings } from '../src/shared/steer-types.ts';
import { Engine } from '../src/core/model/engine.ts';
import type { ProviderName } from '../src/core/model/providers.ts';
import { runGrid, samplingOf, type GridPlan } from '../src/core/steer/grid.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { median } from './setup.ts';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '9' },
    provider: { type: 'string' },
    tokens: { type: 'string', default: '24' },
  },
});
const reps = Math.max(1, Number(values.reps));
const tokens = Math.max(1, Number(values.tokens));
const demo = path.join(repoRoot, 'resources', 'demo');
const engine = await Engine.open({
  model: path.join(demo, 'model'),
  sae: path.join(demo, 'sae'),
  cacheDir: path.join(repoRoot, '.cache', 'bench', 'graph-cache'),
  ...(values.provider ? { provider: values.provider as ProviderName } : {}),
});
const ids = engine.tokenize('The house was built two hundred years');
const add320 = [{ feature: 320, mode: 'add' as const, value: 13.132 }]; // × its max activation (resources/demo/features.json)
const greedy: GenerationSettings = { ...defaultGenerationSettings, stopSequences: [], maxNewTokens: tokens, stopAtEos: false };
const sampled: GenerationSettings = { ...greedy, greedy: false, temperature: 1, seed: 3 };

/** Wall-clock and CPU milliseconds of one call (CPU: this process, ONNX Runtime's threads included). */
const ms = async (fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
};
type Timing = Awaited<ReturnType<typeof ms>>;
/** One steered run as the Steer screen runs it: both sides, stepping together. */
const pair = (s: GenerationSettings) => () =>
  Promise.all([
    engine.generate(ids, { maxNewTokens: s.maxNewTokens, sampling: samplingOf(s) }),
    engine.generate(ids, { maxNewTokens: s.maxNewTokens, sampling: samplingOf(s), interventions: add320 }),
  ]);
const grid = (s: GenerationSettings, plan: GridPlan) => () => runGrid(engine, { promptIds: ids, interventions: add320, settings: s, plan });

const sweepPlan = { sweep: [0, 0.5, 1, 2, 4, 8], samples: 1 };
const samplesPlan = { sweep: null, samples: 3 };
// warm-up: sessions, allocations
await pair(greedy)();
await grid(greedy, sweepPlan)();
await grid(sampled, samplesPlan)();

const t = { one: [] as Timing[], sweep: [] as Timing[], oneSampled: [] as Timing[], samples: [] as Timing[] };
for (let r = 0; r < reps; r++) {
  t.one.push(await ms(pair(greedy)));
  t.sweep.push(await ms(grid(greedy, sweepPlan)));
  t.oneSampled.push(await ms(pair(sampled)));
  t.samples.push(await ms(grid(sampled, samplesPlan)));
}
await engine.close();

const med = (xs: Timing[], k: keyof Timing): number => median(xs.map((x) => x[k]));
const min = (xs: Timing[]): number => Math.min(...xs.map((x) => x.wall));
const r2 = (v: number): number => Number(v.toFixed(2));
const result = {
  provider: engine.activeProvider,
  tokens,
  one_steered_run_ms: Number(med(t.one, 'wall').toFixed(1)),
  sweep_6_strengths_ms: Number(med(t.sweep, 'wall').toFixed(1)),
  sweep_vs_one_run: r2(med(t.sweep, 'wall') / med(t.one, 'wall')),
  sweep_vs_one_run_fastest: r2(min(t.sweep) / min(t.one)),
  sweep_vs_one_run_cpu: r2(med(t.sweep, 'cpu') / med(t.one, 'cpu')),
  one_sampled_run_ms: Number(med(t.oneSampled, 'wall').toFixed(1)),
  samples_3_per_side_ms: Number(med(t.samples, 'wall').toFixed(1)),
  samples_vs_one_run: r2(med(t.samples, 'wall') / med(t.oneSampled, 'wall')),
};
console.log(
  `provider ${result.provider} · ${os.cpus().length} CPUs · load ${os.loadavg()[0]!.toFixed(1)} · ${tokens} tokens per run · ${reps} reps`,
);
console.log(`one steered run      ${result.one_steered_run_ms} ms (default + steered; median)`);
console.log(
  `6-strength sweep     ${result.sweep_6_strengths_ms} ms (7 runs + 6 default-model readers, one batch) → ratio ${result.sweep_vs_one_run}× ` +
    `(fastest runs ${result.sweep_vs_one_run_fastest}×, CPU time ${result.sweep_vs_one_run_cpu}×; target ≤ 3×)`,
);
console.log(
  `3 samples per side   ${result.samples_3_per_side_ms} ms vs ${result.one_sampled_run_ms} ms sampled → ratio ${result.samples_vs_one_run}×`,
);
console.log(JSON.stringify(result));
