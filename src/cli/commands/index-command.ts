import path from 'node:path';
import { RateMeter, type Core, type IndexProgress } from '../../core/host/cli.ts';
import { etaSeconds } from '#shared/format.ts';
import { indexStartPayload } from '#shared/index-types.ts';
import { CliError, defineCommand, type CliIo, type OptionSpecs, type OptionValues } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { indexOutput, indexProgressLine, type CommandOutput } from '../output.ts';
import { engineOptions, positiveInt } from './engine-options.ts';
import { exportIndex } from './index-export.ts';
import { listIndexes } from './workspace-index.ts';
import { numberField, parseOptions, textField } from '../schema-options.ts';

/** The options of `index` (and of `index list` / `index export`). */
const indexOptions = {
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
} as const satisfies OptionSpecs;

/** `index`: SAE activations over a corpus into an SQLite index (resumable), through `core.index`. */
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
  options: indexOptions,
  json: true,
  async run({ values, positionals, json, io }) {
    if (positionals[0] === 'list') return withCore(values.data, listIndexes);
    if (positionals[0] === 'export') return withCore(values.data, (core) => exportIndex(core, values));
    if (positionals[0] !== undefined)
      throw new CliError(`unknown argument "${positionals[0]}" (index takes options, or: index list, index export)`, 2);
    const checked = checkedOptions(values);
    // indexes on this thread through core.index.run (the app runs it as a job in a worker)
    return withCore(values.data, (core) => runIndexCommand(core, values, checked, { json, io }), { create: true });
  },
});

type IndexValues = OptionValues<typeof indexOptions>;

/** The required options, and the fields index.start takes, checked by its schema as the API checks them. */
function checkedOptions(values: IndexValues) {
  if (!values.model) throw new CliError('--model DIR is required', 2);
  if (!values.sae) throw new CliError('--sae PATH is required', 2);
  if (!values.corpus) throw new CliError('--corpus PATH is required', 2);
  if (!values.db) throw new CliError('--db FILE is required', 2);
  if (values['text-field'] !== undefined && values['token-column'] !== undefined)
    throw new CliError('--text-field and --token-column exclude each other: a corpus is read as text or as token ids', 2);
  const db = path.resolve(values.db);
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
      db,
    },
  );
  return { ...checked, db };
}

/** Prints `--progress` lines to stderr (JSON lines with --json), with the rate and eta of this run. */
function progressPrinter(values: IndexValues, json: boolean, io: CliIo): (p: IndexProgress) => void {
  const meter = new RateMeter();
  return (p) => {
    if (!values.progress) return;
    const rate = meter.update(p.phase, p.runDone, performance.now());
    io.stderr(indexProgressLine(p, rate, etaSeconds(p.done, p.total, rate), json));
  };
}

/** Runs the index the options name; Ctrl-C stops after the current batch. */
async function runIndexCommand(
  core: Core,
  values: IndexValues,
  checked: ReturnType<typeof checkedOptions>,
  { json, io }: { json: boolean; io: CliIo },
): Promise<CommandOutput> {
  if (values.shard !== undefined && values.shards !== undefined)
    throw new CliError('--shard and --shards exclude each other: give the shard outright, or let the scheduler name it', 2);
  const shard = await cliErrors(() => core.index.shard(values));
  if (shard && checked.maxTokens !== undefined)
    throw new CliError('--max-tokens cannot be split across shards: index a corpus cut to size instead', 2);
  const options = {
    ...checked,
    shard,
    tokenColumn: values['token-column'],
    context: checked.context ?? 128,
    onBadLine: checked.onBadLine ?? 'stop',
    invalidUtf8: checked.invalidUtf8 ?? 'error',
    seed: checked.seed ?? 0,
    mergeActivations:
      values['merge-activations'] === undefined ? undefined : positiveInt('merge-activations', values['merge-activations'], 1),
  };
  let cancelled = false;
  const stop = (): void => {
    cancelled = true;
  };
  io.signal.addEventListener('abort', stop);
  try {
    const r = await cliErrors(() =>
      core.index.run(options, {
        progress: progressPrinter(values, json, io),
        log: (level, message) => io.stderr(`${level}: ${message}\n`),
        shouldStop: () => cancelled,
      }),
    );
    if (r.truncatedTokens) io.stderr(`warn: --max-latents-per-token cut the latents of ${r.truncatedTokens} tokens short\n`);
    return indexOutput(r, shard);
  } finally {
    io.signal.removeEventListener('abort', stop);
  }
}
