// Writes tokens.parquet: a pre-tokenized corpus as SAELens / HF datasets ship one (columns id +
// input_ids, a 3-level LIST<INT64> as pyarrow writes Python ints, snappy, row groups of 2), tokenized with
// the demo model's tokenizer, BOS (4095) first in every row, one empty row. Written with
// hyparquet-writer 0.17.0, which the project does not depend on:
// `npm i --no-save hyparquet-writer && node make-tokens-parquet.mjs tokens.parquet`.
import fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { parquetWriteFile } from 'hyparquet-writer';

const demo = new URL('../../../../resources/demo/model', import.meta.url);
const json = (name) => JSON.parse(fs.readFileSync(new URL(name, demo), 'utf8'));
const tokenizer = new Tokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
const BOS = 4095;
const docs = [
  'The quick brown fox jumps over the lazy dog.',
  'Parquet files store columns in row groups.',
  '',
  'Sparse autoencoders find interpretable features in language models.',
  'Rain in spring; snow in winter.',
  'Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 unicode text \u2713.',
  'The last document of the fixture file.',
];
const rows = docs.map((d) => (d ? [BOS, ...tokenizer.encode(d, { add_special_tokens: false }).ids] : []).map(BigInt));
parquetWriteFile({
  filename: process.argv[2],
  columnData: [
    { name: 'id', data: docs.map((_, i) => i) },
    { name: 'input_ids', data: rows },
  ],
  schema: [
    { name: 'schema', num_children: 2 },
    { name: 'id', type: 'INT32', repetition_type: 'OPTIONAL' },
    { name: 'input_ids', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
  ],
  rowGroupSize: 2,
});
