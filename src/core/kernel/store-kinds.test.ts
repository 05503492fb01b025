/**
 * Our own SQLite files only: every store carries its kind's application_id, and a file that
 * is not ours (another application's database, another kind of ours, not SQLite, damaged, a
 * folder) is refused with an error naming it, with nothing written to it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { AppError } from '#shared/reply.ts';
import { AnnotationStore } from '../annotations/store.ts';
import { HealthStore } from '../health/store.ts';
import { openIndexForRead, openIndexForWrite } from '../index/db.ts';
import { migrations as indexMigrations } from '../index/migrations/index.ts';
import { IndexReader } from '../index/reader.ts';
import { SessionStore } from '../steer/session-store.ts';
import { openStore } from './open-store.ts';
import { openDatabase } from './sqlite.ts';
import { STORE_KINDS } from './store-kinds.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sae-store-kinds-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The bytes of `file` and of every file beside it with its name as prefix (-wal, -shm, ...). */
function snapshot(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(path.dirname(file))) {
    if (!f.startsWith(path.basename(file))) continue;
    out[f] = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(path.dirname(file), f)))
      .digest('hex');
  }
  return out;
}

/** An application's own database: a table, a row, rollback journal, no application id. */
function foreignDatabase(file: string, applicationId = 0): void {
  const db = openDatabase(file);
  db.exec("create table notes (id integer primary key, body text); insert into notes (body) values ('keep me')");
  if (applicationId) db.pragma(`application_id = ${applicationId}`);
  db.close();
}

const refusedNaming =
  (file: string, words: RegExp) =>
  (e: unknown): boolean =>
    e instanceof AppError && e.code === 'bad_request' && e.message.includes(file) && words.test(e.message);

test('every store the app creates carries its own application_id', () => {
  const index = path.join(tmp, 'new', 'index.sqlite');
  openIndexForWrite(index).close();
  const annotations = new AnnotationStore(path.join(tmp, 'new', 'annotations.sqlite'));
  annotations.close();
  SessionStore.open(path.join(tmp, 'new', 'sessions.sqlite')).close();
  new HealthStore(path.join(tmp, 'new', 'health.sqlite')).close();
  const ids = Object.fromEntries(
    ['index', 'annotations', 'sessions', 'health'].map((name) => {
      const db = openDatabase(path.join(tmp, 'new', `${name}.sqlite`), { readonly: true });
      try {
        return [name, db.pragma('application_id', { simple: true })];
      } finally {
        db.close();
      }
    }),
  );
  assert.deepEqual(ids, {
    index: STORE_KINDS.index.applicationId,
    annotations: STORE_KINDS.annotations.applicationId,
    sessions: STORE_KINDS.sessions.applicationId,
    health: STORE_KINDS.health.applicationId,
  });
  assert.equal(new Set(Object.values(ids)).size, 4, 'one id per kind');
});

test("another application's database is refused by name and left exactly as it was", () => {
  const file = path.join(tmp, 'foreign', 'app.sqlite');
  fs.mkdirSync(path.dirname(file));
  foreignDatabase(file);
  const before = snapshot(file);
  assert.throws(() => openIndexForWrite(file), refusedNaming(file, /another application \(tables notes\), not an activation index/));
  assert.throws(() => new AnnotationStore(file), refusedNaming(file, /not an annotations store/));
  assert.throws(() => openIndexForRead(file), refusedNaming(file, /another application/));
  assert.throws(() => new IndexReader(file), refusedNaming(file, /another application/));
  assert.deepEqual(snapshot(file), before, 'not a byte written, no WAL or journal left beside it');

  const tagged = path.join(tmp, 'foreign', 'tagged.sqlite');
  foreignDatabase(tagged, 0x46534c31);
  assert.throws(() => new HealthStore(tagged), refusedNaming(tagged, /application_id 1179864113/));
});

test('another kind of our own stores is refused naming both kinds', () => {
  const file = path.join(tmp, 'kinds', 'sessions.sqlite');
  SessionStore.open(file).close();
  const before = snapshot(file);
  assert.throws(
    () => openIndexForWrite(file),
    refusedNaming(file, /is a steering sessions store of SAE Explorer, not an activation index/),
  );
  assert.throws(() => new HealthStore(file), refusedNaming(file, /not an evaluations store/));
  assert.deepEqual(snapshot(file), before);
});

test('a file that is not SQLite, a damaged one and a folder are clear errors naming them', () => {
  const text = path.join(tmp, 'bad', 'notes.sqlite');
  fs.mkdirSync(path.dirname(text));
  fs.writeFileSync(text, 'These are my notes, not a database.\n'.repeat(200));
  const before = snapshot(text);
  assert.throws(() => openIndexForWrite(text), refusedNaming(text, /is not an SQLite database \(file is not a database\)/));
  assert.throws(() => new IndexReader(text), refusedNaming(text, /is not an SQLite database/));
  assert.deepEqual(snapshot(text), before);

  // a real index whose first page was overwritten
  const damaged = path.join(tmp, 'bad', 'damaged.sqlite');
  openIndexForWrite(damaged).close();
  const fd = fs.openSync(damaged, 'r+');
  fs.writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
  fs.closeSync(fd);
  assert.throws(() => new IndexReader(damaged), refusedNaming(damaged, /not an SQLite database|damaged/));

  const folder = path.join(tmp, 'bad', 'folder.sqlite');
  fs.mkdirSync(folder);
  assert.throws(() => new IndexReader(folder), refusedNaming(folder, /is a folder, not a database file/));
  assert.throws(() => openIndexForWrite(folder), refusedNaming(folder, /is a folder, not a database file/));
});

test('an index from before application ids is recognised as ours, kept whole, and tagged on its next write open', () => {
  const file = path.join(tmp, 'legacy', 'old.sqlite');
  fs.mkdirSync(path.dirname(file));
  // as an older build made it: the schema and a row, application_id 0
  const old = openDatabase(file);
  old.pragma('journal_mode = WAL');
  old.exec(indexMigrations[0]!);
  old.pragma('user_version = 1');
  old.prepare("insert into meta (key, value) values ('kept', '1')").run();
  old.close();
  const reader = openIndexForRead(file); // upgrades the schema through the writer, then reads
  try {
    assert.equal(reader.prepare("select value from meta where key = 'kept'").pluck().get(), '1');
    assert.equal(reader.pragma('application_id', { simple: true }), STORE_KINDS.index.applicationId);
    assert.equal(reader.pragma('user_version', { simple: true }), indexMigrations.length);
  } finally {
    reader.close();
  }
  // a store's migration runner tags a file the moment it creates its tables, in the same step
  const other = path.join(tmp, 'legacy', 'fresh.sqlite');
  const db = openStore(other, { kind: STORE_KINDS.health, migrations: ['create table evaluations (x)'], synchronous: 'NORMAL' });
  db.close();
  const check = openDatabase(other, { readonly: true });
  assert.equal(check.pragma('application_id', { simple: true }), STORE_KINDS.health.applicationId);
  check.close();
});
