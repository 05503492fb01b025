import fs from 'node:fs';
import path from 'node:path';
import { pyJsonDumps, pyObj, type PyJson } from './py-json.ts';

/** GPT-2's byte → printable-character table (the byte-level BPE alphabet). */
export function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i]!)]));
}

/** tokenizer.json of a byte-level BPE with no merges: token id = UTF-8 byte (as refgen.py writes it). */
export function byteLevelTokenizerJson(): string {
  const b2u = bytesToUnicode();
  const vocab = pyObj(Array.from({ length: 256 }, (_, b) => [b2u.get(b)!, b] as const));
  const byteLevel = (prefix: boolean, trim: boolean): PyJson =>
    pyObj([
      ['type', 'ByteLevel'],
      ['add_prefix_space', prefix],
      ['trim_offsets', trim],
      ['use_regex', true],
    ]);
  const tok = pyObj([
    ['version', '1.0'],
    ['truncation', null],
    ['padding', null],
    ['added_tokens', []],
    ['normalizer', null],
    ['pre_tokenizer', byteLevel(false, true)],
    ['post_processor', byteLevel(true, false)],
    ['decoder', byteLevel(true, true)],
    [
      'model',
      pyObj([
        ['type', 'BPE'],
        ['dropout', null],
        ['unk_token', null],
        ['continuing_subword_prefix', ''],
        ['end_of_word_suffix', ''],
        ['fuse_unk', false],
        ['byte_fallback', false],
        ['vocab', vocab],
        ['merges', []],
      ]),
    ],
  ]);
  return pyJsonDumps(tok);
}

/** Writes tokenizer.json and tokenizer_config.json (byte-level, id = UTF-8 byte) into `dir`. */
export function writeByteTokenizer(dir: string, modelMaxLength = 128): void {
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), byteLevelTokenizerJson());
  const cfg = pyObj([
    ['model_max_length', modelMaxLength],
    ['tokenizer_class', 'GPT2Tokenizer'],
  ]);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), pyJsonDumps(cfg));
}
