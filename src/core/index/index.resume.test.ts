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
import { openDatabase } from '../app/sqlite.ts';
import { repoRoot } from '../testing/fixtures.ts';
import { runIndex, type IndexJobOptions, type IndexProgress } from './indexer.ts';
import { readProgress } from './store.ts';
import { dumpIndex, referenceCase, writeJsonlCorpus } from './test-support.ts';
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
  assert.equal(noop.tokens_per_second, 0);
});

test('an index finished before schema 2 is finalized again on its next run and ends as a new one', async () => {
  const db = path.join(tmp, 'schema1.sqlite');
  fs.copyFileSync(path.join(tmp, 'reference.sqlite'), db);
  // Turn the copy into what an older build left: no top-token tables, user_version 1.
  const raw = openDatabase(db);
  raw.exec('DROP TABLE top_tokens; DROP TABLE token_text; PRAGMA user_version = 1;');
  raw.close();

  const r = await runIndex(base(db));
  assert.equal(r.complete, true);
  assert.deepEqual(dumpIndex(db), reference);
});
