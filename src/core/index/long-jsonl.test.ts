/**
 * JSONL records read as streams (lines longer than `longRecord`): the same documents as
 * JSON.parse gives for every record, across read-block boundaries that fall inside escapes
 * and UTF-8 sequences; only what is consumed is read; malformed JSON is reported by line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { seededRandom } from '../util/random.ts';
import { BadRecordError } from './bad-record.ts';
import { openCorpus, type CorpusRecord } from './corpus.ts';
import type { ByteSource } from './line-reader.ts';
import { readLongJsonLine } from './long-jsonl.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'long-jsonl-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What a record says, its stream read whole (a stream found malformed is a bad record, as windowing treats it). */
async function said(r: CorpusRecord): Promise<[string, string, unknown]> {
  if (r.kind === 'bad') return [r.kind, r.source, 'bad'];
  if (r.kind === 'doc') return ['text', r.source, r.text];
  if (r.kind === 'text-stream') {
    let t = '';
    try {
      for await (const piece of r.chunks()) t += piece;
    } catch (e) {
      if (e instanceof BadRecordError) return ['bad', r.source, 'bad'];
      throw e;
    }
    return ['text', r.source, t];
  }
  const ids: number[] = [];
  for await (const slice of r.chunks()) ids.push(...slice);
  return [`tokens:${r.column}`, r.source, ids];
}

async function read(file: string, longRecord?: number): Promise<[string, string, unknown][]> {
  const out: [string, string, unknown][] = [];
  for await (const r of openCorpus(file, { longRecord }).records()) out.push(await said(r));
  return out;
}

/** Random text with what is hard to split: multi-byte characters, escapes, lone surrogates, quotes. */
function nastyText(rand: () => number, n: number): string {
  const pieces = ['a', 'é', '✓', '😀', '"', '\\', '\n', '\t', '\u0001', '\u2028', '\ud83d', '\ude00', '{', '}', '[', ']', ',', ':', ' '];
  let s = '';
  for (let i = 0; i < n; i++) s += pieces[Math.floor(rand() * pieces.length)];
  return s;
}

test('streamed lines give the documents JSON.parse gives: text, token lists, nested values skipped, blocks split anywhere', async () => {
  const rand = seededRandom(7);
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    const text = nastyText(rand, i % 5 === 0 ? 70_000 + Math.floor(rand() * 70_000) : Math.floor(rand() * 300));
    const pad = 'p'.repeat(i % 7); // shifts where the 64 KiB read blocks fall
    const kind = i % 4;
    const obj =
      kind === 0
        ? { pad, meta: { nested: [1, 'x"}', { deep: [null, true, -1.5e3] }] }, text }
        : kind === 1
          ? { id: i, tokens: Array.from({ length: 1 + (i % 9) * 3000 }, (_, k) => (k * 7919 + i) % 50_000), pad }
          : kind === 2
            ? { input_ids: [3, 2, 1], text, tokens: [9] } // the text field wins
            : { pad, input_ids: [i, i + 1], other: 'no text' };
    lines.push(JSON.stringify(obj));
  }
  lines.splice(5, 0, '   ', '{"text": "unterminated', '{"text": 12}', '[1, 2]', '"just a string"');
  const file = path.join(tmp, 'mixed.jsonl');
  fs.writeFileSync(file, `\ufeff${lines.join('\r\n')}\n`);
  const parsed = await read(file);
  const streamed = await read(file, 0);
  assert.equal(parsed.length, 44, 'the blank line is no record');
  assert.deepEqual(streamed, parsed);
  assert.deepEqual(
    parsed.slice(0, 10).map(([kind, source]) => [kind, source]),
    [
      ['text', 'mixed.jsonl:1'],
      ['tokens:tokens', 'mixed.jsonl:2'],
      ['text', 'mixed.jsonl:3'],
      ['tokens:input_ids', 'mixed.jsonl:4'],
      ['text', 'mixed.jsonl:5'],
      ['bad', 'mixed.jsonl:7'],
      ['bad', 'mixed.jsonl:8'],
      ['bad', 'mixed.jsonl:9'],
      ['bad', 'mixed.jsonl:10'],
      ['tokens:tokens', 'mixed.jsonl:11'],
    ],
  );
});

test('escapes and UTF-8 sequences cut by a read block at every offset decode as JSON.parse decodes them', async () => {
  const unit = 'é😀\\"\\u00e9\\ud83d\\ude00\\n✓';
  for (let shift = 0; shift < 12; shift++) {
    const body = `${'x'.repeat((1 << 16) - 12 + shift)}${unit.repeat(3)}`;
    const line = `{"text":"${body}"}`;
    const file = path.join(tmp, `shift-${shift}.jsonl`);
    fs.writeFileSync(file, `${line}\n`);
    assert.deepEqual(await read(file, 0), [['text', `shift-${shift}.jsonl:1`, JSON.parse(line).text]], `shift ${shift}`);
  }
});

test('only what is consumed is read: the first piece of a 10 MB line costs two read blocks', async () => {
  const file = path.join(tmp, 'huge.jsonl');
  fs.writeFileSync(file, `${JSON.stringify({ text: 'word '.repeat(2 << 20) })}\n{"text":"next"}\n`);
  const fh = await fs.promises.open(file, 'r');
  let bytes = 0;
  const source: ByteSource = {
    read: async (position, into) => {
      const { bytesRead } = await fh.read(into, 0, into.length, position);
      bytes += bytesRead;
      return bytesRead;
    },
  };
  try {
    const content = await readLongJsonLine(
      { long: true, lineNo: 1, offset: 0, source },
      { where: `${file}:1`, textField: 'text', decode: (raw) => Buffer.from(raw).toString('utf8'), missing: 'no text' },
    );
    assert.equal(content.kind, 'text');
    if (content.kind !== 'text') return;
    const gen = content.chunks();
    const first = await gen.next();
    await gen.return();
    assert.ok(!first.done && first.value.startsWith('word word'));
    assert.ok(bytes <= 2 << 16, `${bytes} bytes read`);
  } finally {
    await fh.close();
  }
  // through the corpus reader: stopping inside the long line still gives the next line
  const recs = openCorpus(file).records();
  const one = (await recs.next()).value as CorpusRecord;
  assert.equal(one.kind, 'text-stream');
  if (one.kind === 'text-stream') assert.ok(((await one.chunks().next()).value ?? '').startsWith('word'));
  assert.deepEqual(await said((await recs.next()).value as CorpusRecord), ['text', 'huge.jsonl:2', 'next']);
  assert.equal((await recs.next()).done, true);
});

test('malformed JSON: before the text a bad record naming line and byte; after it, an error once the stream reaches it', async () => {
  const file = path.join(tmp, 'broken.jsonl');
  fs.writeFileSync(
    file,
    ['{"id": 1 "text": "a"}', '{"text": "fine", "more": tru}', '{"text": "bad \\x escape"}', '{"text": "ok"} trailing'].join('\n'),
  );
  const recs: CorpusRecord[] = [];
  const errors: string[] = [];
  for await (const r of openCorpus(file, { longRecord: 0 }).records()) {
    recs.push(r);
    if (r.kind === 'text-stream')
      try {
        for await (const _ of r.chunks()) void _;
      } catch (e) {
        errors.push((e as Error).message);
      }
  }
  assert.deepEqual(
    recs.map((r) => (r.kind === 'bad' ? r.message : r.kind)),
    [`${file}:1: malformed JSON (expected ',' or '}' at byte 9 of the line)`, 'text-stream', 'text-stream', 'text-stream'],
  );
  assert.deepEqual(errors, [
    `${file}:2: malformed JSON ("tru" is not a JSON value at byte 25 of the line)`,
    `${file}:3: malformed JSON (an invalid escape in a string at byte 10 of the line)`,
    `${file}:4: malformed JSON (more after the object at byte 15 of the line)`,
  ]);
});

test('invalid UTF-8 in a streamed text: the file, line and byte offset, or U+FFFD with replace', async () => {
  const file = path.join(tmp, 'latin1.jsonl');
  fs.writeFileSync(file, Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from(' au lait"}\n')]));
  const strict = openCorpus(file, { longRecord: 0 }).records();
  await strict.next();
  const second = (await strict.next()).value as CorpusRecord;
  assert.equal(second.kind, 'text-stream');
  if (second.kind === 'text-stream')
    await assert.rejects(
      async () => {
        for await (const _ of second.chunks()) void _;
      },
      new RegExp(`^Utf8Error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(line 2\\): invalid UTF-8 at byte 26 `),
    );
  const replaced = openCorpus(file, { longRecord: 0, invalidUtf8: 'replace' }).records();
  await replaced.next();
  assert.deepEqual(await said((await replaced.next()).value as CorpusRecord), ['text', 'latin1.jsonl:2', 'caf\ufffd au lait']);
});
