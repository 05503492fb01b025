import path from 'node:path';
import { AnnotationStore } from '../../core/annotations/store.ts';
import { saeHash } from '../../core/annotations/identity.ts';
import { graphCacheDir, resolveDataDir } from '../../core/app/data-dir.ts';
import { explainFeature } from '../../core/autointerp/explain.ts';
import type { Explainer } from '../../core/autointerp/explainer.ts';
import { Limiter } from '../../core/autointerp/limit.ts';
import { OnnxExplainer } from '../../core/autointerp/onnx.ts';
import { OpenAiExplainer } from '../../core/autointerp/openai.ts';
import { PROMPT_VERSION } from '../../core/autointerp/prompts.ts';
import { explainerApiKey, readAutointerpSettings } from '../../core/autointerp/settings-file.ts';
import { hasAutoExplanation, saveAutoExplanation } from '../../core/autointerp/store.ts';
import { IndexReader } from '../../core/index/reader.ts';
import {
  defaultAutointerpSettings,
  type AutoExplanation,
  type AutointerpSettings,
  type BalancedScore,
} from '../../shared/autointerp-types.ts';
import { CliError, dataOption, defineCommand } from '../command.ts';
import { cliErrors, countOption } from './index-options.ts';

/** `--features 1-20,33`: the feature ids, in order, each once; a bad spec is a clear error. */
export function featureList(spec: string | undefined, dSae: number): number[] {
  if (!spec) throw new CliError('--features is required (e.g. 1-20,33)', 2);
  const out = new Set<number>();
  for (const part of spec.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CliError(`--features takes ids and ranges like 1-20,33, got "${part}"`, 2);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new CliError(`--features range ${part} runs backwards`, 2);
    if (b >= dSae) throw new CliError(`--features ${part}: this SAE has features 0–${dSae - 1}`, 2);
    if (b - a > 100_000) throw new CliError(`--features range ${part} is too long`, 2);
    for (let f = a; f <= b; f++) out.add(f);
  }
  return [...out];
}

const score = (s: BalancedScore | null): string => (s?.balancedAccuracy == null ? '–' : s.balancedAccuracy.toFixed(3));

/** `explain`: automatic explanations of features from an index, scored, stored as `auto` annotations. */
export const explainCommand = defineCommand({
  name: 'explain',
  summary: 'Explain features from their examples with a local model or an OpenAI-compatible endpoint, scored',
  usage: '--db INDEX --features 1-20,33 (--endpoint URL --model NAME | --onnx DIR) [--json]',
  description: [
    'For each feature: its top examples and interval samples (activating tokens <<marked>>, activations 0–10) go',
    'to the explainer, which writes a short explanation; then detection and fuzzing scores (balanced accuracy',
    'with the counts behind it). Results are stored in the annotations database as source `auto`, beside the',
    "user's own label (never over it). Features already explained by the same model and prompt version are",
    'skipped (a killed run resumes) unless --redo. Nothing leaves the machine unless --endpoint is remote.',
    `The API key: $SAE_EXPLORER_EXPLAINER_KEY, else the one saved in <data>/autointerp.json (mode 0600).`,
  ].join('\n'),
  options: {
    db: { type: 'string', valueName: 'FILE', description: 'The activation index.' },
    features: { type: 'string', valueName: 'LIST', description: 'Feature ids and ranges, e.g. 1-20,33.' },
    endpoint: { type: 'string', valueName: 'URL', description: 'OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1.' },
    model: { type: 'string', valueName: 'NAME', description: 'Model name sent to the endpoint.' },
    onnx: { type: 'string', valueName: 'DIR', description: 'A local ONNX causal LM folder (HF layout) as the explainer.' },
    annotations: { type: 'string', valueName: 'FILE', description: 'Annotations database (default <data>/annotations.sqlite).' },
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
    concurrency: { type: 'string', valueName: 'N', description: 'Endpoint requests in flight at once (default 4).' },
    timeout: { type: 'string', valueName: 'S', description: 'Seconds per endpoint request (default 120).' },
    'no-score': { type: 'boolean', description: 'Explain only.' },
    redo: { type: 'boolean', description: 'Explain again what is already stored.' },
    data: dataOption,
  },
  json: true,
  async run({ values, io }) {
    if (!values.db) throw new CliError('--db FILE is required', 2);
    const dataDir = resolveDataDir({ flag: values.data }).dir;
    // flags win; without either, the explainer saved in <data>/autointerp.json (Settings)
    const saved = readAutointerpSettings(dataDir);
    const flagged = !!values.endpoint || !!values.onnx;
    const endpoint = flagged ? values.endpoint : saved.endpoint;
    const onnx = flagged ? values.onnx : saved.onnxModel;
    const model = values.model ?? saved.model;
    if (!!endpoint === !!onnx) throw new CliError('give one explainer: --endpoint URL --model NAME, or --onnx DIR', 2);
    if (endpoint && !model) throw new CliError('--endpoint needs --model NAME', 2);
    const settings: AutointerpSettings = {
      topExamples: countOption('top', values.top, defaultAutointerpSettings.topExamples),
      intervalExamples: countOption('intervals', values.intervals, defaultAutointerpSettings.intervalExamples),
      scoreExamples: countOption('score-examples', values['score-examples'], defaultAutointerpSettings.scoreExamples),
      context: countOption('context', values.context, defaultAutointerpSettings.context),
      seed: countOption('seed', values.seed, defaultAutointerpSettings.seed),
    };
    const reader = await cliErrors(() => new IndexReader(path.resolve(values.db!)));
    let explainer: Explainer | undefined;
    const store = new AnnotationStore(path.resolve(values.annotations ?? path.join(dataDir, 'annotations.sqlite')));
    try {
      return await cliErrors(() => run());
    } finally {
      explainer?.close?.();
      store.close();
      reader.close();
    }
    async function run(): Promise<{ data: unknown; text: string }> {
      const features = featureList(values.features, reader.settings.dSae);
      const concurrency = Math.max(1, countOption('concurrency', values.concurrency, 4));
      const sae = saeHash(reader.settings.sae, graphCacheDir(dataDir));
      explainer = onnx
        ? await OnnxExplainer.open(path.resolve(onnx))
        : new OpenAiExplainer({
            endpoint: endpoint!,
            model: model!,
            apiKey: explainerApiKey(dataDir),
            concurrency,
            timeoutMs: countOption('timeout', values.timeout, 120) * 1000,
          });
      const x = explainer;
      const done: AutoExplanation[] = [];
      const failed: { feature: number; error: string }[] = [];
      let skipped = 0;
      // features in flight at once: as many as requests may be (each feature's rounds run in turn)
      const perFeature = new Limiter(onnx ? 1 : concurrency);
      await Promise.all(
        features.map((f) =>
          perFeature.run(async () => {
            if (io.signal.aborted) return; // interrupted: what is stored stays, a rerun resumes
            if (!values.redo && hasAutoExplanation(store.db, sae, f, x.model, PROMPT_VERSION)) {
              skipped++;
              return;
            }
            try {
              const r = await explainFeature(reader, x, f, settings, { score: !values['no-score'], signal: io.signal });
              saveAutoExplanation(store.db, sae, r);
              done.push(r);
              io.stderr(`feature ${f}: ${r.description}  (detection ${score(r.detection)}, fuzzing ${score(r.fuzzing)})\n`);
            } catch (e) {
              failed.push({ feature: f, error: (e as Error).message });
              io.stderr(`feature ${f}: failed: ${(e as Error).message}\n`);
            }
          }),
        ),
      );
      done.sort((a, b) => a.feature - b.feature);
      failed.sort((a, b) => a.feature - b.feature);
      if (failed.length && !done.length && !skipped) throw new CliError(`every feature failed; first: ${failed[0]!.error}`, 1);
      const text = [
        ...done.map((r) => `${r.feature}\t${score(r.detection)}\t${score(r.fuzzing)}\t${r.description}`),
        `${done.length} explained, ${skipped} already stored, ${failed.length} failed (explainer ${x.model}, ${PROMPT_VERSION})`,
      ].join('\n');
      return { data: { explainer: x.model, promptVersion: PROMPT_VERSION, sae, explained: done, skipped, failed }, text };
    }
  },
});
