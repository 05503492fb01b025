/**
 * Merging shards (see shard.ts) into the index one process would have built over the whole
 * corpus. The shards hold activations, not statistics; the merge
 *
 * 1. checks the shards belong together: every setting equal but the shard itself (model, SAE,
 *    hook, corpus and its files, context, seed, ...), the same tokenizer, every shard of one
 *    split present once and finished;
 * 2. puts the documents back in corpus order by their record ordinal (`documents.input`) and
 *    renumbers documents and windows as a single run numbers them (in order of appearance),
 *    so every global token position (window · context + t) is the single run's;
 * 3. merges each feature's activations from all shards by global position (a k-way merge,
 *    one chunk per shard in memory, merge-chunks.ts) into chunk rows;
 * 4. runs the ordinary finalize phase over the result: statistics, histograms, top examples,
 *    interval samples, top tokens, co-occurrence and density figures are computed by the same
 *    code over the same activations in the same order as a single run, hence equal to it.
 *
 * Ties are decided by position wherever they arise: the top examples keep the earlier
 * position among equal values, the interval samples the earlier among equal priorities.
 *
 * A killed merge runs again with the same command: the copy (steps 2–3) starts over, a
 * finalize phase resumes after its last committed feature.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { AppError } from '#shared/reply.ts';
import { indexBytes, openIndexForRead } from './db.ts';
import { finishIndex } from './finalize.ts';
import { mergeChunks } from './merge-chunks.ts';
import { shardName } from './shard.ts';
import { IndexWriter, initialProgress, readMeta, readProgress } from './store.ts';
import type { IndexSettings, IndexSummary, Progress, ShardSpec } from './types.ts';

/** `meta.merge` of a merged index: the shard files it was made of. */
export const MERGE_META = 'merge';

interface MergeMeta {
  readonly count: number;
  readonly shards: readonly string[];
}

/** What the merge reports as it goes. */
export interface MergeHooks {
  progress?(phase: 'copy' | 'finalize', done: number, total: number): void;
  /** True once the merge should stop (finalize stops after its current commit). */
  shouldStop?(): boolean;
}

/** What a merge reports. */
export interface MergeResult {
  readonly out: string;
  readonly shards: number;
  readonly tokens: number;
  readonly documents: number;
  readonly windows: number;
  readonly activations: number;
  /** Seconds spent copying and merging activations, then computing the statistics. */
  readonly copySeconds: number;
  readonly finalizeSeconds: number;
  readonly seconds: number;
  readonly dbBytes: number;
  readonly complete: boolean;
  readonly summary?: IndexSummary;
}

interface Shard {
  readonly file: string;
  readonly db: Database.Database;
  readonly settings: IndexSettings;
  readonly shard: ShardSpec;
  readonly progress: Progress;
  readonly tokenizer: string;
}

/** Windows copied per transaction. */
const WINDOWS_PER_COMMIT = 20_000;

/** Opens and checks the shards; throws one error naming every problem of the set, or the first difference of settings. */
function openShards(files: readonly string[]): Shard[] {
  const shards: Shard[] = [];
  try {
    for (const file of files) {
      const db = openIndexForRead(file);
      const settings = readMeta<IndexSettings>(db, 'settings');
      const progress = readProgress(db);
      const tokenizer = db.prepare('select value from meta where key = ?').pluck().get('tokenizer') as string | undefined;
      if (!settings || !progress || tokenizer === undefined) {
        db.close();
        throw new AppError('bad_request', `${file} is not an activation index`);
      }
      if (!settings.shard) {
        db.close();
        throw new AppError('bad_request', `${file} is a whole index, not a shard (index it with --shard I/N or --shards N)`);
      }
      shards.push({ file, db, settings, shard: settings.shard, progress, tokenizer });
    }
    checkShards(shards);
    return shards;
  } catch (e) {
    for (const s of shards) s.db.close();
    throw e;
  }
}

function checkShards(shards: readonly Shard[]): void {
  if (!shards.length) throw new AppError('bad_request', 'no shards to merge');
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    const keys = new Set([...Object.keys(first.settings), ...Object.keys(s.settings)] as (keyof IndexSettings)[]);
    keys.delete('shard');
    for (const key of keys) {
      const a = JSON.stringify(first.settings[key]);
      const b = JSON.stringify(s.settings[key]);
      if (a !== b)
        throw new AppError('conflict', `the shards differ in ${key}: ${first.file} has ${a ?? 'none'}, ${s.file} has ${b ?? 'none'}`);
    }
    if (s.tokenizer !== first.tokenizer)
      throw new AppError('conflict', `the shards differ in their tokenizer: ${first.file} and ${s.file}`);
  }
  const count = first.shard.count;
  const other = shards.find((s) => s.shard.count !== count);
  if (other) {
    throw new AppError(
      'conflict',
      `the shards come from different splits: ${first.file} is ${shardName(first.shard)}, ${other.file} is ${shardName(other.shard)}`,
    );
  }
  const problems: string[] = [];
  const byIndex = new Map<number, string[]>();
  for (const s of shards) byIndex.set(s.shard.index, [...(byIndex.get(s.shard.index) ?? []), s.file]);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length) problems.push(`missing ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  for (const [i, fs] of [...byIndex].sort((a, b) => a[0] - b[0]))
    if (fs.length > 1) problems.push(`shard ${i}/${count} given ${fs.length} times (${fs.join(', ')})`);
  for (const s of shards) {
    if (s.progress.phase === 'index')
      problems.push(
        `${shardName(s.shard)} (${s.file}) is not finished (${s.progress.windows} windows committed): run its index command again to resume it`,
      );
  }
  if (problems.length) throw new AppError('bad_request', `cannot merge ${shards.length} shard file(s): ${problems.join('; ')}`);
}

/** Deletes an index database with its WAL, shared-memory and lock files. */
function removeIndex(db: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal', '.lock']) fs.rmSync(db + suffix, { force: true });
}

/**
 * Whether `out` may be (re)written: absent, or an unfinished or finished merge of these
 * shards. Anything else is refused rather than overwritten.
 */
function outState(out: string, meta: MergeMeta): 'new' | 'restart' | 'finalize' | 'done' {
  if (!fs.existsSync(out)) return 'new';
  const db = openIndexForRead(out);
  try {
    const had = readMeta<MergeMeta>(db, MERGE_META);
    if (!had || JSON.stringify(had) !== JSON.stringify(meta))
      throw new AppError('conflict', `${out} exists and is not a merge of these shards: pass another --out, or delete it`);
    const phase = readProgress(db)?.phase;
    return phase === 'done' ? 'done' : phase === 'finalize' ? 'finalize' : 'restart';
  } finally {
    db.close();
  }
}

/** Merges finished shards into `out` (see the file comment). */
export async function mergeShards(out: string, files: readonly string[], hooks: MergeHooks = {}): Promise<MergeResult> {
  const t0 = performance.now();
  const target = path.resolve(out);
  const abs = files.map((f) => path.resolve(f));
  if (abs.includes(target)) throw new AppError('bad_request', `--out ${target} is one of the shards`);
  const shards = openShards(abs);
  try {
    const settings = { ...shards[0]!.settings };
    delete (settings as { shard?: ShardSpec }).shard;
    const meta: MergeMeta = {
      count: shards[0]!.shard.count,
      shards: [...shards].sort((a, b) => a.shard.index - b.shard.index).map((s) => s.file),
    };
    const state = outState(target, meta);
    if (state === 'restart') removeIndex(target);
    const writer = new IndexWriter(target);
    try {
      let p = writer.progress;
      if (state === 'new' || state === 'restart' || !p) {
        p = copyShards(writer, shards, settings, meta, hooks);
      }
      const t1 = performance.now();
      let summary = readMeta<IndexSummary>(writer.db, 'summary');
      let complete = p.phase === 'done';
      if (p.phase === 'finalize') {
        const end = await finishIndex(writer, settings.dSae, settings.seed, p, {
          progress: (done, total) => hooks.progress?.('finalize', done, total),
          shouldStop: () => hooks.shouldStop?.() ?? false,
        });
        if (end) {
          ({ summary, progress: p } = end);
          complete = true;
        }
      }
      const t2 = performance.now();
      return {
        out: target,
        shards: shards.length,
        tokens: p.tokens,
        documents: p.documents,
        windows: p.windows,
        activations: p.activations,
        copySeconds: Number(((t1 - t0) / 1000).toFixed(3)),
        finalizeSeconds: Number(((t2 - t1) / 1000).toFixed(3)),
        seconds: Number(((t2 - t0) / 1000).toFixed(3)),
        dbBytes: indexBytes(target),
        complete,
        ...(summary ? { summary } : {}),
      };
    } finally {
      writer.close();
    }
  } finally {
    for (const s of shards) s.db.close();
  }
}

/** Where each shard's windows go: global window id by local window id. */
interface Layout {
  readonly windowMap: Float64Array[];
  /** Global documents in corpus order: (shard, local doc, first local window, windows). */
  readonly order: { shard: number; doc: number; first: number; windows: number }[];
}

function layout(shards: readonly Shard[]): Layout {
  const order: Layout['order'] = [];
  const inputs: number[] = [];
  shards.forEach((s, si) => {
    const docs = s.db.prepare('select id, input from documents order by id').all() as { id: number; input: number | null }[];
    const spans = new Map<number, { first: number; windows: number }>();
    for (const r of s.db.prepare('select doc, min(id) as first, count(*) as windows from windows group by doc').all() as {
      doc: number;
      first: number;
      windows: number;
    }[])
      spans.set(r.doc, r);
    for (const d of docs) {
      if (d.input === null)
        throw new AppError('bad_request', `${s.file} has documents without their corpus ordinal: index it again with this version`);
      const span = spans.get(d.id);
      if (!span) throw new AppError('internal', `${s.file}: document ${d.id} has no windows`);
      order.push({ shard: si, doc: d.id, first: span.first, windows: span.windows });
      inputs.push(d.input);
    }
  });
  const idx = order.map((_, i) => i).sort((a, b) => inputs[a]! - inputs[b]!);
  for (let i = 1; i < idx.length; i++) {
    if (inputs[idx[i]!] === inputs[idx[i - 1]!]) {
      const a = order[idx[i - 1]!]!;
      const b = order[idx[i]!]!;
      throw new AppError('conflict', `${shards[a.shard]!.file} and ${shards[b.shard]!.file} both hold corpus record ${inputs[idx[i]!]}`);
    }
  }
  const sorted = idx.map((i) => order[i]!);
  const windowMap = shards.map((s) => new Float64Array(s.progress.windows).fill(-1));
  let g = 0;
  for (const d of sorted) {
    const map = windowMap[d.shard]!;
    for (let w = 0; w < d.windows; w++) map[d.first + w] = g++;
  }
  return { windowMap, order: sorted };
}

/** Steps 2–3: the merged documents, windows and chunks, then the progress row that starts finalize. */
function copyShards(writer: IndexWriter, shards: readonly Shard[], settings: IndexSettings, meta: MergeMeta, hooks: MergeHooks): Progress {
  const db = writer.db;
  const ps = shards.map((s) => s.progress);
  const sum = (key: keyof Progress): number => ps.reduce((a, p) => a + Number(p[key]), 0);
  const final: Progress = {
    ...initialProgress(Math.max(...ps.map((p) => p.captureK))),
    phase: 'finalize',
    nextInput: Math.max(...ps.map((p) => p.nextInput)),
    documents: sum('documents'),
    windows: sum('windows'),
    tokens: sum('tokens'),
    activations: sum('activations'),
    batches: sum('batches'),
    truncatedTokens: sum('truncatedTokens'),
    emptyDocuments: sum('emptyDocuments'),
    skippedLines: sum('skippedLines'),
  };
  if (final.tokens === 0)
    throw new AppError('bad_request', `${settings.corpus}: the corpus has no tokens to index in any shard; nothing was merged`);
  const tokenizer = JSON.parse(shards[0]!.tokenizer) as unknown;
  // the merge mark goes with the settings, so a killed merge is known for one on the next run
  db.transaction(() => {
    writer.create(settings, tokenizer, initialProgress(final.captureK));
    writer.setMeta(MERGE_META, meta);
  })();

  const { windowMap, order } = layout(shards);
  const total = final.windows + settings.dSae;
  const putDoc = db.prepare('insert into documents (id, source, tokens, input) values (?, ?, ?, ?)');
  const putWindow = db.prepare('insert into windows (id, doc, idx, bos, tokens) values (?, ?, ?, ?, ?)');
  const getDoc = shards.map((s) => s.db.prepare('select source, tokens, input from documents where id = ?'));
  const windowRows = shards.map(
    (s) => s.db.prepare('select idx, bos, tokens from windows order by id').raw().iterate() as IterableIterator<[number, number, Buffer]>,
  );
  let g = 0;
  const copyDocs = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const d = order[i]!;
      const doc = getDoc[d.shard]!.get(d.doc) as { source: string; tokens: number; input: number };
      putDoc.run(i, doc.source, doc.tokens, doc.input);
      for (let w = 0; w < d.windows; w++) {
        const r = windowRows[d.shard]!.next();
        if (r.done) throw new AppError('internal', `${shards[d.shard]!.file}: fewer windows than its documents name`);
        const [idx, bos, tokens] = r.value;
        putWindow.run(g++, i, idx, bos, tokens);
      }
    }
  });
  for (let i = 0; i < order.length;) {
    let to = i;
    for (let n = 0; to < order.length && n < WINDOWS_PER_COMMIT; to++) n += order[to]!.windows;
    copyDocs(i, to);
    i = to;
    hooks.progress?.('copy', g, total);
  }
  for (const it of windowRows) it.return?.();

  mergeChunks(writer, shards, windowMap, settings, (f) => hooks.progress?.('copy', final.windows + f, total));
  writer.writeProgress(final);
  return final;
}
