/**
 * Evaluation on pre-tokenized corpora (demo model and SAE, which prepends BOS): the same
 * figures as on the text the rows decode to, and windows without a leading BOS count every
 * position.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openCorpus } from '../index/corpus.ts';
import { demoEngineForTests } from '#testing/demo-engine.ts';
import { evaluateSae, type EvaluationOutcome } from './evaluate.ts';

const { engine: demoEngine, tmp } = demoEngineForTests('eval-tokens-');
const tokensParquet = fileURLToPath(new URL('../index/testdata/tokens.parquet', import.meta.url));

const figures = ({ seconds: _s, ...rest }: EvaluationOutcome): Omit<EvaluationOutcome, 'seconds'> => rest;

test('a pre-tokenized Parquet corpus evaluates to the figures of the text its rows decode to', async () => {
  const lines: string[] = [];
  for await (const r of openCorpus(tokensParquet).records()) {
    if (r.kind !== 'tokens') assert.fail(`${r.source} is not token ids`);
    const ids: number[] = [];
    for await (const s of r.chunks()) ids.push(...s);
    lines.push(JSON.stringify({ text: ids.length > 1 ? demoEngine().tokenizer.decode(ids.slice(1)) : '' }));
  }
  const text = path.join(tmp, 'decoded.jsonl');
  fs.writeFileSync(text, lines.join('\n'));
  const fromIds = await evaluateSae(demoEngine(), { corpus: tokensParquet, context: 64 });
  const fromText = await evaluateSae(demoEngine(), { corpus: text, context: 64 });
  assert.ok(fromIds.tokens > 50);
  assert.deepEqual(figures(fromIds), figures(fromText));
});

test('windows of a long row after the first have no BOS: every position of theirs counts', async () => {
  const bos = demoEngine().tokenizer.bosId!;
  const row = [bos, ...demoEngine().tokenizer.encode('The quick brown fox jumps over the lazy dog. '.repeat(30)).slice(0, 200)];
  const corpus = path.join(tmp, 'row.jsonl');
  fs.writeFileSync(corpus, `${JSON.stringify({ tokens: row })}\n`);
  const out = await evaluateSae(demoEngine(), { corpus, context: 64 });
  // windows of 64, 64, 64 and 9 ids: the first's BOS counts nowhere
  assert.equal(out.windows, 4);
  assert.equal(out.tokens, 63 + 64 + 64 + 9);
  assert.equal(out.predictions, 62 + 63 + 63 + 8, 'each window predicts all but its last position');
});
