/**
 * Opens a store with many migration steps once the parent says "go" on stdin, so two of
 * these race on creating the same file (open-store.test.ts). Prints the outcome as JSON.
 * Usage: migrate-child.ts <file> <steps>
 */
import { openStore } from '../open-store.ts';
import { testStoreKind } from './test-store-kind.ts';

const [file, steps] = process.argv.slice(2);
if (!file || !steps) throw new Error('usage: migrate-child.ts <file> <steps>');
const migrations = Array.from({ length: Number(steps) }, (_, i) => `create table t${i} (x integer); insert into t${i} values (${i})`);

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  try {
    const db = openStore(file, { kind: testStoreKind, migrations, synchronous: 'NORMAL' });
    const journal = db.pragma('journal_mode', { simple: true });
    const version = db.pragma('user_version', { simple: true });
    db.close();
    process.stdout.write(`${JSON.stringify({ ok: true, journal, version })}\n`);
    process.exit(0);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) })}\n`);
    process.exit(1);
  }
});
