import path from 'node:path';
import { createCore } from '../../core/host/core.ts';
import { PROMPT_VERSION } from '../../core/host/cli.ts';
import {
  defaultAutointerpSettings,
  type AutoExplanation,
  type BalancedScore,
  type ExplainerChoice,
} from '#shared/autointerp-types.ts';
import type { EventData, PayloadInput } from '#shared/contract.ts';
import { formatProgress } from '#shared/format.ts';
import { CliError, dataOption, defineCommand } from '../command.ts';
import { countOption } from './index-options.ts';

const score = (s: BalancedScore | null): string => (s?.balancedAccuracy == null ? '–' : s.balancedAccuracy.toFixed(3));

/** A count flag that is left out when not given (so the request's defaults apply). */
function optionalCount(name: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : countOption(name, value);
}

/** `autointerp`: the `autointerp.start` job from the command line (progress on stderr, results on stdout). */
export const autointerpCommand = defineCommand({
  name: 'autointerp',
  summary: 'Explain and score a set of features as a resumable job (local model or OpenAI-compatible endpoint)',
  usage: '--db INDEX --features 1-100,320|all [--sae PATH] (--endpoint URL --model NAME | --explainer-model DIR) [--json]',
  description: [
    'Runs the same job as the app\'s "Explain" actions (request autointerp.start) in this process: for each feature',
    'an explanation from its top examples and interval samples, then detection and fuzzing scores (balanced',
    'accuracy with the counts behind it). Each step is stored in <data>/annotations.sqlite as it lands (source',
    "`auto`, beside the user's label, never over it); a killed run resumes where it stopped and asks nothing",
    'again that is stored (--redo to ask again). Without an explainer flag, the one saved in Settings is used.',
    'Progress goes to stderr, results to stdout. Nothing leaves the machine unless --endpoint is remote; its key',
    'comes from $SAE_EXPLORER_EXPLAINER_KEY, else the one saved in Settings.',
  ].join('\n'),
  options: {
    db: { type: 'string', valueName: 'FILE', description: 'The activation index.' },
    features: { type: 'string', valueName: 'LIST', description: 'Feature ids and ranges (1-100,320), or "all".' },
    sae: { type: 'string', valueName: 'PATH', description: "The SAE the annotations belong to (default: the index's own)." },
    endpoint: { type: 'string', valueName: 'URL', description: 'OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1.' },
    model: { type: 'string', valueName: 'NAME', description: 'Model name sent to the endpoint.' },
    'explainer-model': { type: 'string', valueName: 'DIR', description: 'A local ONNX causal LM folder (HF layout) as the explainer.' },
    'max-new-tokens': { type: 'string', valueName: 'N', description: 'Tokens a local explainer writes at most per answer (default 128).' },
    top: { type: 'string', valueName: 'N', description: `Top examples shown (default ${defaultAutointerpSettings.topExamples}).` },
    intervals: {
      type: 'string',
      valueName: 'N',
      description: `Interval samples shown (default ${defaultAutointerpSettings.intervalExamples}).`,
    },
    'score-examples': {
      type: 'string',
      valueName: 'N',
      description: `Activating contexts per score round (default ${defaultAutointerpSettings.scoreExamples}).`,
    },
    context: { type: 'string', valueName: 'N', description: `Tokens each side (default ${defaultAutointerpSettings.context}).` },
    seed: { type: 'string', valueName: 'N', description: 'Seed of every sample and shuffle (default 0).' },
    concurrency: { type: 'string', valueName: 'N', description: 'Features in flight at once (default 4 for an endpoint, 1 locally).' },
    'no-score': { type: 'boolean', description: 'Explain only.' },
    redo: { type: 'boolean', description: 'Explain again what is already stored.' },
    data: dataOption,
  },
  json: true,
  async run({ values, io }) {
    if (!values.db) throw new CliError('--db FILE is required', 2);
    if (!values.features) throw new CliError('--features is required (e.g. 1-100,320 or all)', 2);
    if (values.endpoint && values['explainer-model'])
      throw new CliError('give one explainer: --endpoint URL --model NAME, or --explainer-model DIR', 2);
    if (values.endpoint && !values.model) throw new CliError('--endpoint needs --model NAME', 2);
    if (values.model && !values.endpoint) throw new CliError('--model goes with --endpoint URL', 2);
    const concurrency = optionalCount('concurrency', values.concurrency);
    if (concurrency === 0) throw new CliError('--concurrency must be at least 1', 2);
    const maxNewTokens = optionalCount('max-new-tokens', values['max-new-tokens']);
    const explainer: ExplainerChoice | undefined = values['explainer-model']
      ? { onnxModel: path.resolve(values['explainer-model']), ...(maxNewTokens ? { maxNewTokens } : {}) }
      : values.endpoint
        ? { endpoint: values.endpoint, model: values.model!, ...(concurrency ? { concurrency } : {}) }
        : undefined;
    const spec = values.features.trim();
    const payload = {
      db: path.resolve(values.db),
      features: spec === 'all' ? 'all' : spec,
      ...(values.sae ? { sae: path.resolve(values.sae) } : {}),
      ...(explainer ? { explainer } : {}),
      ...(concurrency ? { concurrency } : {}),
      topExamples: optionalCount('top', values.top),
      intervalExamples: optionalCount('intervals', values.intervals),
      scoreExamples: optionalCount('score-examples', values['score-examples']),
      context: optionalCount('context', values.context),
      seed: optionalCount('seed', values.seed),
      score: !values['no-score'],
      redo: values.redo ?? false,
    } satisfies PayloadInput<'autointerp.start'>;

    const core = createCore({ host: 'cli', data: { flag: values.data } });
    const steps: EventData<'autointerp.result'>[] = [];
    const offs = [
      core.bus.on('autointerp.result', (r) => {
        steps.push(r);
        const e = r.explanation;
        if (r.stage === 'failed') io.stderr(`feature ${r.feature}: failed: ${r.error ?? ''}\n`);
        else if (r.done && e)
          io.stderr(`feature ${r.feature}: ${e.description}  (detection ${score(e.detection)}, fuzzing ${score(e.fuzzing)})\n`);
      }),
      core.bus.on('job.progress', (p) => io.stderr(`${formatProgress(p, { unit: 'features', rateDigits: 2 })}\n`)),
      core.bus.on('log', (l) => {
        if (l.source?.startsWith('autointerp-') && l.level !== 'debug') io.stderr(`${l.message}\n`);
      }),
    ];
    try {
      const started = await core.request('autointerp.start', payload);
      if (!started.ok) throw new CliError(started.error.message, started.error.code === 'bad_request' ? 2 : 1);
      const { job } = started.value;
      const cancel = (): void => void core.jobs.cancel(job);
      io.signal.addEventListener('abort', cancel, { once: true });
      const end = await core.jobs.wait(job);
      io.signal.removeEventListener('abort', cancel);
      if (end.state === 'cancelled') throw new CliError('cancelled: what was stored stays, a rerun resumes', 130);
      if (end.state === 'failed') throw new CliError(end.error ?? 'the job failed', 1);
      const mine = steps.filter((s) => s.job === job);
      const explained = mine
        .filter((s) => s.done && s.stage !== 'failed' && s.explanation)
        .map((s) => s.explanation!)
        .sort((a, b) => a.feature - b.feature) satisfies AutoExplanation[];
      const failed = mine
        .filter((s) => s.stage === 'failed')
        .map((s) => ({ feature: s.feature, error: s.error ?? '' }))
        .sort((a, b) => a.feature - b.feature);
      const { sae, explainer: model, features, stored } = started.value;
      const text = [
        ...explained.map((r) => `${r.feature}\t${score(r.detection)}\t${score(r.fuzzing)}\t${r.description}`),
        `${explained.length} explained, ${stored} already stored, ${failed.length} failed of ${features} (explainer ${model}, ${PROMPT_VERSION})`,
      ].join('\n');
      return {
        data: { job, explainer: model, promptVersion: PROMPT_VERSION, sae, features, skipped: stored, explained, failed },
        text,
      };
    } finally {
      for (const off of offs) off();
      await core.close();
    }
  },
});
