/**
 * `npm run bench:search [-- --reps R]`
 *
 * `feature.search` latency through core's dispatcher over an index of 24,576 features
 * (statistics, histograms and top tokens synthetic, written through the real index schema)
 * with 3,000 annotated features; and decoder-cosine `similar` / `feature.nearest` cost on a
 * 24,576 × 2,304 decoder (Gemma-2-2B width). Prints p50 / p95 per query; no assertions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PayloadInput } from '../src/shared/contract.ts';
import { createCore } from '../src/core/app/core.ts';
import { hashCacheDir, saeHash } from '../src/core/annotations/identity.ts';
import { annotationStore } from '../src/core/annotations/service.ts';
import { nearestFeatures } from '../src/core/explorer/decoder.ts';
import { HISTOGRAM_BINS, INTERVALS } from '../src/core/index/bins.ts';
import { encodeStats } from '../src/core/index/finalize.ts';
import { IndexWriter, initialProgress } from '../src/core/index/store.ts';
import { TOP_TOKENS_META } from '../src/core/index/top-tokens.ts';
import type { IndexSettings } from '../src/core/index/types.ts';
import type { Sae } from '../src/core/sae/types.ts';
import { seededRandom } from '../src/core/util/random.ts';
import { findResources } from '../src/core/workspace/demo.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '40' } } });
const reps = Number(values.reps);
const D_SAE = 24_576;
const TOKENS = 1_000_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-explorer-'));
const res = findResources();
if (!res) throw new Error('the embedded demo is missing (resources/demo)');
const saeDir = path.join(res, 'demo', 'sae');
const db = path.join(tmp, 'data', 'indexes', 'synthetic.sqlite');

// --- a synthetic index through the real schema --------------------------------------------
const rand = seededRandom(7);
const writer = new IndexWriter(db);
const settings: IndexSettings = {
  model: path.join(res, 'demo', 'model'),
  sae: saeDir,
  hook: 'blocks.8.hook_resid_pre',
  architecture: 'topk',
  dSae: D_SAE,
  k: 32,
  prependBos: false,
  bosId: null,
  context: 128,
  batch: 8,
  corpus: 'synthetic',
  corpusFiles: [],
  textField: 'text',
  maxTokens: null,
  maxLatentsPerToken: null,
  seed: 0,
};
writer.create(settings, {}, { ...initialProgress(32), phase: 'done', tokens: TOKENS });
const put = writer.db.prepare(
  'insert into features (id, count, sum, max, histogram, intervals, top, samples) values (?, ?, ?, ?, ?, ?, ?, ?)',
);
const putTop = writer.db.prepare('insert or replace into top_tokens (token, feature, hits) values (?, ?, ?)');
const putText = writer.db.prepare('insert into token_text (token, text, norm) values (?, ?, ?)');
const syllables = ['par', 'is', 'the', 'on', 'an', 'ing', 'ed', 'er', 'lo', 'ca', 'mi', 'to', 'ra', 'ne', 'se'];
writer.db.transaction(() => {
  for (let t = 0; t < 20_000; t++) {
    const text = `${rand() < 0.5 ? ' ' : ''}${Array.from({ length: 1 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join('')}`;
    putText.run(t, text, text.trim().toLowerCase());
  }
  for (let f = 0; f < D_SAE; f++) {
    if (rand() < 0.03) continue; // dead
    const count = Math.max(1, Math.round(Math.exp(rand() * 10)));
    const max = 1 + rand() * 50;
    const histogram = new Uint32Array(HISTOGRAM_BINS);
    for (let i = 0; i < Math.min(count, 500); i++) histogram[Math.floor(rand() * HISTOGRAM_BINS)]!++;
    const s = {
      count,
      sum: count * max * 0.3,
      max,
      histogram,
      intervals: new Uint32Array(INTERVALS),
      top: [],
      topPositions: [],
      samples: [],
    };
    put.run(f, count, s.sum, max, ...encodeStats(s));
    for (let j = 0; j < 8; j++) putTop.run(Math.floor(rand() * 20_000), f, 1 + Math.floor(rand() * 5));
  }
  writer.setMeta(TOP_TOKENS_META, true);
})();
writer.close();

// --- annotations ------------------------------------------------------------------------
const core = createCore({ host: 'cli', data: { flag: path.join(tmp, 'data') } });
const key = saeHash(saeDir, hashCacheDir(core));
const words = ['Paris', 'numbers', 'brackets', 'French', 'code', 'names', 'dates', 'plural', 'negation', 'quotes'];
annotationStore(core).merge(
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
console.log(`feature.search over ${D_SAE} features (${reps} runs each, after one warm-up), ms:`);
for (const [name, payload] of queries) {
  const first = performance.now();
  const r0 = await core.request('feature.search', payload);
  const cold = performance.now() - first;
  if (!r0.ok) throw new Error(`${name}: ${r0.error.message}`);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await core.request('feature.search', payload);
    times.push(performance.now() - t0);
  }
  console.log(
    `  ${name.padEnd(36)} total ${String(r0.value.total).padStart(6)}  first ${cold.toFixed(1).padStart(6)}  p50 ${pct(times, 0.5).toFixed(1).padStart(5)}  p95 ${pct(times, 0.95).toFixed(1).padStart(5)}`,
  );
}
await core.close();

// decoder cosine at Gemma-2-2B width
const dIn = 2304;
const W = new Float32Array(D_SAE * dIn);
for (let i = 0; i < W.length; i++) W[i] = rand() - 0.5;
const sae = { config: { dSae: D_SAE, dIn }, params: { W_dec: { data: W, shape: [D_SAE, dIn] } } } as unknown as Sae;
const t0 = performance.now();
nearestFeatures(sae, 0, 10);
const first = performance.now() - t0;
const times: number[] = [];
for (let i = 0; i < Math.min(reps, 10); i++) {
  const t = performance.now();
  nearestFeatures(sae, i + 1, 10);
  times.push(performance.now() - t);
}
console.log(
  `decoder nearest over ${D_SAE} × ${dIn}: first (with norms) ${first.toFixed(1)} ms, then p50 ${pct(times, 0.5).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms`,
);
fs.rmSync(tmp, { recursive: true, force: true });
