/**
 * Shards and merge on the embedded demo corpus, through the CLI: one whole run, then 3 shards
 * (shard 1 named by a Kubernetes-style JOB_COMPLETION_INDEX, killed with SIGKILL part-way and
 * resumed as --shard 1/3), merged; `feature --json` must print the same for every feature.
 * Then what merge refuses (shards that do not belong together, missing, duplicate or
 * unfinished ones), and `index export --format parquet` read back with hyparquet.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { openDatabase } from '../../core/kernel/sqlite.ts';
import { IndexReader } from '../../core/index/reader.ts';
import { repoRoot } from '#testing/fixtures.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-merge-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const demo = path.join(repoRoot, 'resources', 'demo');
const common = ['--model', path.join(demo, 'model'), '--sae', path.join(demo, 'sae'), '--corpus', path.join(demo, 'corpus.jsonl')];
const data = ['--data', path.join(tmp, 'data')];
const single = path.join(tmp, 'single.sqlite');
const shard = (i: number): string => path.join(tmp, `shard-${i}.sqlite`);
const merged = path.join(tmp, 'merged.sqlite');
let unfinished: string;

/** The CLI in a child process (so it can be killed), shard named by the environment; resolves when it exits. */
function child(args: string[], env: NodeJS.ProcessEnv, killAtBatch: number) {
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args, '--progress', '--json'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const line of stderr.split('\n').slice(0, -1)) {
      if (line.startsWith('{') && (JSON.parse(line) as { batches: number }).batches >= killAtBatch) c.kill('SIGKILL');
    }
  });
  return new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    c.on('exit', (_code, signal) => resolve({ signal, stderr })),
  );
}

before(async () => {
  const whole = await cli('index', ...common, '--db', single, ...data, '--json');
  assert.equal(whole.code, 0, whole.err);
  for (const i of [0, 2]) {
    const r = await cli('index', ...common, '--shard', `${i}/3`, '--db', shard(i), ...data, '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { shard: string }).shard, `${i}/3`);
  }
  const killAt = 5 + Math.floor(Math.random() * 50);
  const killed = await child(['index', ...common, '--shards', '3', '--db', shard(1), ...data], { JOB_COMPLETION_INDEX: '1' }, killAt);
  assert.equal(killed.signal, 'SIGKILL', `killed at batch ${killAt}: ${killed.stderr.slice(-400)}`);
  unfinished = path.join(tmp, 'unfinished.sqlite');
  fs.copyFileSync(shard(1), unfinished);
  for (const s of ['-wal', '-shm']) if (fs.existsSync(shard(1) + s)) fs.copyFileSync(shard(1) + s, unfinished + s);
  const resumed = await cli('index', ...common, '--shard', '1/3', '--db', shard(1), ...data, '--json');
  assert.equal(resumed.code, 0, resumed.err);
  const m = await cli('merge', '--out', merged, shard(0), shard(1), shard(2), '--json');
  assert.equal(m.code, 0, m.err);
  const out = JSON.parse(m.out) as Record<string, number>;
  assert.equal(out['shards'], 3);
});

test('demo corpus: 3 shards (one killed and resumed) + merge print the same `feature --json` as one run, for every feature', async () => {
  const dSae = new IndexReader(single).settings.dSae;
  for (let f = 0; f < dSae; f++) {
    const a = await cli('feature', '--db', single, '--id', String(f), '--json');
    const b = await cli('feature', '--db', merged, '--id', String(f), '--json');
    assert.equal(a.code, 0, a.err);
    assert.equal(b.out, a.out, `feature ${f}`);
  }
  const ra = new IndexReader(single);
  const rb = new IndexReader(merged);
  try {
    const { db: _a, bytes: _ab, ...sa } = ra.status();
    const { db: _b, bytes: _bb, ...sb } = rb.status();
    assert.deepEqual(sb, sa, 'status: counts, summary and density histogram');
  } finally {
    ra.close();
    rb.close();
  }
  // merging again is a no-op on a finished merge
  const again = await cli('merge', '--out', merged, shard(0), shard(1), shard(2), '--json');
  assert.equal(again.code, 0, again.err);
});

/** A copy of shard `i` with one setting changed. */
function variant(i: number, name: string, change: (s: Record<string, unknown>) => void): string {
  const file = path.join(tmp, name);
  fs.copyFileSync(shard(i), file);
  const d = openDatabase(file);
  const s = JSON.parse(d.prepare("select value from meta where key = 'settings'").pluck().get() as string) as Record<string, unknown>;
  change(s);
  d.prepare("update meta set value = ? where key = 'settings'").run(JSON.stringify(s));
  d.close();
  return file;
}

test('merge refuses shards that do not belong together, naming the difference; reports missing, duplicate and unfinished shards', async () => {
  const out = (n: string): string => path.join(tmp, n);
  let r = await cli(
    'merge',
    '--out',
    out('x1.sqlite'),
    shard(0),
    shard(1),
    variant(2, 'seed.sqlite', (s) => (s['seed'] = 1)),
  );
  assert.equal(r.code, 1);
  assert.match(r.err, /the shards differ in seed: .*shard-0\.sqlite has 0, .*seed\.sqlite has 1/);
  r = await cli(
    'merge',
    '--out',
    out('x2.sqlite'),
    shard(0),
    shard(1),
    variant(2, 'model.sqlite', (s) => (s['model'] = '/elsewhere/model')),
  );
  assert.match(r.err, /the shards differ in model: .* has ".*demo\/model", .*model\.sqlite has "\/elsewhere\/model"/);
  r = await cli(
    'merge',
    '--out',
    out('x3.sqlite'),
    shard(0),
    shard(1),
    variant(2, 'split.sqlite', (s) => (s['shard'] = { index: 2, count: 4 })),
  );
  assert.match(r.err, /different splits: .* is shard 0\/3, .*split\.sqlite is shard 2\/4/);
  r = await cli('merge', '--out', out('x4.sqlite'), shard(0), shard(2));
  assert.match(r.err, /missing 1\/3/);
  r = await cli(
    'merge',
    '--out',
    out('x5.sqlite'),
    shard(0),
    variant(0, 'again.sqlite', () => {}),
    shard(1),
    shard(2),
  );
  assert.match(r.err, /shard 0\/3 given 2 times \(.*shard-0\.sqlite, .*again\.sqlite\)/);
  r = await cli('merge', '--out', out('x6.sqlite'), shard(0), unfinished, shard(2));
  assert.match(
    r.err,
    /shard 1\/3 \(.*unfinished\.sqlite\) is not finished \(\d+ windows committed\): run its index command again to resume it/,
  );
  r = await cli('merge', '--out', out('x7.sqlite'), single);
  assert.match(r.err, /is a whole index, not a shard/);
  r = await cli('merge', '--out', single, shard(0), shard(1), shard(2));
  assert.match(r.err, /exists and is not a merge of these shards/);
  for (const n of ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7']) assert.equal(fs.existsSync(out(`${n}.sqlite`)), false, `${n} not created`);
  // --max-tokens cannot be split
  r = await cli('index', ...common, '--shard', '0/2', '--max-tokens', '100', '--db', out('y.sqlite'), ...data);
  assert.equal(r.code, 2);
  assert.match(r.err, /--max-tokens cannot be split across shards/);
});

test('index export --format parquet: per-feature statistics and every activation, as hyparquet reads them', async () => {
  const dir = path.join(tmp, 'export');
  const r = await cli('index', 'export', '--db', merged, '--format', 'parquet', '--out', dir, '--json');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { features: string; activations: string; feature_rows: number; activation_rows: number };
  const reader = new IndexReader(merged);
  try {
    const features = (await parquetReadObjects({ file: await asyncBufferFromFile(out.features) })) as Record<string, unknown>[];
    assert.equal(features.length, reader.settings.dSae);
    for (const f of [0, 7, 100, 1535]) {
      const d = reader.feature(f, 0);
      const row = features[f]!;
      assert.equal(row['feature'], f);
      assert.equal(row['count'], BigInt(d.count));
      assert.equal(row['density'], d.density);
      assert.equal(row['max'], d.max);
      assert.equal(row['mean'], d.mean);
      assert.deepEqual(row['histogram'], d.histogram);
      assert.deepEqual(
        row['intervals'],
        d.intervals.map((i) => i.count),
      );
    }
    const acts = (await parquetReadObjects({ file: await asyncBufferFromFile(out.activations) })) as {
      feature: number;
      document: number;
      window: number;
      position: number;
      token: number;
      value: number;
    }[];
    assert.equal(acts.length, reader.progress.activations);
    assert.equal(out.activation_rows, acts.length);
    // feature 7's top example is among its rows, with its window, position and value
    const top = reader.feature(7, 0).top[0]!;
    assert.ok(acts.some((a) => a.feature === 7 && a.window === top.window && a.position === top.position && a.value === top.value));
    const counts = new Map<number, number>();
    for (const a of acts) counts.set(a.feature, (counts.get(a.feature) ?? 0) + 1);
    for (const f of [0, 7, 100]) assert.equal(counts.get(f) ?? 0, reader.feature(f, 0).count);
  } finally {
    reader.close();
  }
});
