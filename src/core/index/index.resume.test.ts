/**
 * Kill and resume: a real CLI child process killed with SIGKILL at a random point, then
 * resumed, must end with exactly what an uninterrupted run makes; pause/resume/cancel of
 * the worker likewise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDatabase } from '../kernel/sqlite.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { backfillTopTokens } from './backfill-top-tokens.ts';
import { backfillCooccurrence } from './cooccurrence-store.ts';
import { SCHEMA_VERSION } from './db.ts';
import { runIndex, type IndexJobOptions, type IndexProgress } from './indexer.ts';
import { IndexReader } from './reader.ts';
import { readProgress } from './store.ts';
import { dumpIndex, referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';
import { searchTopTokens, type TokenHit } from './top-tokens.ts';
import { startIndexWorker } from './worker-client.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'index-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'corpus.jsonl');
const cacheDir = path.join(tmp, 'data', 'graph-cache');
const CONTEXT = 16;
const BATCH = 2;
const MERGE = 3000;
const base = (db: string): IndexJobOptions => ({
  model: ref.modelDir,
  sae: ref.saeDir,
  cacheDir,
  corpus,
  db,
  context: CONTEXT,
  batch: BATCH,
  mergeActivations: MERGE,
});
let reference: unknown;

before(async () => {
  writeJsonlCorpus(corpus, 90, 11);
  const r = await runIndex(base(path.join(tmp, 'reference.sqlite')));
  assert.equal(r.complete, true);
  reference = dumpIndex(path.join(tmp, 'reference.sqlite'));
});

/** Runs the CLI's index command; calls `onLine` with each stderr progress line. */
function cli(db: string, onProgress?: (p: { phase: string; batches: number }, kill: () => void) => void) {
  const args = [
    '--import',
    'tsx',
    'src/cli/index.ts',
    'index',
    '--model',
    ref.modelDir,
    '--sae',
    ref.saeDir,
    '--corpus',
    corpus,
    '--db',
    db,
  ];
  args.push(
    '--context',
    String(CONTEXT),
    '--batch',
    String(BATCH),
    '--merge-activations',
    String(MERGE),
    '--data',
    path.join(tmp, 'data'),
    '--json',
    '--progress',
  );
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      onProgress?.(JSON.parse(line) as { phase: string; batches: number }, () => child.kill('SIGKILL'));
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function integrity(db: string): void {
  const d = openDatabase(db, { readonly: true });
  try {
    assert.equal(d.pragma('integrity_check', { simple: true }), 'ok');
    const p = readProgress(d)!;
    // the progress row and the rows it describes were committed together
    assert.equal(d.prepare('select count(*) from windows').pluck().get(), p.windows);
    assert.equal(d.prepare('select count(*) from documents').pluck().get(), p.documents);
  } finally {
    d.close();
  }
}

// Random kill points, logged so a failure can be replayed with KILL_SEED.
const seed = Number(process.env['KILL_SEED'] ?? Date.now() % 100_000);
let state = seed;
const rand = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;

test(`kill -9 at a random batch, then resume: identical to an uninterrupted run (KILL_SEED=${seed})`, async () => {
  const db = path.join(tmp, 'killed.sqlite');
  const totalBatches = Math.ceil(readProgress(openDatabase(path.join(tmp, 'reference.sqlite'), { readonly: true }))!.windows / BATCH);
  const at = 3 + Math.floor(rand() * (totalBatches - 6));
  const killed = await cli(db, (p, kill) => {
    if (p.batches >= at) kill();
  });
  assert.equal(killed.signal, 'SIGKILL', `the child was killed (stderr: ${killed.stderr.slice(-500)})`);
  integrity(db);
  const resumed = await cli(db);
  assert.equal(resumed.code, 0, resumed.stderr);
  const out = JSON.parse(resumed.stdout) as Record<string, number>;
  assert.deepEqual(Object.keys(out), ['tokens', 'documents', 'windows', 'seconds', 'tokens_per_second', 'activations', 'db_bytes']);
  integrity(db);
  assert.deepEqual(dumpIndex(db), reference);
});

test(`kill -9 while finalizing or merging, then resume: identical (KILL_SEED=${seed})`, async () => {
  const db = path.join(tmp, 'killed-late.sqlite');
  const phase = rand() < 0.5 ? 'merge' : 'finalize';
  const killed = await cli(db, (p, kill) => {
    if (p.phase === phase) kill();
  });
  // the kill may land after the end; either way the file must be whole and resumable
  integrity(db);
  const resumed = await cli(db);
  assert.equal(resumed.code, 0, resumed.stderr);
  void killed;
  assert.deepEqual(dumpIndex(db), reference);
});

test('pause holds the worker between batches; cancel stops it; running again resumes to the same index', async () => {
  const db = path.join(tmp, 'paused.sqlite');
  let pausedAt: number | undefined;
  const paused = deferred<IndexProgress>();
  const cancelled = deferred<void>();
  let resumedOnce = false;
  const job = startIndexWorker(base(db), {
    progress: (p) => {
      if (p.phase === 'index' && p.batches >= 4 && pausedAt === undefined) {
        pausedAt = p.batches;
        job.pause();
      }
      if (p.phase === 'paused') paused.resolve(p);
      if (resumedOnce && p.phase === 'index' && p.batches >= (pausedAt ?? 0) + 5) {
        job.cancel();
        cancelled.resolve();
      }
    },
  });
  const p = await paused.promise;
  assert.equal(job.paused, true);
  // while paused, the committed state stays put
  const d = openDatabase(db, { readonly: true });
  const held = readProgress(d)!;
  assert.equal(held.batches, p.batches);
  d.close();
  resumedOnce = true;
  job.resume();
  await cancelled.promise;
  const stopped = await job.result;
  assert.equal(stopped.complete, false);
  integrity(db);
  const again = startIndexWorker(base(db));
  const done = await again.result;
  assert.equal(done.complete, true);
  assert.equal(done.resumed, true);
  assert.deepEqual(dumpIndex(db), reference);
  // a finished index is not redone
  const noop = await runIndex(base(db));
  assert.equal(noop.complete, true);
  assert.equal(noop.tokensPerSecond, 0);
});

/** A copy of the reference index as an older build left it: no top-token or co-occurrence tables, user_version 1. */
function schema1Copy(name: string): string {
  const db = path.join(tmp, name);
  fs.copyFileSync(path.join(tmp, 'reference.sqlite'), db);
  const raw = openDatabase(db);
  raw.exec(
    "DROP TABLE top_tokens; DROP TABLE token_text; DELETE FROM meta WHERE key='topTokens'; " +
      "DROP TABLE cooccurrence; DELETE FROM meta WHERE key='cooccurrence'; " +
      // migration 4's columns: an index of schema 1 has none, and gets them empty (null)
      'ALTER TABLE documents DROP COLUMN input; ALTER TABLE progress DROP COLUMN cursor; PRAGMA user_version = 1;',
  );
  raw.close();
  return db;
}

/** A dump without the top-token and co-occurrence tables (what an index finished before schema 2 holds). */
function withoutTopTokens(dump: unknown): unknown {
  const { topTokens: _t, tokenText: _x, cooccurrence: _c, ...rest } = dump as Record<string, unknown>;
  void _t;
  void _x;
  void _c;
  return rest;
}

/** A dump as an index of schema 1 has it after migrating: no corpus ordinals for its documents (migration 4). */
function withoutInputs(dump: unknown): unknown {
  const d = dump as { documents: Record<string, unknown>[] };
  return { ...d, documents: d.documents.map((doc) => ({ ...doc, input: null })) };
}

/** Token searches: substrings, and whole tokens for the two tokens the reference's top examples hit most. */
function queries(): [string, boolean][] {
  const d = openDatabase(path.join(tmp, 'reference.sqlite'), { readonly: true });
  try {
    const common = d
      .prepare('select x.text from top_tokens t join token_text x on x.token = t.token group by t.token order by sum(t.hits) desc limit 2')
      .pluck()
      .all() as string[];
    return [['e', false], ['o', false], [' ', false], ...common.map((t): [string, boolean] => [t, true])];
  } finally {
    d.close();
  }
}

const answers = (db: string): (TokenHit[] | undefined)[] => {
  const QUERIES = queries();
  const d = openDatabase(db, { readonly: true });
  try {
    return QUERIES.map(([text, exact]) => searchTopTokens(d, text, exact)?.sort((a, b) => a.feature - b.feature));
  } finally {
    d.close();
  }
};

test('reading an index finished before schema 2 keeps every feature’s statistics', () => {
  const db = schema1Copy('schema1-read.sqlite');
  const r = new IndexReader(db);
  try {
    assert.equal(r.status().state, 'complete');
    assert.equal(r.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  } finally {
    r.close();
  }
  const dump = dumpIndex(db) as { topTokens: unknown[]; tokenText: unknown[] };
  assert.deepEqual(withoutTopTokens(dump), withoutTopTokens(withoutInputs(reference)));
  assert.deepEqual([dump.topTokens, dump.tokenText], [[], []]);
  // no top tokens yet: a search says so rather than answering nothing
  const d = openDatabase(db, { readonly: true });
  assert.equal(searchTopTokens(d, 'e'), undefined);
  d.close();
});

test('backfilling the top tokens of a schema-1 index answers as a fresh index; a cut-short run is redone', async () => {
  const fresh = answers(path.join(tmp, 'reference.sqlite'));
  assert.ok(
    fresh.every((a) => a && a.length > 0),
    'every query matches some feature',
  );
  const db = schema1Copy('schema1-backfill.sqlite');
  new IndexReader(db).close(); // migrated as a read would
  // stopped after one commit: no answers yet, partial rows left behind
  let commits = 0;
  assert.equal(await backfillTopTokens(db, { featuresPerCommit: 64, shouldStop: () => commits++ > 0 }), false);
  assert.deepEqual(
    answers(db),
    queries().map(() => undefined),
  );
  const raw = openDatabase(db, { readonly: true });
  assert.ok(Number(raw.prepare('select count(*) from top_tokens').pluck().get()) > 0);
  raw.close();
  assert.equal(await backfillTopTokens(db), true);
  assert.deepEqual(answers(db), fresh);
  // with its co-occurring features counted too, it is the fresh index
  assert.equal(await backfillCooccurrence(db), true);
  assert.deepEqual(dumpIndex(db), withoutInputs(reference));
  // a second run finds it done
  assert.equal(await backfillTopTokens(db), true);
  assert.deepEqual(dumpIndex(db), withoutInputs(reference));
});

test('an unfinished index is not backfilled', async () => {
  const db = schema1Copy('schema1-unfinished.sqlite');
  const raw = openDatabase(db);
  raw.exec("UPDATE progress SET phase = 'finalize'");
  raw.close();
  assert.equal(await backfillTopTokens(db), false);
  assert.equal(answers(db)[0], undefined);
});
