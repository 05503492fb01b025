import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { openCorpus, type CorpusRecord } from './corpus.ts';
import { invalidUtf8Offset } from './utf8.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const parquetFixture = fileURLToPath(new URL('./testdata/docs.parquet', import.meta.url));

async function all(corpus: ReturnType<typeof openCorpus>): Promise<CorpusRecord[]> {
  const out: CorpusRecord[] = [];
  for await (const r of corpus.records()) out.push(r);
  return out;
}

test('jsonl: one document per line; blank lines ignored; BOM and CRLF handled; bad lines reported with their number', async () => {
  const file = path.join(tmp, 'a.jsonl');
  const lines = ['\ufeff{"text":"one"}', '', '{"text":"two"}', '{"text": oops}', '{"body":"no text"}', '  ', '{"text":"three"}'];
  fs.writeFileSync(file, lines.join('\r\n'));
  const recs = await all(openCorpus(file));
  assert.deepEqual(
    recs.map((r) => [r.ordinal, r.kind, r.source, r.kind === 'doc' ? r.text : r.message.replace(file, 'F')]),
    [
      [0, 'doc', 'a.jsonl:1', 'one'],
      [1, 'doc', 'a.jsonl:3', 'two'],
      [2, 'bad', 'a.jsonl:4', recs[2]!.kind === 'bad' ? recs[2]!.message.replace(file, 'F') : ''],
      [3, 'bad', 'a.jsonl:5', 'F:5: no string field "text" (see --text-field)'],
      [4, 'doc', 'a.jsonl:7', 'three'],
    ],
  );
  assert.match(recs[2]!.kind === 'bad' ? recs[2]!.message : '', /a\.jsonl:4: malformed JSON \(/);
  assert.equal(recs.at(-1)!.bytesDone, fs.statSync(file).size);
  const other = await all(openCorpus(file, { textField: 'body' }));
  assert.deepEqual(
    other.map((r) => r.kind),
    ['bad', 'bad', 'bad', 'doc', 'bad'],
  );
});

test('jsonl: lines longer than the read block are read whole', async () => {
  const file = path.join(tmp, 'long.jsonl');
  const big = 'x'.repeat(3 << 20);
  fs.writeFileSync(file, `${JSON.stringify({ text: big })}\n${JSON.stringify({ text: 'after' })}`);
  const recs = await all(openCorpus(file));
  assert.deepEqual(
    recs.map((r) => (r.kind === 'doc' ? r.text.length : -1)),
    [big.length, 5],
  );
});

test('non-UTF-8 bytes: an error naming the file and byte offset, or U+FFFD with replace', async () => {
  const txt = path.join(tmp, 'latin1.txt');
  fs.writeFileSync(txt, Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait')]));
  await assert.rejects(all(openCorpus(txt)), (e: Error) => e.message.startsWith(`${txt}: invalid UTF-8 at byte 3`));
  const replaced = await all(openCorpus(txt, { invalidUtf8: 'replace' }));
  assert.equal(replaced[0]!.kind === 'doc' && replaced[0]!.text, 'caf\ufffd au lait');

  const jsonl = path.join(tmp, 'bad-bytes.jsonl');
  const line2 = Buffer.concat([Buffer.from('{"text":"ab'), Buffer.from([0xff]), Buffer.from('"}')]);
  fs.writeFileSync(jsonl, Buffer.concat([Buffer.from('{"text":"fine"}\n'), line2, Buffer.from('\n')]));
  await assert.rejects(all(openCorpus(jsonl)), (e: Error) => e.message.includes(`${jsonl} (line 2): invalid UTF-8 at byte ${16 + 11}`));

  assert.equal(invalidUtf8Offset(Buffer.from('héllo ✓ 𝄞', 'utf8')), -1);
  assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0xc0, 0x80])), 1, 'overlong');
  assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1, 'surrogate');
  assert.equal(invalidUtf8Offset(Buffer.from([0x61, 0x62, 0xe2, 0x82])), 2, 'truncated');
});

test('a folder: .txt/.md/.jsonl/.parquet files recursively in path order, hidden files skipped, one document per text file', async () => {
  const dir = path.join(tmp, 'folder');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'b.md'), '# B');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'A text\nwith two lines');
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.writeFileSync(path.join(dir, 'sub', 'c.jsonl'), '{"text":"c1"}\n{"text":"c2"}\n');
  fs.writeFileSync(path.join(dir, '.hidden.txt'), 'no');
  fs.writeFileSync(path.join(dir, 'notes.csv'), 'ignored');
  const c = openCorpus(dir);
  assert.deepEqual(c.files, ['a.txt', 'b.md', 'empty.txt', 'sub/c.jsonl']);
  const recs = await all(c);
  assert.deepEqual(
    recs.map((r) => [r.source, r.kind === 'doc' ? r.text : '?']),
    [
      ['a.txt', 'A text\nwith two lines'],
      ['b.md', '# B'],
      ['empty.txt', ''],
      ['sub/c.jsonl:1', 'c1'],
      ['sub/c.jsonl:2', 'c2'],
    ],
  );
  assert.throws(() => openCorpus(path.join(tmp, 'nope')), /corpus not found/);
  fs.mkdirSync(path.join(tmp, 'empty-dir'));
  assert.throws(() => openCorpus(path.join(tmp, 'empty-dir')), /no \.txt, \.md, \.jsonl or \.parquet files/);
  assert.throws(() => openCorpus(path.join(dir, 'notes.csv')), /unsupported corpus file/);
});

test('parquet as HuggingFace ships it (snappy, several row groups), read through hyparquet', async () => {
  const recs = await all(openCorpus(parquetFixture, { textField: 'content' }));
  assert.equal(recs.length, 9);
  assert.deepEqual(
    recs.map((r) => r.source),
    Array.from({ length: 9 }, (_, i) => `docs.parquet#${i}`),
  );
  assert.equal(recs[0]!.kind === 'doc' && recs[0]!.text, 'The quick brown fox jumps over the lazy dog.');
  assert.equal(recs[2]!.kind === 'doc' && recs[2]!.text, '');
  assert.equal(recs[7]!.kind === 'doc' && recs[7]!.text, 'Café crème brûlée — unicode text ✓.');
  assert.equal(recs.at(-1)!.bytesDone, fs.statSync(parquetFixture).size);
  await assert.rejects(all(openCorpus(parquetFixture)), /no column "text" \(columns: id, content\); pass --text-field/);
});
