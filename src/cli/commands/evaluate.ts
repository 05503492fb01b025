import path from 'node:path';
import { resolveDataDir } from '../../core/app/data-dir.ts';
import { DEFAULT_CONTEXT } from '../../core/health/evaluate.ts';
import { metricsText } from '../../core/health/report.ts';
import { HealthStore, healthDbFile } from '../../core/health/store.ts';
import { startHealthWorker } from '../../core/health/worker-client.ts';
import { DEFAULT_EVAL_TOKENS, healthEvaluatePayload } from '../../shared/health-types.ts';
import { CliError, defineCommand } from '../command.ts';
import { engineOptions, engineSpec, positiveInt } from './engine-options.ts';
import { cliErrors } from './index-options.ts';
import { numberField, parseOptions, textField } from '../schema-options.ts';

/** `evaluate`: Compute SAE health metrics (L0, variance explained, CE loss recovered, ...) on a corpus. */
export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'Compute SAE health metrics (L0, variance explained, CE loss recovered, ...) on a corpus',
  usage: '--model DIR --sae PATH [--hook NAME] --corpus PATH [--max-tokens N] [--context 128] [--text-field F] [--json]',
  description: [
    'Cuts the corpus into the windows the index uses (--context tokens, BOS first when the SAE cfg sets',
    'prepend_bos) and runs each batch through the capture graph and the untouched, SAE-replaced and',
    'zero-ablated models. Metrics follow SAELens: BOS counts in no metric and keeps its clean activation',
    'in the SAE and zero-ablated runs alike; variance explained is batch-wise (1 − Σ‖x − x̂‖² / Σ‖x − mean‖²);',
    'MSE is per element; CE loss recovered = (zero − SAE) / (zero − clean). The report is also stored in the',
    `data folder (health.sqlite), where the app's Health screen finds it. Default --max-tokens ${DEFAULT_EVAL_TOKENS}.`,
  ].join('\n'),
  options: {
    ...engineOptions,
    corpus: { type: 'string', valueName: 'PATH', description: 'Corpus file or folder (.jsonl, .txt/.md, .parquet).' },
    'text-field': { type: 'string', valueName: 'F', description: 'JSONL / Parquet field holding the text (default text).' },
    'max-tokens': { type: 'string', valueName: 'N', description: `Tokens to evaluate on (default ${DEFAULT_EVAL_TOKENS}).` },
    context: { type: 'string', valueName: 'N', description: `Window length in tokens, BOS included (default ${DEFAULT_CONTEXT}).` },
    batch: { type: 'string', valueName: 'N', description: 'Windows per batch (default: by context and vocabulary size).' },
    progress: { type: 'boolean', description: 'Print progress to stderr.' },
  },
  json: true,
  async run({ values, io }) {
    if (!values.corpus) throw new CliError('--corpus PATH is required', 2);
    const corpus = path.resolve(values.corpus);
    // checked by health.evaluate's own schema, as the API checks them
    const p = parseOptions(
      healthEvaluatePayload,
      {
        maxTokens: numberField('max-tokens', values['max-tokens']),
        context: numberField('context', values.context),
        textField: textField('text-field', values['text-field']),
      },
      { corpus },
    );
    const maxTokens = p.maxTokens ?? DEFAULT_EVAL_TOKENS;
    const context = p.context ?? DEFAULT_CONTEXT;
    const batch = values.batch === undefined ? undefined : positiveInt('batch', values.batch, 1);
    const spec = engineSpec(values);
    // the same worker as the app's health.evaluate (src/core/health/worker.ts)
    const handle = startHealthWorker(
      { engine: spec, options: { corpus, maxTokens, context, batch, textField: values['text-field'] } },
      {
        log: (level, m) => io.stderr(`${level}: ${m}\n`),
        progress: (done, total) => {
          if (values.progress) io.stderr(`evaluate ${done}${total === null ? '' : ` / ${total}`} tokens\n`);
        },
      },
    );
    const stop = (): void => handle.cancel();
    io.signal.addEventListener('abort', stop);
    let done;
    try {
      done = await cliErrors(() => handle.result);
    } finally {
      io.signal.removeEventListener('abort', stop);
    }
    const report = {
      ...done.outcome,
      model: spec.model,
      sae: spec.sae,
      hook: done.hook,
      corpus,
      architecture: done.architecture,
      density_source: 'evaluation' as const,
      provider: done.provider,
      created_at: Date.now(),
    };
    const store = new HealthStore(healthDbFile(resolveDataDir({ flag: values.data }).dir));
    let stored;
    try {
      stored = store.put(report);
    } finally {
      store.close();
    }
    const text = [
      `${path.basename(report.sae)} at ${report.hook} on ${path.basename(corpus)} (${report.provider}, ${report.seconds}s)`,
      metricsText(report),
    ].join('\n');
    return { data: stored, text };
  },
});
