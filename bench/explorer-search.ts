/**
 * `npm run bench:search [-- --reps R --baseline-reps B]`
 *
 * `feature.search` latency through core's dispatcher over an index of 24,576 features with
 * 3,000 annotated features, and decoder-cosine nearest features on a 24,576 × 2,304 decoder
 * (Gemma-2-2B width), each against a baseline measured in the same run (bench/search-baseline.ts):
 * - feature lists (all / sorted / filtered / labelled / lists / ids / text): per request
 *   `select * from features` + the annotations from SQLite, every sparkline decoded, then
 *   filter / sort / page in JS, against core's in-memory feature table and annotation cache;
 * - token search: every feature's top examples decoded through IndexReader and matched in JS,
 *   against the `top_tokens` tables;
 * - decoder nearest: a scalar float64 loop over every row with norms, against ours (cached
 *   norms, four partial sums).
 * - co-occurring features (bench/cooccurrence.ts): a second synthetic index of ≈ 1M tokens with
 *   all 32 activations a token stored, finalized by the real finalize phase; the stored rows
 *   against counting on demand from every chunk.
 * Each baseline's answer is asserted equal to core's (total and rows) before it is timed.
 * Prints p50 / p95 per query and the ratios baseline / ours (above 1: ours is faster).
 *
 * The index is synthetic but written through the real schema: per-feature statistics and
 * histograms, top examples (up to 20 activations per feature in one chunk, at random
 * positions of 7,813 windows of 128 demo-tokenizer tokens) and top tokens recorded by the
 * finalize phase's own TopTokenWriter. Real indexes hold far more activations per chunk,
 * which only slows the IndexReader baseline, so its ratio here is a floor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PayloadInput } from '../src/shared/contract.ts';
import { createCore } from '../src/core/host/core.ts';
import { hashCacheDir, saeHash } from '../src/core/annotations/identity.ts';
import { nearestFeatures } from '../src/core/explorer/decoder.ts';
import { HISTOGRAM_BINS, INTERVALS, TOP_EXAMPLES } from '../src/core/index/bins.ts';
import { encodeChunk, encodeTokens } from '../src/core/index/codec.ts';
import { encodeStats } from '../src/core/index/feature-stats.ts';
import { IndexReader } from '../src/core/index/reader.ts';
import { IndexWriter, initialProgress } from '../src/core/index/store.ts';
import { TopTokenWriter } from '../src/core/index/top-tokens.ts';
import type { IndexSettings } from '../src/core/index/types.ts';
import type { Sae } from '../src/core/sae/types.ts';
import { seededRandom } from '../src/core/util/random.ts';
import { findResources } from '../src/core/workspace/demo.ts';
import { checkCooccurring, cooccurrenceBytes, finalizeCoocIndex, naiveCooccurring, removeIndex, writeCoocIndex } from './cooccurrence.ts';
import { NaiveSearch, scalarNearest } from './search-baseline.ts';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '40' }, 'baseline-reps': { type: 'string', default: '10' } },
});
const reps = Number(values.reps);
const baseReps = Number(values['baseline-reps']);
/** The token-search baseline reads every feature's dashboard (seconds a run): fewer runs. */
const scanReps = Math.min(baseReps, 3);
const decoderReps = Math.min(reps, 10);
const decoderBaseReps = Math.min(baseReps, 5);
const D_SAE = 24_576;
const CONTEXT = 128;
const WINDOWS = 7813;
const TOKENS = WINDOWS * CONTEXT; // ≈ 1M

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-explorer-'));
const res = findResources();
if (!res) throw new Error('the embedded demo is missing (resources/demo)');
const saeDir = path.join(res, 'demo', 'sae');
const modelDir = path.join(res, 'demo', 'model');
const db = path.join(tmp, 'data', 'indexes', 'synthetic.sqlite');
const readJson = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(modelDir, name), 'utf8')) as Record<string, unknown>;

// --- a synthetic index through the real schema --------------------------------------------
const rand = seededRandom(7);
const writer = new IndexWriter(db);
const settings: IndexSettings = {
  model: modelDir,
  sae: saeDir,
  hook: 'blocks.8.hook_resid_pre',
  architecture: 'topk',
  dSae: D_SAE,
  k: 32,
  prependBos: false,
  bosId: null,
  context: CONTEXT,
  batch: 8,
  corpus: 'synthetic',
  corpusFiles: [],
  textField: 'text',
  maxTokens: null,
  maxLatentsPerToken: null,
  seed: 0,
};
const tokenizer = {
  tokenizer: readJson('tokenizer.json'),
  tokenizerConfig: readJson('tokenizer_config.json'),
  config: readJson('config.json'),
};
const vocab = Number(tokenizer.config['vocab_size']);
writer.create(settings, tokenizer, { ...initialProgress(32), phase: 'done', tokens: TOKENS, windows: WINDOWS });
const put = writer.db.prepare(
  'insert into features (id, count, sum, max, histogram, intervals, top, samples) values (?, ?, ?, ?, ?, ?, ?, ?)',
);
const putWindow = writer.db.prepare('insert into windows (id, doc, idx, bos, tokens) values (?, ?, ?, ?, ?)');
const putChunk = writer.db.prepare('insert into chunks (feature, first, last, n, data) values (?, ?, ?, ?, ?)');
writer.db.transaction(() => {
  for (let w = 0; w < WINDOWS; w++) {
    // skewed towards low ids (BPE's common pieces), never the last id (BOS / EOS)
    const ids = Array.from({ length: CONTEXT }, () => Math.floor((vocab - 1) * rand() ** 2));
    putWindow.run(w, Math.floor(w / 8), w % 8, 0, encodeTokens(ids));
  }
  const topTokens = new TopTokenWriter(writer.db);
  topTokens.start();
  for (let f = 0; f < D_SAE; f++) {
    if (rand() < 0.03) continue; // dead
    const count = Math.max(1, Math.round(Math.exp(rand() * 10)));
    const max = Math.fround(1 + rand() * 50); // activations are float32
    const histogram = new Uint32Array(HISTOGRAM_BINS);
    for (let i = 0; i < Math.min(count, 500); i++) histogram[Math.floor(rand() * HISTOGRAM_BINS)]!++;
    // the top examples: one chunk of up to 20 activations at distinct random positions
    const n = Math.min(count, TOP_EXAMPLES);
    const at = new Set<number>();
    while (at.size < n) at.add(Math.floor(rand() * TOKENS));
    const pos = Float64Array.from([...at].sort((a, b) => a - b));
    const value = Float32Array.from(pos, () => max * (0.5 + 0.5 * rand()));
    value[Math.floor(rand() * n)] = max;
    const top = Array.from({ length: n }, (_, i) => i).sort((a, b) => value[b]! - value[a]! || a - b);
    const chunk = encodeChunk(pos, value, 0, n);
    putChunk.run(f, chunk.first, chunk.last, chunk.n, chunk.data);
    const s = {
      count,
      sum: count * max * 0.3,
      max,
      histogram,
      intervals: new Uint32Array(INTERVALS),
      top,
      topPositions: top.map((o) => pos[o]!),
      samples: [],
    };
    put.run(f, count, s.sum, max, ...encodeStats(s));
    topTokens.add(f, s.topPositions);
  }
})();
writer.close();

// --- annotations ------------------------------------------------------------------------
const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
const key = saeHash(saeDir, hashCacheDir(core));
const words = ['Paris', 'numbers', 'brackets', 'French', 'code', 'names', 'dates', 'plural', 'negation', 'quotes'];
core.annotations.store().merge(
  key,
  Array.from({ length: 3000 }, (_, i) => ({
    feature: (i * 7919) % D_SAE,
    label: `${words[i % words.length]} ${words[(i * 3) % words.length]} ${i}`,
    starred: i % 10 === 0,
    lists: i % 4 === 0 ? ['review'] : [],
  })),
);

// --- timing -----------------------------------------------------------------------------
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/** Milliseconds of the first (cold) call and the p50 / p95 of the rest. */
interface Timing {
  readonly first: number;
  readonly p50: number;
  readonly p95: number;
}

/** A first call (its time and answer, kept out of the percentiles), then `n` timed calls. */
async function measure<T>(n: number, call: (i: number) => T | Promise<T>): Promise<Timing & { value: T }> {
  const t0 = performance.now();
  const value = await call(0);
  const first = performance.now() - t0;
  const times: number[] = [];
  for (let i = 1; i <= n; i++) {
    const t = performance.now();
    await call(i);
    times.push(performance.now() - t);
  }
  return { first, value, p50: pct(times, 0.5), p95: pct(times, 0.95) };
}

const queries: [string, PayloadInput<'feature.search'>][] = [
  ['all, by id', { db, query: { kind: 'all' } }],
  ['all, by density', { db, query: { kind: 'all' }, sort: 'density' }],
  [
    'all, density + max ranges, by max',
    { db, query: { kind: 'all' }, filters: { densityMin: 1e-5, densityMax: 1e-2, maxMin: 10 }, sort: 'max' },
  ],
  ['all, labelled, by count, page 5', { db, query: { kind: 'all' }, filters: { labelled: true }, sort: 'count', offset: 1000 }],
  ['all, starred in list', { db, query: { kind: 'all' }, filters: { starred: true, list: 'review' } }],
  ['all, 5000 rows', { db, query: { kind: 'all' }, limit: 5000 }],
  ['ids', { db, query: { kind: 'id', text: '1, 5, 100-400, 20000-20100' } }],
  ['text "par"', { db, query: { kind: 'text', text: 'par' } }],
  ['text "french num"', { db, query: { kind: 'text', text: 'french num' } }],
  ['token "par"', { db, query: { kind: 'token', text: 'par' } }],
  ['token " is", exact', { db, query: { kind: 'token', text: ' is', exact: true } }],
];

const ms = (x: number): string => x.toFixed(1).padStart(7);
const ratio = (base: number, ours: number): string => `${(base / ours).toFixed(1)}×`.padStart(7);
const line = (
  name: string,
  total: string,
  first: string,
  o50: string,
  o95: string,
  b50: string,
  b95: string,
  r50: string,
  r95: string,
): string =>
  `  ${name.padEnd(36)} ${total.padStart(6)} ${first.padStart(7)} ${o50.padStart(7)} ${o95.padStart(7)} ${b50.padStart(7)} ${b95.padStart(7)} ${r50.padStart(7)} ${r95.padStart(7)}`;

/** One table row: our timings against the baseline's. */
const report = (name: string, total: string, ours: Timing, base: Timing): void =>
  console.log(
    line(
      name,
      total,
      ms(ours.first),
      ms(ours.p50),
      ms(ours.p95),
      ms(base.p50),
      ms(base.p95),
      ratio(base.p50, ours.p50),
      ratio(base.p95, ours.p95),
    ),
  );

console.log(
  `feature.search over ${D_SAE} features, ms. ours: core.request, one warm-up ("first": cold, loads the feature table) then ${reps} runs;` +
    ` baseline: one checked warm-up then ${baseReps} runs (token scans ${scanReps}, decoder ${decoderBaseReps} against ours ${decoderReps}).` +
    ' ratio = baseline / ours.',
);
console.log(line('query', 'total', 'first', 'ours50', 'ours95', 'base50', 'base95', '×p50', '×p95'));
const baseline = new NaiveSearch(db, path.join(tmp, 'data', 'annotations.sqlite'), key, D_SAE);
const reader = new IndexReader(db);
for (const [name, payload] of queries) {
  const ours = await measure(reps, async () => {
    const r = await core.request('feature.search', payload);
    if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
    return r.value;
  });
  const scan = payload.query.kind === 'token';
  const base = await measure(scan ? scanReps : baseReps, () => baseline.search(payload, reader));
  // the baseline must answer exactly what core answers
  assert.deepStrictEqual({ total: base.value.total, rows: base.value.rows }, { total: ours.value.total, rows: ours.value.rows }, name);
  report(name, String(ours.value.total), ours, base);
}
reader.close();
baseline.close();

// --- co-occurring features on a ≥ 1M-token index with every activation stored ---------------
const COOC_K = 32;
const coocDb = path.join(tmp, 'data', 'indexes', 'cooccurrence.sqlite');
const built = performance.now();
const cooc = writeCoocIndex(
  coocDb,
  { dSae: D_SAE, windows: WINDOWS, context: CONTEXT, k: COOC_K, vocab },
  { ...settings, k: COOC_K },
  tokenizer,
);
const writeSeconds = (performance.now() - built) / 1000;
const finalizeSeconds = await finalizeCoocIndex(coocDb, D_SAE, cooc.progress);
const coocReader = new IndexReader(coocDb);
const coocRand = seededRandom(5);
const coocIds = Array.from({ length: reps + 1 }, () => Math.floor(D_SAE * coocRand() ** 2));
await checkCooccurring(core, coocReader.db, coocDb, coocIds.slice(0, 3));
const coocOurs = await measure(reps, async (i) => {
  const r = await core.request('feature.cooccurring', { db: coocDb, id: coocIds[i]!, n: 10 });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});
const coocBase = await measure(scanReps, (i) => naiveCooccurring(coocReader.db, coocIds[i]!, 10));
console.log(
  `\nfeature.cooccurring on ${TOKENS.toLocaleString('en-US')} tokens × ${COOC_K} features (${cooc.activations.toLocaleString('en-US')} activations, ` +
    `${D_SAE} features): written in ${writeSeconds.toFixed(1)} s, finalized (statistics, top tokens, co-occurrence) in ${finalizeSeconds.wall.toFixed(1)} s (CPU ${finalizeSeconds.cpu.toFixed(1)} s); ` +
    `co-occurrence rows ${(cooccurrenceBytes(coocReader.db) / 1e6).toFixed(1)} MB. ours: the stored row; baseline: counted on demand from every chunk.`,
);
console.log(line('query', 'total', 'first', 'ours50', 'ours95', 'base50', 'base95', '×p50', '×p95'));
report('co-occurring, top 10 by Jaccard', '10', coocOurs, coocBase);
coocReader.close();
await core.close();
removeIndex(coocDb);

// decoder cosine at Gemma-2-2B width
const dIn = 2304;
const W = new Float32Array(D_SAE * dIn);
for (let i = 0; i < W.length; i++) W[i] = rand() - 0.5;
const sae = { config: { dSae: D_SAE, dIn }, params: { W_dec: { data: W, shape: [D_SAE, dIn] } } } as unknown as Sae;
const ours = await measure(decoderReps, (i) => nearestFeatures(sae, i, 10));
const base = await measure(decoderBaseReps, (i) => scalarNearest(W, D_SAE, dIn, i, 10));
for (let i = 0; i <= decoderBaseReps; i++) {
  const a = nearestFeatures(sae, i, 10);
  const b = scalarNearest(W, D_SAE, dIn, i, 10);
  assert.deepStrictEqual(
    b.map((x) => x.id),
    a.map((x) => x.id),
    `decoder nearest of ${i}`,
  );
  b.forEach((x, j) => assert.ok(Math.abs(x.cosine - a[j]!.cosine) < 1e-6, `decoder cosine of ${i} and ${x.id}`));
}
report(`decoder nearest ${D_SAE} × ${dIn}`, '10', ours, base);
console.log('  (decoder "first" includes computing the row norms once per loaded SAE)');
fs.rmSync(tmp, { recursive: true, force: true });
