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

/** A record with its stream read (streams are valid only until the next record). */
type Read =
  | Exclude<CorpusRecord, { kind: 'text-stream' | 'tokens' }>
  | { kind: 'text-stream'; ordinal: number; source: string; bytesDone: number; text: string }
  | { kind: 'tokens'; ordinal: number; source: string; bytesDone: number; column: string; ids: number[] };

async function all(corpus: ReturnType<typeof openCorpus>): Promise<Read[]> {
  const out: Read[] = [];
  for await (const r of corpus.records()) {
    const { ordinal, source, bytesDone } = r;
    if (r.kind === 'text-stream') {
      let text = '';
      for await (const piece of r.chunks()) text += piece;
      out.push({ kind: 'text-stream', ordinal, source, bytesDone, text });
    } else if (r.kind === 'tokens') {
      const ids: number[] = [];
      for await (const slice of r.chunks()) ids.push(...slice);
      out.push({ kind: 'tokens', ordinal, source, bytesDone, column: r.column, ids });
    } else out.push(r);
  }
  return out;
}

/** What a record says: its text, its ids, or its message (with the file's path as F). */
function said(r: Read, file = ''): unknown {
  if (r.kind === 'bad') return file ? r.message.replaceAll(file, 'F') : r.message;
  return r.kind === 'tokens' ? r.ids : r.text;
}

test('jsonl: one document per line; blank lines ignored; BOM and CRLF handled; bad lines reported with their number', async () => {
  const file = path.join(tmp, 'a.jsonl');
  const lines = ['\ufeff{"text":"one"}', '', '{"text":"two"}', '{"text": oops}', '{"body":"no text"}', '  ', '{"text":"three"}'];
  fs.writeFileSync(file, lines.join('\r\n'));
  const recs = await all(openCorpus(file));
  assert.deepEqual(
    recs.map((r) => [r.ordinal, r.kind, r.source, said(r, file)]),
    [
      [0, 'doc', 'a.jsonl:1', 'one'],
      [1, 'doc', 'a.jsonl:3', 'two'],
      [2, 'bad', 'a.jsonl:4', said(recs[2]!, file)],
      [3, 'bad', 'a.jsonl:5', 'F:5: no string field "text" (see --text-field) and no token list "tokens" or "input_ids"'],
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

test('jsonl: a line longer than the read block comes as a stream of its text; the lines after it as before', async () => {
  const file = path.join(tmp, 'long.jsonl');
  const big = 'x'.repeat(3 << 20);
  fs.writeFileSync(file, `${JSON.stringify({ text: big })}\n${JSON.stringify({ text: 'after' })}`);
  const recs = await all(openCorpus(file));
  assert.deepEqual(
    recs.map((r) => [r.kind, r.source, (said(r) as string).length]),
    [
      ['text-stream', 'long.jsonl:1', big.length],
      ['doc', 'long.jsonl:2', 5],
    ],
  );
  assert.equal(said(recs[0]!), big);
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

const tokensFixture = fileURLToPath(new URL('./testdata/tokens.parquet', import.meta.url));

test('pre-tokenized JSONL: "tokens" or "input_ids" where there is no text (the text wins), or the column named', async () => {
  const file = path.join(tmp, 'tok.jsonl');
  const lines = [
    { tokens: [5, 6, 7] },
    { input_ids: [1, 2] },
    { text: 'words', tokens: [9] },
    { input_ids: [3], tokens: [4] },
    { ids: [1] },
    { tokens: [] },
    { tokens: 'not a list' },
  ];
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  const recs = await all(openCorpus(file, { vocabSize: 10 }));
  assert.deepEqual(
    recs.map((r) => [r.kind, r.kind === 'tokens' ? r.column : '', said(r, file)]),
    [
      ['tokens', 'tokens', [5, 6, 7]],
      ['tokens', 'input_ids', [1, 2]],
      ['doc', '', 'words'],
      ['tokens', 'tokens', [4]],
      ['bad', '', 'F:5: no string field "text" (see --text-field) and no token list "tokens" or "input_ids"'],
      ['tokens', 'tokens', []],
      ['bad', '', 'F:7: no string field "text" (see --text-field) and no token list "tokens" or "input_ids"'],
    ],
  );
  const named = await all(openCorpus(file, { tokenColumn: 'input_ids' }));
  assert.deepEqual(
    named.map((r) => said(r, file)),
    [
      'F:1: no token list "input_ids" (see --token-column)',
      [1, 2],
      'F:3: no token list "input_ids" (see --token-column)',
      [3],
      'F:5: no token list "input_ids" (see --token-column)',
      'F:6: no token list "input_ids" (see --token-column)',
      'F:7: no token list "input_ids" (see --token-column)',
    ],
  );
});

test('token ids outside the vocabulary, negative or not integers refuse the corpus naming file, row, id and vocabulary size', async () => {
  const cases: [string, string][] = [
    ['[1, 2, 50257, 3]', 'token id 50257 ("tokens"[2]) is not below the model\'s vocabulary size 4096 (tokenized for another vocabulary?)'],
    ['[1, -1]', '"tokens"[1] is -1, not a token id (an integer from 0 to 4095)'],
    ['[2.5]', '"tokens"[0] is 2.5, not a token id (an integer from 0 to 4095)'],
    ['[1, "7"]', '"tokens"[1] is "7", not a token id (an integer from 0 to 4095)'],
    ['[null]', '"tokens"[0] is null, not a token id (an integer from 0 to 4095)'],
  ];
  for (const [list, message] of cases) {
    const file = path.join(tmp, 'vocab.jsonl');
    fs.writeFileSync(file, `{"tokens": [0]}\n{"tokens": ${list}}\n`);
    for (const longRecord of [undefined, 0]) {
      await assert.rejects(all(openCorpus(file, { vocabSize: 4096, longRecord })), (e: Error) => {
        assert.equal(e.message, `${file}:2: ${message}`, `${list} (longRecord ${longRecord})`);
        return true;
      });
    }
  }
});

test('pre-tokenized Parquet as HF datasets ship it (LIST<INT64> input_ids, read as BigInt, several row groups); the vocabulary is checked', async () => {
  const recs = await all(openCorpus(tokensFixture));
  assert.deepEqual(
    recs.map((r) => [r.kind, r.source]),
    Array.from({ length: 7 }, (_, i) => ['tokens', `tokens.parquet#${i}`]),
  );
  const ids = recs.map((r) => said(r) as number[]);
  assert.deepEqual(ids[2], [], 'an empty row');
  for (const row of ids.filter((r) => r.length)) assert.equal(row[0], 4095, 'BOS first, as written');
  assert.equal(recs.at(-1)!.bytesDone, fs.statSync(tokensFixture).size);
  const top = Math.max(...ids.flat().filter((id) => id !== 4095));
  await assert.rejects(
    all(openCorpus(tokensFixture, { vocabSize: 4095 })),
    (e: Error) =>
      e.message ===
      `${tokensFixture} row 0: token id 4095 ("input_ids"[0]) is not below the model's vocabulary size 4095 (tokenized for another vocabulary?)`,
  );
  assert.equal((await all(openCorpus(tokensFixture, { vocabSize: 4096 }))).length, 7);
  assert.ok(top < 4095);
  // a text field present wins; a named token column must exist
  assert.equal((await all(openCorpus(parquetFixture, { textField: 'content' })))[0]!.kind, 'doc');
  await assert.rejects(
    all(openCorpus(parquetFixture, { tokenColumn: 'tokens' })),
    /docs\.parquet: no column "tokens" \(columns: id, content\); pass --token-column/,
  );
  const notLists = await all(openCorpus(tokensFixture, { tokenColumn: 'id' }));
  assert.deepEqual(notLists.map((r) => said(r, tokensFixture)).slice(0, 2), [
    'F row 0: "id" is not a list of token ids',
    'F row 1: "id" is not a list of token ids',
  ]);
});

test('a text file longer than longRecord comes as a stream of its text (BOM dropped, UTF-8 split between pieces)', async () => {
  const file = path.join(tmp, 'long.txt');
  const text = 'Grüße ✓ 😀 '.repeat(20_000);
  fs.writeFileSync(file, `\ufeff${text}`);
  const [streamed] = await all(openCorpus(file, { longRecord: 1000 }));
  assert.equal(streamed!.kind, 'text-stream');
  assert.equal(said(streamed!), text);
  const [whole] = await all(openCorpus(file));
  assert.deepEqual([whole!.kind, said(whole!)], ['doc', text]);
  const bad = path.join(tmp, 'long-latin1.txt');
  fs.writeFileSync(bad, Buffer.concat([Buffer.from('x'.repeat(70_000)), Buffer.from([0xe9]), Buffer.from('tail')]));
  await assert.rejects(all(openCorpus(bad, { longRecord: 10 })), (e: Error) => e.message.startsWith(`${bad}: invalid UTF-8 at byte 70000`));
});

test('cursors: reading on from any record’s start or end yields the rest as a full read does; a shard reads only its own records', async () => {
  const dir = path.join(tmp, 'cursors');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'a.txt'), 'A text');
  const long = 'x'.repeat(3000);
  fs.writeFileSync(path.join(dir, 'b.jsonl'), `{"text":"b1"}\n\n{"text":"b2"}\nnot json\n{"text":"${long}"}\n  \n{"text":"b3"}\n`);
  fs.copyFileSync(parquetFixture, path.join(dir, 'c.parquet'));
  fs.writeFileSync(path.join(dir, 'd.md'), '# D');
  const open = (owns?: (o: number) => boolean) => openCorpus(dir, { textField: 'content', longRecord: 1000, owns });
  const key = async (recs: AsyncIterable<CorpusRecord>, skipBefore = 0): Promise<string[]> => {
    const out: string[] = [];
    for await (const r of recs) {
      if (r.ordinal < skipBefore) continue;
      let what = r.kind === 'doc' ? r.text : r.kind === 'bad' ? 'bad' : '';
      if (r.kind === 'text-stream') for await (const piece of r.chunks()) what += piece;
      out.push(`${r.ordinal} ${r.source} ${what.length > 20 ? `${what.length} chars` : what}`);
    }
    return out;
  };
  // b.jsonl holds text where docs.parquet has "content": give both
  fs.writeFileSync(path.join(dir, 'b.jsonl'), fs.readFileSync(path.join(dir, 'b.jsonl'), 'utf8').replaceAll('"text"', '"content"'));
  const whole = await key(open().records());
  assert.equal(whole.length, 1 + 5 + 9 + 1);
  const starts: CorpusRecord[] = [];
  for await (const r of open().records()) starts.push(r);
  for (const [i, r] of starts.entries()) {
    assert.deepEqual(await key(open().records(r.at)), whole.slice(i), `from the start of ${r.source}`);
    // a long line's end is not known when it is read: its `next` is its start, and the reader skips it by ordinal
    assert.deepEqual(await key(open().records(r.next), r.ordinal + 1), whole.slice(i + 1), `after ${r.source}`);
  }
  const shard1 = await key(open((o) => o % 3 === 1).records());
  assert.deepEqual(
    shard1,
    whole.filter((_, i) => i % 3 === 1),
  );
});
