// Writes docs.parquet (3 snappy row groups, columns id + content) with hyparquet-writer 0.17.0,
// which the project does not depend on: `npm i --no-save hyparquet-writer && node make-docs-parquet.mjs docs.parquet`.
import { parquetWriteFile } from 'hyparquet-writer';
const docs = [
  'The quick brown fox jumps over the lazy dog.',
  'Parquet files store columns in row groups.',
  '',
  'Sparse autoencoders find interpretable features in language models.',
  'Rain in spring; snow in winter.',
  'A short one.',
  'Numbers: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.',
  'Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 unicode text \u2713.',
  'The last document of the fixture file.',
];
parquetWriteFile({
  filename: process.argv[2],
  columnData: [
    { name: 'id', data: docs.map((_, i) => i), type: 'INT32' },
    { name: 'content', data: docs, type: 'STRING' },
  ],
  rowGroupSize: 4,
});
