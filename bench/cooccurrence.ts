/**
 * The co-occurrence part of `npm run bench:search`: a synthetic index of ≥ 1M tokens with
 * every activation stored (K features a token, drawn from topic clusters so features do
 * co-occur), finalized by the real finalize phase (statistics, top tokens and the
 * co-occurrence rows), then `feature.cooccurring` timed through core's dispatcher against a
 * baseline that counts on demand: the feature's tokens as a set, every other feature's
 * chunks decoded and intersected with it (what answering without the precomputed rows costs).
 * The baseline's top features are checked equal to core's before it is timed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import type { Core } from '../src/core/host/core.ts';
import { decodeChunk, encodeChunk, encodeTokens } from '../src/core/index/codec.ts';
import { finalizeIndex } from '../src/core/index/finalize.ts';
import { CHUNK_MAX, IndexWriter, initialProgress } from '../src/core/index/store.ts';
import type { IndexSettings, Progress } from '../src/core/index/types.ts';
import { seededRandom } from '../src/core/util/random.ts';

/** The synthetic corpus: windows × context tokens, K active features per token. */
export interface CoocIndexSpec {
  readonly dSae: number;
  readonly windows: number;
  readonly context: number;
  readonly k: number;
  readonly vocab: number;
}

/** Writes the index (settings, tokenizer, windows, every activation as chunks), unfinalized. */
export function writeCoocIndex(
  file: string,
  spec: CoocIndexSpec,
  settings: IndexSettings,
  tokenizer: unknown,
): { progress: Progress; activations: number } {
  const { dSae, windows, context, k } = spec;
  const tokens = windows * context;
  const rand = seededRandom(11);
  // 256 topics of 96 features each; a window has a topic, a token draws half its features from it
  const topics = Array.from({ length: 256 }, () => Int32Array.from({ length: 96 }, () => Math.floor(dSae * rand() ** 1.5)));
  const feats = new Int32Array(tokens * k);
  const counts = new Uint32Array(dSae);
  const picked = new Set<number>();
  for (let w = 0; w < windows; w++) {
    const topic = topics[Math.floor(rand() * topics.length)]!;
    for (let t = 0; t < context; t++) {
      picked.clear();
      while (picked.size < k) {
        const f = picked.size < k / 2 ? topic[Math.floor(rand() * topic.length)]! : Math.floor(dSae * rand() ** 2);
        picked.add(f);
      }
      let j = (w * context + t) * k;
      for (const f of picked) {
        feats[j++] = f;
        counts[f]!++;
      }
    }
  }
  // feature-major, ascending positions (the layout merges leave behind)
  const start = new Float64Array(dSae + 1);
  for (let f = 0; f < dSae; f++) start[f + 1] = start[f]! + counts[f]!;
  const cursor = start.slice();
  const pos = new Float64Array(tokens * k);
  for (let p = 0; p < tokens; p++) for (let j = 0; j < k; j++) pos[cursor[feats[p * k + j]!]!++] = p;
  const value = Float32Array.from(pos, () => 0.1 + 10 * rand() ** 3);

  const writer = new IndexWriter(file);
  const progress: Progress = { ...initialProgress(k), phase: 'finalize', tokens, windows, documents: windows, activations: tokens * k };
  writer.create(settings, tokenizer, progress);
  const putWindow = writer.db.prepare('insert into windows (id, doc, idx, bos, tokens) values (?, ?, ?, 0, ?)');
  const putDoc = writer.db.prepare('insert into documents (id, source, tokens) values (?, ?, ?)');
  const putChunk = writer.db.prepare('insert into chunks (feature, first, last, n, data) values (?, ?, ?, ?, ?)');
  writer.db.transaction(() => {
    for (let w = 0; w < windows; w++) {
      putDoc.run(w, 'synthetic', context);
      putWindow.run(w, w, 0, encodeTokens(Array.from({ length: context }, () => Math.floor((spec.vocab - 1) * rand() ** 2))));
    }
    for (let f = 0; f < dSae; f++) {
      for (let s = start[f]!; s < start[f + 1]!; s += CHUNK_MAX) {
        const c = encodeChunk(pos, value, s, Math.min(start[f + 1]!, s + CHUNK_MAX));
        putChunk.run(f, c.first, c.last, c.n, c.data);
      }
    }
  })();
  writer.close();
  return { progress, activations: tokens * k };
}

/** Runs the real finalize phase and marks the index done; answers its wall-clock and CPU seconds (both threads, with its helper). */
export async function finalizeCoocIndex(file: string, dSae: number, progress: Progress): Promise<{ wall: number; cpu: number }> {
  const writer = new IndexWriter(file);
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const summary = await finalizeIndex(writer.db, dSae, 0, progress, { progress: () => {}, shouldStop: () => false });
    assert.ok(summary, 'finalize ran to the end');
    writer.db.transaction(() => {
      writer.setMeta('summary', summary);
      writer.writeProgress({ ...progress, phase: 'done' });
    })();
    writer.compact();
    const cpu = process.cpuUsage(cpu0);
    return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
  } finally {
    writer.close();
  }
}

/** Co-occurring features counted on demand from the chunks: the feature's tokens as a set, every other feature intersected with it. */
export function naiveCooccurring(db: Database.Database, id: number, n: number): { id: number; count: number }[] {
  const mine = new Set<number>();
  for (const c of db.prepare('select first, n, data from chunks where feature = ?').all(id) as {
    first: number;
    n: number;
    data: Buffer;
  }[]) {
    const p = new Float64Array(c.n);
    decodeChunk(c.data, c.first, c.n, p, new Float32Array(c.n));
    for (const x of p) mine.add(x);
  }
  const rows = db.prepare('select feature, first, n, data from chunks order by feature, first').iterate() as Iterable<{
    feature: number;
    first: number;
    n: number;
    data: Buffer;
  }>;
  const shared = new Map<number, number>();
  const p = new Float64Array(CHUNK_MAX);
  const v = new Float32Array(CHUNK_MAX);
  for (const c of rows) {
    if (c.feature === id) continue;
    decodeChunk(c.data, c.first, c.n, p, v);
    let hits = 0;
    for (let i = 0; i < c.n; i++) if (mine.has(p[i]!)) hits++;
    if (hits) shared.set(c.feature, (shared.get(c.feature) ?? 0) + hits);
  }
  return [...shared]
    .map(([f, count]) => ({ id: f, count }))
    .sort((a, b) => b.count - a.count || a.id - b.id)
    .slice(0, n);
}

/** Checks core's answer against the naive count, for a few features. */
export async function checkCooccurring(core: Core, db: Database.Database, dbPath: string, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const r = await core.request('feature.cooccurring', { db: dbPath, id, by: 'count', n: 10 });
    if (!r.ok) throw new Error(`feature.cooccurring ${id}: ${r.error.message}`);
    assert.deepEqual(
      r.value.features.map((f) => ({ id: f.id, count: f.count })),
      naiveCooccurring(db, id, 10),
      `co-occurring features of ${id}`,
    );
  }
}

/** Bytes of the co-occurrence table. */
export function cooccurrenceBytes(db: Database.Database): number {
  return Number(db.prepare('select coalesce(sum(length(data)), 0) from cooccurrence').pluck().get());
}

/** Removes an index and its WAL. */
export function removeIndex(file: string): void {
  for (const x of ['', '-wal', '-shm']) fs.rmSync(file + x, { force: true });
}
