import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { closeOnError, DEFAULT_BUSY_TIMEOUT_MS, openStore } from './open-store.ts';
import { openDatabase } from './sqlite.ts';
import { testStoreKind } from './testdata/test-store-kind.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-open-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const steps = ['create table a (x integer)', 'create table b (y integer)'];

test('openStore makes the folder, switches on WAL and runs only the missing migrations', () => {
  const file = path.join(tmp, 'nested', 'one.sqlite');
  const first = openStore(file, {
    kind: testStoreKind,
    migrations: steps.slice(0, 1),
    synchronous: 'FULL',
    busyTimeoutMs: 1234,
    pragmas: ['cache_size = -1000'],
  });
  assert.equal(first.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(first.pragma('synchronous', { simple: true }), 2);
  assert.equal(first.pragma('busy_timeout', { simple: true }), 1234);
  assert.equal(first.pragma('cache_size', { simple: true }), -1000);
  assert.equal(first.pragma('user_version', { simple: true }), 1);
  first.prepare('insert into a values (7)').run();
  first.close();

  // a later build with one more step: the first is not run again (it would fail: a exists)
  const second = openStore(file, { kind: testStoreKind, migrations: steps, synchronous: 'NORMAL' });
  assert.equal(second.pragma('user_version', { simple: true }), 2);
  assert.equal(second.prepare('select x from a').pluck().get(), 7);
  assert.deepEqual(second.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all(), ['a', 'b']);
  second.close();
});

test('a file from a newer build is refused with a conflict naming it', () => {
  const file = path.join(tmp, 'newer.sqlite');
  openStore(file, { kind: testStoreKind, migrations: steps, synchronous: 'NORMAL' }).close();
  assert.throws(
    () => openStore(file, { kind: testStoreKind, migrations: steps.slice(0, 1), synchronous: 'NORMAL' }),
    (e: unknown) => e instanceof AppError && e.code === 'conflict' && e.message.includes(file) && e.message.includes('schema 2'),
  );
});

test('closeOnError closes the database when setup throws, and only then', () => {
  const failed = openDatabase(':memory:');
  assert.throws(
    () =>
      closeOnError(failed, () => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(failed.open, false);
  const kept = openDatabase(':memory:');
  assert.equal(
    closeOnError(kept, (d) => d.prepare('select 41 + 1').pluck().get()),
    42,
  );
  assert.equal(kept.open, true);
  kept.close();
});

test('a failing migration rolls back its own step and keeps the ones before it', () => {
  const file = path.join(tmp, 'broken.sqlite');
  assert.throws(
    () =>
      openStore(file, { kind: testStoreKind, migrations: [steps[0]!, 'create table c (z); select * from missing'], synchronous: 'NORMAL' }),
    /missing/,
  );
  const db = openDatabase(file);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  assert.deepEqual(db.prepare("select name from sqlite_master where type = 'table'").pluck().all(), ['a']);
  db.close();
});

test('beforeWal runs on the empty file, before the journal mode changes', () => {
  const file = path.join(tmp, 'vacuum.sqlite');
  const db = openStore(file, {
    kind: testStoreKind,
    migrations: steps,
    synchronous: 'NORMAL',
    beforeWal: (d) => {
      assert.equal(d.pragma('journal_mode', { simple: true }), 'delete');
      d.pragma('auto_vacuum = INCREMENTAL');
    },
  });
  assert.equal(db.pragma('auto_vacuum', { simple: true }), 2);
  db.close();
});

test('without a busy timeout given, a store still waits for other writers', () => {
  const db = openStore(path.join(tmp, 'default-timeout.sqlite'), { kind: testStoreKind, migrations: steps, synchronous: 'NORMAL' });
  assert.equal(db.pragma('busy_timeout', { simple: true }), DEFAULT_BUSY_TIMEOUT_MS);
  db.close();
});

/** Starts a child that opens `file` with `steps` migrations when told to; resolves once it is ready. */
function child(file: string, steps: number): Promise<{ proc: ChildProcess; result: Promise<{ code: number | null; out: string }> }> {
  const script = path.join(import.meta.dirname, 'testdata', 'migrate-child.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', script, file, String(steps)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const result = new Promise<{ code: number | null; out: string }>((done) => proc.on('exit', (code) => done({ code, out })));
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const wasReady = out.includes('ready\n');
      out += c;
      if (!wasReady && out.includes('ready\n')) resolve({ proc, result });
    });
    proc.on('error', reject);
  });
}

test('two processes creating the same store at once both open it, each migration run once', async () => {
  const steps = 150;
  for (let round = 0; round < 3; round++) {
    const file = path.join(tmp, `race-${round}.sqlite`);
    const kids = await Promise.all([child(file, steps), child(file, steps)]);
    // both are loaded and waiting: let them go at the same moment
    for (const k of kids) k.proc.stdin!.end('go\n');
    const results = await Promise.all(kids.map((k) => k.result));
    for (const r of results) {
      assert.equal(r.code, 0, `round ${round}: ${r.out}`);
      assert.deepEqual(JSON.parse(r.out.split('\n')[1]!), { ok: true, journal: 'wal', version: steps });
    }
    const db = openDatabase(file, { readonly: true });
    assert.equal(db.prepare("select count(*) from sqlite_master where type = 'table'").pluck().get(), steps);
    // each step's insert ran once: every table holds one row
    const rows = Array.from({ length: steps }, (_, i) => db.prepare(`select count(*) from t${i}`).pluck().get());
    assert.ok(
      rows.every((n) => n === 1),
      `round ${round}: rows per table ${rows.join(',')}`,
    );
    db.close();
  }
});
