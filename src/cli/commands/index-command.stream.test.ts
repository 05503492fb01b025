/**
 * The index command on huge single-line documents and pre-tokenized corpora, through the real
 * CLI: `--max-tokens` bounds memory (peak RSS of the child process, taken from getrusage by a
 * preloaded exit hook) and the pre-tokenized path takes ids as given.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { graphCacheDir } from '../../core/kernel/data-dir.ts';
import { decodeTokens } from '../../core/index/codec.ts';
import { openCorpus } from '../../core/index/corpus.ts';
import { IndexReader } from '../../core/index/reader.ts';
import { dumpIndex } from '#testing/index/test-support.ts';
import { Engine } from '../../core/model/engine.ts';
import { TextTokenizer } from '../../core/model/tokenizer.ts';
import { runCliCaptured as cli } from '#testing/cli/testing.ts';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const model = path.join(repo, 'resources/demo/model');
const sae = path.join(repo, 'resources/demo/sae');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-index-stream-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const data = path.join(tmp, 'data');
const MiB = 1 << 20;

const json = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(model, f), 'utf8')) as Record<string, unknown>;
const tokenizer = new TextTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), json('config.json'));

/** The demo corpus's documents on one line, repeated until `bytes` long. */
function oneLine(bytes: number): string {
  const docs = fs
    .readFileSync(path.join(repo, 'resources/demo/corpus.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { text: string }).text.replace(/\s+/g, ' '));
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const d = docs[i % docs.length]!;
    parts.push(d);
    size += Buffer.byteLength(d) + 1;
  }
  return parts.join(' ');
}

/**
 * Peak RSS of each Node process, written to `$MAX_RSS_FILE.<pid>` when it exits (preloaded
 * through NODE_OPTIONS, so it reaches the child the bin starts as well as the bin itself).
 */
const hook = path.join(tmp, 'max-rss.mjs');
fs.writeFileSync(
  hook,
  "import fs from 'node:fs';\nprocess.on('exit', () => fs.writeFileSync(`${process.env.MAX_RSS_FILE}.${process.pid}`, String(process.resourceUsage().maxRSS)));\n",
);

interface ChildRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  /** Peak resident set size in MiB. */
  readonly maxRss: number;
  readonly seconds: number;
}

/** `sae-explorer index ... --max-tokens 2000` through the package bin, as a user runs it. */
function indexInChild(corpus: string, db: string): Promise<ChildRun> {
  const rssFile = `${db}.maxrss`;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.join(repo, 'bin/sae-explorer.mjs'),
      'index',
      '--model',
      model,
      '--sae',
      sae,
      '--corpus',
      corpus,
      '--db',
      db,
      '--max-tokens',
      '2000',
      '--data',
      data,
      '--json',
    ],
    {
      cwd: repo,
      env: { ...process.env, MAX_RSS_FILE: rssFile, NODE_OPTIONS: `--import ${pathToFileURL(hook).href}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      // the largest process: the bin's child running the CLI (the bin itself waits in ~45 MB)
      const dir = path.dirname(rssFile);
      const kib = fs
        .readdirSync(dir)
        .filter((f) => f.startsWith(`${path.basename(rssFile)}.`))
        .map((f) => Number(fs.readFileSync(path.join(dir, f), 'utf8')));
      assert.ok(kib.length >= 2, 'the bin and the CLI it runs both reported');
      resolve({ code, out, err, maxRss: Math.max(...kib) / 1024, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const text = oneLine(10 * MiB);
let reference: ChildRun;
const referenceDb = path.join(tmp, 'reference.sqlite');

before(async () => {
  // the spliced graphs are built once per data folder: build them here so no run below pays for it
  const engine = await Engine.open({ model, sae, cacheDir: graphCacheDir(data), provider: 'cpu' });
  await engine.close();
  // the same text cut to 64 KB (plenty for 2,000 tokens): what indexing 2,000 tokens costs anyway
  const small = path.join(tmp, 'small.jsonl');
  fs.writeFileSync(small, `${JSON.stringify({ text: text.slice(0, 64 * 1024) })}\n`);
  reference = await indexInChild(small, referenceDb);
  assert.equal(reference.code, 0, reference.err);
});

for (const kind of ['jsonl', 'txt'] as const) {
  test(`a 10 MB single-line .${kind} document to --max-tokens 2000: peak RSS as for a 64 KB one, exactly 2,000 tokens indexed`, async (t) => {
    const corpus = path.join(tmp, `huge.${kind}`);
    fs.writeFileSync(corpus, kind === 'jsonl' ? `${JSON.stringify({ text })}\n` : text);
    assert.ok(fs.statSync(corpus).size >= 10 * MiB);
    const db = path.join(tmp, `huge-${kind}.sqlite`);
    const run = await indexInChild(corpus, db);
    assert.equal(run.code, 0, run.err);
    t.diagnostic(
      `peak RSS ${run.maxRss.toFixed(0)} MiB in ${run.seconds.toFixed(1)} s (64 KB document: ${reference.maxRss.toFixed(0)} MiB in ${reference.seconds.toFixed(1)} s)`,
    );
    // before streaming, this document cost ~720 MiB, ~480 MiB over the 64 KB one (the whole line
    // decoded, parsed and tokenized); the margin covers GC timing on a loaded machine
    assert.ok(
      run.maxRss < reference.maxRss + 64,
      `peak RSS ${run.maxRss.toFixed(0)} MiB, with a 64 KB document ${reference.maxRss.toFixed(0)} MiB`,
    );
    // issue #14's bound, for the CLI as shipped (bundled, run by the bin; ~140 MiB measured)
    assert.ok(run.maxRss < 150, `peak RSS ${run.maxRss.toFixed(0)} MiB, over 150 MiB`);
    const out = JSON.parse(run.out) as { tokens: number; documents: number };
    assert.deepEqual([out.tokens, out.documents], [2000, 1]);
    const r = new IndexReader(db);
    try {
      assert.equal(r.progress.tokens, 2000);
      const windows = r.db.prepare('select bos, tokens from windows order by id').all() as { bos: number; tokens: Buffer }[];
      const ids = windows.flatMap((w) => decodeTokens(w.tokens).slice(w.bos));
      // the same 2,000 tokens as the whole text's first 2,000
      assert.deepEqual(ids, tokenizer.encode(text.slice(0, 64 * 1024)).slice(0, 2000));
    } finally {
      r.close();
    }
    const { documents: _d, ...same } = dumpIndex(db) as Record<string, unknown>;
    const { documents: _r, ...expected } = dumpIndex(referenceDb) as Record<string, unknown>;
    void _d;
    void _r;
    assert.deepEqual(same, expected, 'the same index as the 64 KB document gives');
  });
}

test('index --token-column reads token ids as given; ids of another vocabulary are one error line naming file, row, id and size', async () => {
  const parquet = fileURLToPath(new URL('../../core/index/testdata/tokens.parquet', import.meta.url));
  const args = ['index', '--model', model, '--sae', sae, '--data', data, '--context', '32', '--json'];
  const ok = await cli(...args, '--corpus', parquet, '--token-column', 'input_ids', '--db', path.join(tmp, 'ids.sqlite'));
  assert.equal(ok.code, 0, ok.err);
  const out = JSON.parse(ok.out) as { tokens: number; documents: number };
  const rows: number[][] = [];
  for await (const r of openCorpus(parquet).records()) {
    const ids: number[] = [];
    if (r.kind === 'tokens') for await (const slice of r.chunks()) ids.push(...slice);
    rows.push(ids);
  }
  assert.deepEqual(
    [out.tokens, out.documents],
    [rows.reduce((n, ids) => n + Math.max(0, ids.length - 1), 0), rows.filter((ids) => ids.length).length],
    'every id but each row’s leading BOS; the empty row is no document',
  );

  const jsonl = path.join(tmp, 'gpt2-ids.jsonl');
  fs.writeFileSync(jsonl, `${JSON.stringify({ input_ids: [464, 2068, 586] })}\n${JSON.stringify({ input_ids: [464, 50256] })}\n`);
  const refused = await cli(...args, '--corpus', jsonl, '--db', path.join(tmp, 'gpt2.sqlite'));
  // a problem in the file, not in the command line: exit 1 (2 is for usage errors)
  assert.deepEqual(refused, {
    code: 1,
    out: '',
    err: `error: ${jsonl}:2: token id 50256 ("input_ids"[1]) is not below the model's vocabulary size 4096 (tokenized for another vocabulary?)\n`,
  });
  const both = await cli(
    ...args,
    '--corpus',
    jsonl,
    '--db',
    path.join(tmp, 'both.sqlite'),
    '--text-field',
    'text',
    '--token-column',
    'input_ids',
  );
  assert.equal(both.code, 2);
  assert.match(both.err, /^error: --text-field and --token-column exclude each other/);
  const help = await cli('index', '--help');
  assert.match(help.out, /--token-column C/);
  assert.match(help.out, /Pre-tokenized corpora/);
});
