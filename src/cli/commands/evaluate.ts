import path from 'node:path';
import { DEFAULT_EVAL_CONTEXT } from '../../core/host/cli.ts';
import { DEFAULT_EVAL_TOKENS, healthEvaluatePayload } from '#shared/health-types.ts';
import { CliError, defineCommand } from '../command.ts';
import { cliErrors, withCore } from '../core.ts';
import { engineChoice, engineOptions, positiveInt } from './engine-options.ts';
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
    context: { type: 'string', valueName: 'N', description: `Window length in tokens, BOS included (default ${DEFAULT_EVAL_CONTEXT}).` },
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
    const batch = values.batch === undefined ? undefined : positiveInt('batch', values.batch, 1);
    const choice = engineChoice(values);
    return withCore(
      values.data,
      async (core) => {
        // the same worker as the app's health.evaluate; the report is stored in health.sqlite
        const report = await cliErrors(() =>
          core.health.evaluateOn(
            core.model.spec(choice),
            { corpus, maxTokens, context: p.context ?? DEFAULT_EVAL_CONTEXT, batch, textField: values['text-field'] },
            {
              signal: io.signal,
              log: (level, m) => io.stderr(`${level}: ${m}\n`),
              progress: (done, total) => {
                if (values.progress) io.stderr(`evaluate ${done}${total === null ? '' : ` / ${total}`} tokens\n`);
              },
            },
          ),
        );
        const text = [
          `${path.basename(report.sae)} at ${report.hook} on ${path.basename(corpus)} (${report.provider}, ${report.seconds}s)`,
          core.health.reportText(report),
        ].join('\n');
        return { data: report, text };
      },
      { create: true },
    );
  },
});
