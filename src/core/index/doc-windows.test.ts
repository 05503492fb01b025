/**
 * Cutting documents under a token budget with the demo model's real tokenizer: a prefix
 * tokenized instead of the whole text gives the whole text's first tokens, resumes inside a
 * document cut the same windows, and pre-tokenized ids are windowed as given.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '#testing/fixtures.ts';
import { TextTokenizer } from '../model/tokenizer.ts';
import type { CorpusDocument, CorpusTextStream, CorpusTokenDocument } from './corpus.ts';
import { cutDocument, textHash, type CutOptions, type DocumentCut, type DocWindow } from './doc-windows.ts';

const demo = path.join(repoRoot, 'resources/demo');
const json = (f: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(demo, 'model', f), 'utf8')) as Record<string, unknown>;
const tokenizer = new TextTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), json('config.json'));
const BOS = tokenizer.bosId!;
/** The demo corpus on one line (~800 KB of English). */
const text = fs
  .readFileSync(path.join(demo, 'corpus.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text)
  .join(' ');
const at = { file: 0, offset: 0, line: 1, ordinal: 0 };
const base = { ordinal: 0, source: 'doc', bytesDone: 0, at, next: { ...at, ordinal: 1 } };

const asDoc = (t: string): CorpusDocument => ({ kind: 'doc', ...base, text: t });
/** The text as a stream of 64 KiB pieces, counting the characters handed out. */
function asStream(t: string, read: { chars: number }): CorpusTextStream {
  return {
    kind: 'text-stream',
    ...base,
    async *chunks() {
      for (let i = 0; i < t.length; i += 1 << 16) {
        read.chars += Math.min(1 << 16, t.length - i);
        yield t.slice(i, i + (1 << 16));
      }
    },
  };
}
const asTokens = (ids: number[]): CorpusTokenDocument => ({
  kind: 'tokens',
  ...base,
  column: 'tokens',
  async *chunks() {
    for (let i = 0; i < ids.length; i += 100) yield ids.slice(i, i + 100);
  },
});

const windows = (cut: DocumentCut, from = 0): DocWindow[] => Array.from({ length: cut.count - from }, (_, w) => cut.window(from + w));

test('a token budget tokenizes a prefix only, and gets the whole text’s first tokens', async () => {
  const whole = tokenizer.encode(text);
  assert.ok(whole.length > 100_000);
  const seen: number[] = [];
  const opts = (maxTokens: number | null): CutOptions => ({
    context: 128,
    bosId: BOS,
    tokenize: (t) => {
      seen.push(t.length);
      return tokenizer.encode(t);
    },
    maxTokens,
    tokensBefore: 0,
    doneWindows: 0,
  });
  for (const budget of [1, 127, 128, 2000, 30_000]) {
    const expected = whole.slice(0, budget);
    for (const doc of [asDoc(text), asStream(text, { chars: 0 })]) {
      seen.length = 0;
      const cut = await cutDocument(doc, opts(budget));
      assert.equal(cut.tokens, budget);
      const got = windows(cut);
      assert.deepEqual(
        got.flatMap((w) => w.ids.slice(1)),
        expected,
        `${doc.kind}, ${budget} tokens`,
      );
      assert.ok(
        got.every((w) => w.bos && w.ids[0] === BOS && w.ids.length <= 128),
        'BOS + 127 tokens a window',
      );
      assert.ok(
        Math.max(...seen) < text.length / 4,
        `${doc.kind}, ${budget} tokens: tokenized ${Math.max(...seen)} of ${text.length} characters`,
      );
    }
  }
  // a stream stops being read once the prefix is enough
  const read = { chars: 0 };
  await cutDocument(asStream(text, read), opts(2000));
  assert.equal(read.chars, 1 << 16, 'one 64 KiB piece for 2,000 tokens');
  // no budget: the whole text, as before
  const all = await cutDocument(asStream(text, { chars: 0 }), opts(null));
  assert.equal(all.tokens, whole.length);
  assert.equal(all.hash, textHash(text));
});

test('resuming inside a streamed document cuts the same windows; an index hashed on the whole text resumes too', async () => {
  const opts: CutOptions = {
    context: 64,
    bosId: BOS,
    tokenize: (t) => tokenizer.encode(t),
    maxTokens: 3000,
    tokensBefore: 100,
    doneWindows: 0,
  };
  const first = await cutDocument(asStream(text, { chars: 0 }), opts);
  assert.equal(first.tokens, 2900, '--max-tokens counts the tokens before the document');
  const done = 7;
  const again = await cutDocument(asStream(text, { chars: 0 }), {
    ...opts,
    tokensBefore: 100 + done * 63,
    doneWindows: done,
    storedHash: first.hash,
  });
  assert.equal(again.hash, first.hash);
  assert.deepEqual(windows(again, done), windows(first, done));
  // a document read only in part hashes its prefix; one stored as the whole text's hash (an index from before) matches too
  assert.notEqual(first.hash, textHash(text));
  const old = await cutDocument(asStream(text, { chars: 0 }), {
    ...opts,
    tokensBefore: 100 + done * 63,
    doneWindows: done,
    storedHash: textHash(text),
  });
  assert.equal(old.hash, textHash(text));
  const changed = await cutDocument(asStream(`${text}!`, { chars: 0 }), {
    ...opts,
    tokensBefore: 100 + done * 63,
    doneWindows: done,
    storedHash: textHash(text),
  });
  assert.notEqual(changed.hash, textHash(text), 'a changed document does not pass');
});

test('token ids are windowed as given: no BOS added, a window starting with BOS counts it nowhere, the budget cuts exactly', async () => {
  const ids = [BOS, ...Array.from({ length: 299 }, (_, i) => (i * 37) % 4000)];
  ids[128] = BOS; // a second sequence starting where the second window does
  const opts: CutOptions = {
    context: 128,
    bosId: BOS,
    tokenize: () => assert.fail('token ids are not tokenized'),
    maxTokens: null,
    tokensBefore: 0,
    doneWindows: 0,
  };
  const cut = await cutDocument(asTokens(ids), opts);
  assert.deepEqual(
    windows(cut).map((w) => [w.ids[0], w.ids.length, w.bos, w.tokens]),
    [
      [BOS, 128, true, 127],
      [BOS, 128, true, 127],
      [ids[256], 44, false, 44],
    ],
  );
  assert.deepEqual(
    windows(cut).flatMap((w) => w.ids),
    ids,
    'the ids as given',
  );
  assert.equal(cut.tokens, 298);
  // without an SAE BOS every id counts
  const plain = await cutDocument(asTokens(ids), { ...opts, bosId: undefined });
  assert.deepEqual([plain.tokens, windows(plain).every((w) => !w.bos)], [300, true]);
  // --max-tokens 200 with 10 tokens before: 190 tokens = 127 + 63 (+ the second window's BOS)
  const capped = await cutDocument(asTokens(ids), { ...opts, maxTokens: 200, tokensBefore: 10 });
  assert.deepEqual(
    windows(capped).map((w) => w.ids.length),
    [128, 64],
  );
  assert.equal(capped.tokens, 190);
  const resumed = await cutDocument(asTokens(ids), { ...opts, maxTokens: 200, tokensBefore: 10 + 127, doneWindows: 1 });
  assert.deepEqual([resumed.hash, windows(resumed, 1)], [capped.hash, windows(capped, 1)]);
  // a last window holding only a BOS is dropped; a document of a BOS alone is empty
  assert.equal((await cutDocument(asTokens([...ids.slice(0, 256), BOS]), opts)).count, 2);
  assert.equal((await cutDocument(asTokens([BOS]), opts)).count, 0);
});
