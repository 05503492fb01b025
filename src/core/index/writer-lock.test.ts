/**
 * One writer per index: a second job on the same database is refused at once naming the
 * holder (pid, host, since when), through the indexer, the CLI and the API alike; and a
 * holder killed with SIGKILL leaves no stale lock behind (the next run resumes at once).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError } from '#shared/reply.ts';
import { createCore } from '../host/core.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { runIndex } from './indexer.ts';
import { IndexWriter } from './store.ts';
import { referenceCase, writeJsonlCorpus } from '#testing/index/test-support.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-writer-lock-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});
const ref = referenceCase('gpt2-topk-l1post');
const corpus = path.join(tmp, 'corpus.jsonl');
writeJsonlCorpus(corpus, 10, 3);

/** Starts a child process holding the writer lock of `db`; resolves once it holds it. */
function holder(db: string): Promise<ChildProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'hold-writer.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', script, db], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('held ')) resolve(proc);
    });
    proc.on('exit', (code) => reject(new Error(`the holder exited (${code}) before holding the lock`)));
  });
}

/** The CLI in a process of its own; resolves with its exit code and what it printed. */
function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, out, err })));
}

function killed(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

const options = (db: string) => ({ model: ref.modelDir, sae: ref.saeDir, corpus, db, context: 32, cacheDir: path.join(tmp, 'cache') });

test('a second writer is refused at once, naming the holder; the lock of a SIGKILLed holder is free at once', async () => {
  const db = path.join(tmp, 'one.sqlite');
  const proc = await holder(db);
  const holderPid = String(proc.pid);
  const names = (e: unknown): boolean =>
    e instanceof AppError &&
    e.code === 'conflict' &&
    e.message.includes(db) &&
    e.message.includes(`process ${holderPid} on host ${os.hostname()}`) &&
    / since \d{4}-\d\d-\d\dT/.test(e.message);

  const t0 = performance.now();
  assert.throws(() => new IndexWriter(db), names);
  await assert.rejects(runIndex(options(db)), names);
  assert.ok(performance.now() - t0 < 30_000, 'refused without waiting for the holder');

  // the CLI (its own process, as a user runs it) says the same, as one line, exit 1 (not a usage error)
  const r = await cli([
    'index',
    '--model',
    ref.modelDir,
    '--sae',
    ref.saeDir,
    '--corpus',
    corpus,
    '--db',
    db,
    '--context',
    '32',
    '--data',
    path.join(tmp, 'data'),
  ]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, new RegExp(`^error: .*one\\.sqlite is being indexed by process ${holderPid} on host [^\\n]+\\n$`));

  await killed(proc);
  // no waiting, no stale-lock cleanup: the OS dropped the lock with the process
  const done = await runIndex(options(db));
  assert.equal(done.complete, true);
  assert.ok(done.tokens > 0);
});

test('index.start is refused at once (409-style conflict) while another process writes the index', async () => {
  const data = path.join(tmp, 'api-data');
  const core = createCore({ host: 'cli', data: { flag: data } });
  try {
    const db = path.join(data, 'indexes', 'busy.sqlite');
    const proc = await holder(db);
    const reply = await core.request('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus, db, context: 32 });
    assert.equal(reply.ok, false);
    if (reply.ok) return;
    assert.equal(reply.error.code, 'conflict');
    assert.match(reply.error.message, new RegExp(`busy\\.sqlite is being indexed by process ${proc.pid} on host `));
    assert.equal(core.jobs.list().length, 0, 'no job was started');
    await killed(proc);
    const started = await core.request('index.start', { model: ref.modelDir, sae: ref.saeDir, corpus, db, context: 32 });
    assert.ok(started.ok, JSON.stringify(started));
    const final = await core.jobs.wait(started.value.job);
    assert.equal(final.state, 'done', final.error);
  } finally {
    await core.close();
  }
});
