/**
 * Holds the writer lock of an index (an open IndexWriter) until killed, for the one-writer
 * tests (writer-lock.test.ts). Prints "held <pid>" once it holds it.
 * Usage: hold-writer.ts <db>
 */
import { IndexWriter } from '../store.ts';

const [db] = process.argv.slice(2);
if (!db) throw new Error('usage: hold-writer.ts <db>');
const writer = new IndexWriter(db);
process.stdout.write(`held ${process.pid}\n`);
// stays until the test kills it (SIGKILL: no cleanup runs, the OS drops the lock)
setInterval(() => void writer.file, 60_000);
