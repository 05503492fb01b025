import path from 'node:path';
import { graphCacheDir, resolveDataDir } from '../../core/app/data-dir.ts';
import { RateMeter } from '../../core/app/rate-meter.ts';
import { runIndex, type IndexProgress } from '../../core/index/indexer.ts';
import { parseShard, shardFromEnvironment } from '../../core/index/shard.ts';
import { etaSeconds } from '../../shared/format.ts';
import { indexStartPayload } from '../../shared/index-types.ts';
import { CliError, defineCommand } from '../command.ts';
import { engineOptions, positiveInt } from './engine-options.ts';
import { cliErrors } from './index-options.ts';
import { exportIndex } from './index-export.ts';
import { listIndexes } from './workspace-index.ts';
import { numberField, parseOptions, textField } from '../schema-options.ts';

/** `index`: SAE activations over a corpus into an SQLite index (resumable). */
export const indexCommand = defineCommand({
  name: 'index',
  summary: 'Index SAE activations over a corpus into SQLite (resumable)',
  usage:
    '--model DIR --sae PATH [--hook NAME] --corpus PATH [--text-field F | --token-column C] --db FILE [--context 128] [--max-tokens N] [--shard I/N | --shards N|auto] [--json]',
  description: [
    'The corpus is a .jsonl file (one document per line), a .txt/.md file (one document), a Parquet file',
    '(as HuggingFace datasets ship them) or a folder of these. Documents are cut into windows of --context',
    'tokens, each run on its own from position 0 (BOS first when the SAE cfg sets prepend_bos).',
    'Pre-tokenized corpora (SAELens-style: a list of token ids per row, JSONL or Parquet) are read from',
    'the column --token-column names, else from "tokens" or "input_ids" wherever the text field is missing.',
    'Their ids are used as given, no BOS added (SAELens convention); a window starting with the BOS id',
    "counts that position nowhere. Ids outside the model's vocabulary stop the job naming file, row and id.",
    '--max-tokens also bounds reading: of a long document only the prefix it needs is read and tokenized.',
    'Ctrl-C stops after the current batch. Running the same command again on the',
    'same --db resumes from the last committed batch, and a finished index is not redone.',
    'Shards (several machines): --shard I/N indexes the documents whose record ordinal mod N is I (0-based)',
    'into --db, and stops before the statistics; `merge --out INDEX SHARD...` makes the index one run would.',
    '--shards N takes I from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or from SLURM_ARRAY_TASK_ID minus',
    'SLURM_ARRAY_TASK_MIN (Slurm array, one range with step 1; --shards auto: N = SLURM_ARRAY_TASK_COUNT).',
    "`index list [--data DIR]` lists the data folder's indexes instead, marking the app workspace's.",
    '`index export --db FILE --format parquet --out DIR` writes features.parquet (per-feature statistics)',
    'and activations.parquet (feature, document, window, position, token, value) for DuckDB or pandas.',
  ].join('\n'),
  positionals: { min: 0, max: 1 },
  options: {
    ...engineOptions,
    corpus: { type: 'string', valueName: 'PATH', description: 'Corpus file or folder.' },
    'text-field': { type: 'string', valueName: 'F', description: 'JSONL / Parquet field holding the text (default text).' },
    'token-column': {
      type: 'string',
      valueName: 'C',
      description: 'JSONL / Parquet column of token ids (pre-tokenized corpus; default: tokens or input_ids when there is no text).',
    },
    db: { type: 'string', valueName: 'FILE', description: 'The index database to create or resume.' },
    context: { type: 'string', valueName: 'N', description: 'Window length in tokens, BOS included (default 128).' },
    'max-tokens': { type: 'string', valueName: 'N', description: 'Stop after N tokens.' },
    batch: { type: 'string', valueName: 'N', description: 'Windows per committed batch (default 1024 tokens worth).' },
    'max-latents-per-token': {
      type: 'string',
      valueName: 'N',
      description: 'Keep at most N latents per token (reported when it truncates).',
    },
    'on-bad-line': {
      type: 'string',
      valueName: 'skip|stop',
      description: 'A malformed JSONL line: stop with its line number (default) or skip it.',
    },
    'invalid-utf8': {
      type: 'string',
      valueName: 'error|replace',
      description: 'Bytes that are not UTF-8: stop naming file and offset (default) or decode as U+FFFD.',
    },
    seed: { type: 'string', valueName: 'S', description: 'Seed of the interval samples (default 0).' },
    'merge-activations': {
      type: 'string',
      valueName: 'N',
      description: 'Staged activations merged into per-feature chunks at once (memory bound; default 2097152).',
    },
    shard: { type: 'string', valueName: 'I/N', description: 'Index only shard I of N (0-based) of the documents; see merge.' },
    shards: {
      type: 'string',
      valueName: 'N|auto',
      description: "N shards, this one named by the scheduler's environment (Kubernetes Indexed Job, Slurm array).",
    },
    format: { type: 'string', valueName: 'parquet', description: 'index export: the format (parquet).' },
    out: { type: 'string', valueName: 'DIR', description: 'index export: the folder to write into.' },
    progress: { type: 'boolean', description: 'Print progress to stderr (one JSON line per batch with --json).' },
  },
  json: true,
  async run({ values, positionals, json, io }) {
    if (positionals[0] === 'list') return listIndexes(values.data);
    if (positionals[0] === 'export') return exportIndex(values);
    if (positionals[0] !== undefined)
      throw new CliError(`unknown argument "${positionals[0]}" (index takes options, or: index list, index export)`, 2);
    if (!values.model) throw new CliError('--model DIR is required', 2);
    if (!values.sae) throw new CliError('--sae PATH is required', 2);
    if (!values.corpus) throw new CliError('--corpus PATH is required', 2);
    if (!values.db) throw new CliError('--db FILE is required', 2);
    if (values['text-field'] !== undefined && values['token-column'] !== undefined)
      throw new CliError('--text-field and --token-column exclude each other: a corpus is read as text or as token ids', 2);
    // the fields index.start takes, checked by its schema as the API checks them
    const checked = parseOptions(
      indexStartPayload,
      {
        hook: textField('hook', values.hook),
        provider: textField('provider', values.provider),
        textField: textField('text-field', values['text-field']),
        context: numberField('context', values.context),
        batch: numberField('batch', values.batch),
        maxTokens: numberField('max-tokens', values['max-tokens']),
        maxLatentsPerToken: numberField('max-latents-per-token', values['max-latents-per-token']),
        onBadLine: textField('on-bad-line', values['on-bad-line']),
        invalidUtf8: textField('invalid-utf8', values['invalid-utf8']),
        seed: numberField('seed', values.seed),
      },
      {
        model: path.resolve(values.model),
        sae: path.resolve(values.sae),
        corpus: path.resolve(values.corpus),
        db: path.resolve(values.db),
      },
    );
    if (values.shard !== undefined && values.shards !== undefined)
      throw new CliError('--shard and --shards exclude each other: give the shard outright, or let the scheduler name it', 2);
    const shard = await cliErrors(() =>
      values.shard !== undefined ? parseShard(values.shard) : values.shards !== undefined ? shardFromEnvironment(values.shards) : undefined,
    );
    if (shard && checked.maxTokens !== undefined)
      throw new CliError('--max-tokens cannot be split across shards: index a corpus cut to size instead', 2);
    const options = {
      ...checked,
      shard,
      db: path.resolve(values.db),
      cacheDir: graphCacheDir(resolveDataDir({ flag: values.data }).dir),
      tokenColumn: values['token-column'],
      context: checked.context ?? 128,
      onBadLine: checked.onBadLine ?? 'stop',
      invalidUtf8: checked.invalidUtf8 ?? 'error',
      seed: checked.seed ?? 0,
      mergeActivations:
        values['merge-activations'] === undefined ? undefined : positiveInt('merge-activations', values['merge-activations'], 1),
    };
    const meter = new RateMeter();
    const show = (p: IndexProgress): void => {
      if (!values.progress) return;
      const rate = meter.update(p.phase, p.runDone, performance.now());
      const eta = etaSeconds(p.done, p.total, rate);
      if (json) {
        io.stderr(
          `${JSON.stringify({ phase: p.phase, done: p.done, total: p.total, rate: Math.round(rate), eta: eta === null ? null : Math.round(eta), batches: p.batches })}\n`,
        );
      } else {
        const of = p.total === null ? '' : ` / ${p.total}`;
        io.stderr(`${p.phase} ${p.done}${of}  ${rate.toFixed(0)}/s${eta === null ? '' : `  eta ${eta.toFixed(0)}s`}\n`);
      }
    };
    // In-process: the app runs indexing in a worker thread to keep its UI responsive; the CLI
    // has no UI, and a second V8 isolate (with its own TypeScript loader) would double the memory.
    let cancelled = false;
    const stop = (): void => {
      cancelled = true;
    };
    io.signal.addEventListener('abort', stop);
    try {
      const r = await cliErrors(() =>
        runIndex(options, {
          progress: show,
          log: (level, message) => io.stderr(`${level}: ${message}\n`),
          shouldStop: () => cancelled,
        }),
      );
      const data = {
        tokens: r.tokens,
        documents: r.documents,
        windows: r.windows,
        seconds: r.seconds,
        tokens_per_second: r.tokens_per_second,
        activations: r.activations,
        db_bytes: r.db_bytes,
        ...(r.truncated_tokens ? { truncated_tokens: r.truncated_tokens } : {}),
        ...(r.complete ? {} : { complete: false }),
        ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
      };
      if (r.truncated_tokens) io.stderr(`warn: --max-latents-per-token cut the latents of ${r.truncated_tokens} tokens short\n`);
      const s = r.summary;
      const text = [
        r.complete
          ? `indexed ${shard ? `shard ${shard.index}/${shard.count} into ` : ''}${r.db}`
          : `stopped; run the same command again to resume ${r.db}`,
        `${r.tokens} tokens · ${r.documents} documents · ${r.windows} windows · ${r.activations} activations`,
        `${r.seconds}s · ${r.tokens_per_second} tokens/s · ${r.db_bytes} bytes (${r.activations ? (r.db_bytes / r.activations).toFixed(2) : '-'} B/activation)`,
        ...(s ? [`${s.dead} dead features · ${s.dense} dense (density > 0.1) of ${s.features}`] : []),
      ].join('\n');
      return { data, text };
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
  },
});
