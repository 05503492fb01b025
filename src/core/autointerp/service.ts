import path from 'node:path';
import type { AutoExplanation, ExplainerSettings } from '../../shared/autointerp-types.ts';
import { defaultAutointerpSettings } from '../../shared/autointerp-types.ts';
import type { Payload } from '../../shared/contract.ts';
import { AppError } from '../../shared/reply.ts';
import { annotationStore, workspaceSaeKey } from '../annotations/service.ts';
import type { CoreServices } from '../app/services.ts';
import { IndexReader } from '../index/reader.ts';
import { explainFeature } from './explain.ts';
import type { Explainer } from './explainer.ts';
import { OnnxExplainer } from './onnx.ts';
import { completionsUrl, OpenAiExplainer } from './openai.ts';
import { API_KEY_ENV, readAutointerpSettings, writeAutointerpSettings, type AutointerpFileSettings } from './settings-file.ts';
import { autoExplanations, saveAutoExplanation } from './store.ts';

/** Automatic interpretation for one core: the saved explainer (kept open while its settings hold), explain, stored results. */
export class AutointerpService {
  #explainer: { key: string; explainer: Promise<Explainer> } | null = null;

  constructor(private readonly core: CoreServices) {
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
    const s = readAutointerpSettings(this.core.data.dir);
    const key = JSON.stringify(s);
    if (this.#explainer?.key !== key) {
      this.#drop();
      let explainer: Promise<Explainer>;
      if (s.onnxModel) explainer = OnnxExplainer.open(path.resolve(s.onnxModel));
      else if (s.endpoint && s.model) {
        const apiKey = process.env[API_KEY_ENV] || s.apiKey || null;
        explainer = Promise.resolve(new OpenAiExplainer({ endpoint: s.endpoint, model: s.model, apiKey }));
      } else throw new AppError('unavailable', 'no explainer is set: choose a local ONNX model or an endpoint in Settings');
      explainer.catch(() => (this.#explainer = null));
      this.#explainer = { key, explainer };
    }
    return this.#explainer!.explainer;
  }

  /** Explains, scores and stores one feature. */
  async explain(p: Payload<'autointerp.explain'>): Promise<AutoExplanation> {
    const file = this.core.files.resolveIndex(p.db, 'read');
    const explainer = await this.explainer();
    const sae = await workspaceSaeKey(this.core);
    const reader = new IndexReader(file);
    try {
      const r = await explainFeature(
        reader,
        explainer,
        p.feature,
        {
          topExamples: p.topExamples ?? defaultAutointerpSettings.topExamples,
          intervalExamples: p.intervalExamples ?? defaultAutointerpSettings.intervalExamples,
          scoreExamples: p.scoreExamples ?? defaultAutointerpSettings.scoreExamples,
          context: p.context ?? defaultAutointerpSettings.context,
          seed: p.seed ?? defaultAutointerpSettings.seed,
        },
        { score: p.score ?? true },
      );
      saveAutoExplanation(annotationStore(this.core).db, sae, r);
      return r;
    } finally {
      reader.close();
    }
  }

  /** A feature's stored auto explanations. */
  async explanations(feature: number): Promise<AutoExplanation[]> {
    return autoExplanations(annotationStore(this.core).db, await workspaceSaeKey(this.core), feature);
  }
}
