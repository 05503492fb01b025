import path from 'node:path';
import type {
  AutoExplanation,
  AutointerpSettings,
  AutointerpStartResult,
  ExplainerChoice,
  ExplainerSettings,
} from '#shared/autointerp-types.ts';
import { defaultAutointerpSettings } from '#shared/autointerp-types.ts';
import type { Payload } from '#shared/contract.ts';
import { parseFeatureSpec } from '#shared/feature-spec.ts';
import { AppError } from '#shared/reply.ts';
import type { AnnotationService } from '../annotations/service.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { IndexReader } from '../index/reader.ts';
import { planBatch, runBatch } from './batch.ts';
import { explainFeature } from './explain.ts';
import type { Explainer } from './explainer.ts';
import { OnnxExplainer } from './onnx.ts';
import { completionsUrl, OpenAiExplainer } from './openai.ts';
import { API_KEY_ENV, readAutointerpSettings, writeAutointerpSettings, type AutointerpFileSettings } from './settings-file.ts';
import { autoExplanations, saveAutoExplanation } from './store.ts';

/** What the autointerp service is built from. */
export interface AutointerpServiceDeps extends Pick<Kernel, 'data' | 'files' | 'jobs' | 'bus' | 'onClose'> {
  readonly annotations: AnnotationService;
}

/** Automatic interpretation for one core: the saved explainer (kept open while its settings hold), explain, stored results. */
export class AutointerpService {
  #explainer: { key: string; explainer: Promise<Explainer> } | null = null;

  constructor(private readonly core: AutointerpServiceDeps) {
    core.onClose(() => this.#drop());
  }

  #drop(): void {
    const old = this.#explainer;
    this.#explainer = null;
    void old?.explainer.then((x) => x.close?.()).catch(() => undefined);
  }

  /** The saved settings as the UI sees them (no key). */
  settings(): ExplainerSettings {
    const s = readAutointerpSettings(this.core.data.dir);
    return {
      endpoint: s.endpoint ?? null,
      model: s.model ?? null,
      onnxModel: s.onnxModel ?? null,
      keySource: process.env[API_KEY_ENV] ? 'env' : s.apiKey ? 'settings' : 'none',
    };
  }

  /** Saves settings (left-out fields stay, null forgets); an ONNX folder must be inside the granted roots. */
  setSettings(p: Payload<'autointerp.setSettings'>): ExplainerSettings {
    const old = readAutointerpSettings(this.core.data.dir);
    const pick = <K extends keyof AutointerpFileSettings>(k: K, v: string | null | undefined): AutointerpFileSettings[K] =>
      v === undefined ? old[k] : (v ?? undefined);
    const onnxModel = p.onnxModel ? this.core.files.resolveRead(p.onnxModel, 'model') : pick('onnxModel', p.onnxModel);
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries({
      endpoint: pick('endpoint', p.endpoint),
      model: pick('model', p.model),
      onnxModel,
      apiKey: pick('apiKey', p.apiKey),
    })) {
      if (v) next[k] = v;
    }
    if (next['endpoint']) completionsUrl(next['endpoint']); // a bad URL fails here, not at the first explain
    writeAutointerpSettings(this.core.data.dir, next satisfies AutointerpFileSettings);
    this.#drop();
    return this.settings();
  }

  /** The explainer the saved settings name, opened once. */
  explainer(): Promise<Explainer> {
    return this.explainerFor(undefined);
  }

  /** The explainer `choice` names (default: the saved one), kept open while asked for again. */
  explainerFor(choice: ExplainerChoice | undefined): Promise<Explainer> {
    const s = readAutointerpSettings(this.core.data.dir);
    const apiKey = process.env[API_KEY_ENV] || s.apiKey || null;
    let open: () => Promise<Explainer>;
    let key: string;
    if (choice && 'onnxModel' in choice) {
      const dir = this.core.files.resolveRead(choice.onnxModel, 'model');
      const opts = choice.maxNewTokens ? { maxNewTokens: choice.maxNewTokens } : {};
      key = JSON.stringify({ dir, opts });
      open = () => OnnxExplainer.open(dir, opts);
    } else if (choice) {
      const o = { endpoint: choice.endpoint, model: choice.model, apiKey, concurrency: choice.concurrency ?? 4 };
      key = JSON.stringify(o);
      open = () => Promise.resolve(new OpenAiExplainer(o));
    } else if (s.onnxModel) {
      const dir = path.resolve(s.onnxModel);
      key = JSON.stringify({ dir, opts: {} });
      open = () => OnnxExplainer.open(dir);
    } else if (s.endpoint && s.model) {
      const o = { endpoint: s.endpoint, model: s.model, apiKey };
      key = JSON.stringify(o);
      open = () => Promise.resolve(new OpenAiExplainer(o));
    } else throw new AppError('unavailable', 'no explainer is set: choose a local ONNX model or an endpoint in Settings');
    if (this.#explainer?.key !== key) {
      this.#drop();
      const explainer = open();
      explainer.catch(() => (this.#explainer = null));
      this.#explainer = { key, explainer };
    }
    return this.#explainer!.explainer;
  }

  /**
   * Starts explaining and scoring a set of features as a job; answers once it runs. Results
   * are stored step by step and sent as `autointerp.result` events; what is stored is skipped.
   */
  async start(p: Payload<'autointerp.start'>): Promise<AutointerpStartResult> {
    const file = this.core.files.resolveIndex(p.db, 'read');
    const reader = new IndexReader(file);
    let handedOver = false;
    try {
      const dSae = reader.settings.dSae;
      const features =
        p.features === 'all'
          ? Array.from({ length: dSae }, (_, i) => i)
          : typeof p.features === 'string'
            ? parseFeatureSpec(p.features, dSae)
            : [...new Set(p.features)];
      const beyond = features.find((f) => f >= dSae);
      if (beyond !== undefined) throw new AppError('bad_request', `feature ${beyond}: this SAE has features 0–${dSae - 1}`);
      const saePath = p.sae ? this.core.files.resolveRead(p.sae, 'SAE') : reader.settings.sae;
      const sae = this.core.annotations.saeKey(saePath);
      const explainer = await this.explainerFor(p.explainer);
      const score = p.score ?? true;
      const store = this.core.annotations.store();
      const plan = planBatch(store, sae, features, explainer.model, { score, redo: p.redo ?? false });
      const settings = settingsOf(p);
      const local = explainer instanceof OnnxExplainer;
      const concurrency = p.concurrency ?? (local ? 1 : 4);
      const where = local
        ? 'on this machine'
        : `at ${p.explainer && 'endpoint' in p.explainer ? p.explainer.endpoint : 'the saved endpoint'}`;
      const title = `Explain ${features.length === 1 ? `feature ${features[0]}` : `${features.length} features`} of ${path.basename(file)} with ${explainer.model}`;
      const job = this.core.jobs.start(
        'autointerp',
        title,
        async (ctx) => {
          try {
            ctx.log('info', `${plan.todo.length} to do, ${plan.skipped} already stored; explainer ${explainer.model} ${where}`);
            ctx.progress('explain', 0, plan.todo.length);
            const r = await runBatch({ reader, explainer, store, sae }, plan, {
              settings,
              score,
              concurrency,
              signal: ctx.signal,
              onProgress: (n) => ctx.progress('explain', n, plan.todo.length),
              onStep: (step) => this.core.bus.emit('autointerp.result', { job: ctx.id, ...step }),
              ...(p.stream
                ? { onText: (feature: number, text: string) => this.core.bus.emit('autointerp.text', { job: ctx.id, feature, text }) }
                : {}),
            });
            if (r.failed.length && !r.explained.length) {
              throw new AppError('unavailable', `every feature failed; first, feature ${r.failed[0]!.feature}: ${r.failed[0]!.error}`);
            }
            if (r.failed.length)
              ctx.log('warn', `${r.failed.length} feature(s) failed, e.g. ${r.failed[0]!.feature}: ${r.failed[0]!.error}`);
          } finally {
            reader.close();
          }
        },
        { retry: () => this.start(p).then((r) => r.job) },
      );
      handedOver = true;
      return { job: job.id, sae, explainer: explainer.model, features: features.length, stored: plan.skipped };
    } finally {
      if (!handedOver) reader.close();
    }
  }

  /** Explains, scores and stores one feature. */
  async explain(p: Payload<'autointerp.explain'>): Promise<AutoExplanation> {
    const file = this.core.files.resolveIndex(p.db, 'read');
    const explainer = await this.explainer();
    const sae = await this.core.annotations.workspaceSaeKey();
    const store = this.core.annotations.store();
    const reader = new IndexReader(file);
    try {
      return await explainFeature(reader, explainer, p.feature, settingsOf(p), {
        score: p.score ?? true,
        onStep: (e) => {
          saveAutoExplanation(store.db, sae, e);
          store.noteWrite();
        },
      });
    } finally {
      reader.close();
    }
  }

  /** A feature's stored auto explanations. */
  async explanations(feature: number): Promise<AutoExplanation[]> {
    return autoExplanations(this.core.annotations.store().db, await this.core.annotations.workspaceSaeKey(), feature);
  }
}

/** The explain settings of a payload, defaults filled in. */
function settingsOf(p: Payload<'autointerp.explain'> | Payload<'autointerp.start'>): AutointerpSettings {
  return {
    topExamples: p.topExamples ?? defaultAutointerpSettings.topExamples,
    intervalExamples: p.intervalExamples ?? defaultAutointerpSettings.intervalExamples,
    scoreExamples: p.scoreExamples ?? defaultAutointerpSettings.scoreExamples,
    context: p.context ?? defaultAutointerpSettings.context,
    seed: p.seed ?? defaultAutointerpSettings.seed,
  };
}
