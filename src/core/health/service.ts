import fs from 'node:fs';
import path from 'node:path';
import type { Payload } from '#shared/contract.ts';
import {
  DEFAULT_EVAL_TOKENS,
  type HealthComparison,
  type HealthEvaluateResult,
  type HealthExport,
  type HealthReport,
} from '#shared/health-types.ts';
import type { ProviderName } from '#shared/providers.ts';
import { AppError } from '#shared/reply.ts';
import { graphCacheDir } from '../kernel/data-dir.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { WorkspaceService } from '../workspace/service.ts';
import { releaseFactsForSaePath } from '../hub/release-facts.ts';
import type { EngineOptions } from '../model/engine.ts';
import { chooseProviders } from '../model/providers.ts';
import { SaeFileError } from '../sae/errors.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import { compareDecoders, pairsPage, type DecoderComparison } from './compare.ts';
import { DEFAULT_CONTEXT, DEFAULT_TEXT_FIELD, type EvaluateOptions } from './evaluate.ts';
import { exportReport, metricsText } from './report.ts';
import { HealthStore, healthDbFile, type ReportQuery } from './store.ts';
import { startHealthWorker, type HealthWorkerHooks } from './worker-client.ts';

/** Comparisons kept for paging. */
const KEEP_COMPARISONS = 4;

/** Newest modification time of a file, or of a folder and the files directly in it (cache identity). */
function mtimeOf(p: string): number {
  try {
    const st = fs.statSync(p);
    if (!st.isDirectory()) return st.mtimeMs;
    return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => fs.statSync(path.join(p, f)).mtimeMs));
  } catch {
    throw new AppError('not_found', `SAE not found: ${p}`);
  }
}

function load(p: string): Sae {
  try {
    return loadSae(p, { release: releaseFactsForSaePath(p) });
  } catch (e) {
    if (e instanceof SaeFileError) throw new AppError('bad_request', e.message);
    throw e;
  }
}

/** What the health service is built from. */
export interface HealthServiceDeps extends Pick<Kernel, 'data' | 'files' | 'jobs' | 'onClose'> {
  readonly workspace: Pick<WorkspaceService, 'info' | 'currentEngine'>;
}

/**
 * SAE health for one core: evaluations as worker-thread jobs, stored in health.sqlite (opened
 * on first use: a core that never evaluates never creates it), and decoder comparisons.
 */
export class HealthService {
  #store: HealthStore | undefined;
  /** Identity of a running evaluation → its job. */
  readonly #running = new Map<string, string>();
  readonly #comparisons = new Map<string, Promise<DecoderComparison>>();

  constructor(private readonly core: HealthServiceDeps) {
    core.onClose(() => {
      this.#store?.close();
      this.#store = undefined;
    });
  }

  #db(): HealthStore {
    return (this.#store ??= new HealthStore(healthDbFile(this.core.data.dir)));
  }

  /** The stored-report query a payload names, defaults from the workspace; null when nothing is selected. */
  async #query(p: Payload<'health.get'>): Promise<ReportQuery | null> {
    const info = await this.core.workspace.info();
    const sel = info.selection;
    const model = p.model ?? sel?.model;
    const sae = p.sae ?? sel?.sae;
    const corpus = p.corpus ?? sel?.corpus;
    if (!model || !sae || !corpus) return null;
    const own = !p.model && !p.sae;
    const hook = p.hook ?? (own ? (info.engine?.hook ?? sel?.hook ?? null) : null);
    return {
      model: path.resolve(model),
      sae: path.resolve(sae),
      hook,
      corpus: path.resolve(corpus),
      maxTokens: p.maxTokens,
      context: p.context,
      textField: p.textField,
    };
  }

  /** `health.get`: the stored report a payload names, or null. */
  async get(p: Payload<'health.get'>): Promise<HealthReport | null> {
    if (p.id !== undefined) return this.#db().byId(p.id);
    const q = await this.#query(p);
    return q ? this.#db().find(q) : null;
  }

  /** Every stored report, newest first. */
  list(): HealthReport[] {
    return this.#db().list();
  }

  /** `health.export`: a stored report as JSON with a file name. */
  async export(p: Payload<'health.export'>): Promise<HealthExport> {
    const r = await this.get(p);
    if (!r)
      throw new AppError(
        'not_found',
        p.id !== undefined ? `no stored evaluation with id ${p.id}` : 'this selection has not been evaluated yet',
      );
    return exportReport(r);
  }

  /** `health.evaluate`: evaluates the workspace's SAE in a worker-thread job (one per identity at a time). */
  async evaluate(p: Payload<'health.evaluate'>): Promise<HealthEvaluateResult> {
    const { core } = this;
    const running = this.#running;
    const info = await core.workspace.info();
    const sel = info.selection;
    if (!sel) throw new AppError('unavailable', 'no model is open: choose a model and an SAE in Models first');
    const corpusIn = p.corpus ?? sel.corpus;
    if (!corpusIn) throw new AppError('bad_request', 'the workspace has no corpus: open one in Models, or name one to evaluate on');
    const corpus = core.files.resolveRead(corpusIn, 'corpus');
    if (!fs.existsSync(corpus)) throw new AppError('not_found', `corpus not found: ${corpus}`);
    const maxTokens = p.maxTokens ?? DEFAULT_EVAL_TOKENS;
    const context = p.context ?? info.index?.context ?? DEFAULT_CONTEXT;
    const textField = p.textField ?? DEFAULT_TEXT_FIELD;
    const model = path.resolve(sel.model);
    const sae = path.resolve(sel.sae);
    const hook = sel.hook;
    // everything the stored report's identity holds (health.sqlite's unique key)
    const key = JSON.stringify([model, sae, hook ?? '', corpus, maxTokens, context, textField]);
    const already = running.get(key);
    if (already && ['queued', 'running'].includes(core.jobs.get(already)?.state ?? '')) return { job: already, running: true };
    const field = textField === DEFAULT_TEXT_FIELD ? '' : `, field ${textField}`;
    const title = `Evaluate ${path.basename(sae)} on ${path.basename(corpus)} (${maxTokens.toLocaleString('en-US')} tokens, context ${context}${field})`;
    const job = core.jobs.start('eval', title, async (ctx) => {
      try {
        ctx.progress('load', 0, null);
        // The worker opens its own engine from these paths (onnxruntime-node runs inference
        // synchronously: on this thread it would block Electron's main process). Switching the
        // workspace meanwhile changes nothing here: the figures are always this SAE's.
        const handle = startHealthWorker(
          {
            engine: { model, sae, cacheDir: graphCacheDir(core.data.dir), ...(hook ? { hook } : {}) },
            options: { corpus, maxTokens, context, textField },
          },
          { progress: (done, total) => ctx.progress('evaluate', done, total), log: (level, m) => ctx.log(level, m) },
        );
        const stop = (): void => handle.cancel();
        ctx.signal.addEventListener('abort', stop);
        let done;
        try {
          done = await handle.result;
        } finally {
          ctx.signal.removeEventListener('abort', stop);
        }
        const { outcome: out } = done;
        const report = this.#db().put({
          ...out,
          model,
          sae,
          hook: done.hook,
          corpus,
          architecture: done.architecture,
          density_source: 'evaluation',
          provider: done.provider,
          created_at: Date.now(),
        });
        ctx.log(
          'info',
          `evaluated ${path.basename(sae)} on ${out.tokens} tokens: L0 ${out.l0.toFixed(1)}, variance explained ${out.variance_explained?.toFixed(3) ?? '–'}, CE loss recovered ${out.ce_loss_recovered?.toFixed(3) ?? '–'} (report ${report.id})`,
        );
      } finally {
        running.delete(key);
      }
    });
    running.set(key, job.id);
    return { job: job.id, running: false };
  }

  /**
   * `health.compare`. Stays on this thread, unlike evaluate: a comparison is quick (small ONNX kernels over the
  // two decoders) and reuses the workspace engine's loaded SAE.
   */
  async compare(p: Payload<'health.compare'>): Promise<HealthComparison> {
    const { core } = this;
    const comparisons = this.#comparisons;
    const info = await core.workspace.info();
    const current = info.selection ? path.resolve(info.selection.sae) : null;
    const aPath = p.a ? core.files.resolveRead(p.a, 'SAE') : current;
    if (!aPath) throw new AppError('unavailable', 'no SAE is open: open one in Models, or name SAE A');
    const bPath = core.files.resolveRead(p.b, 'SAE');
    const key = JSON.stringify([aPath, mtimeOf(aPath), bPath, mtimeOf(bPath)]);
    let pending = comparisons.get(key);
    const cached = pending !== undefined;
    if (!pending) {
      pending = (async () => {
        const engine = current && (aPath === current || bPath === current) ? await core.workspace.currentEngine().catch(() => null) : null;
        const sae = (p: string): Sae => (engine && p === current ? engine.sae : load(p));
        return compareDecoders(sae(aPath), sae(bPath), { providers: engine?.providers ?? (await chooseProviders()) });
      })();
      comparisons.set(key, pending);
      pending.catch(() => comparisons.delete(key));
      while (comparisons.size > KEEP_COMPARISONS) comparisons.delete(comparisons.keys().next().value!);
    }
    const c = await pending;
    return {
      a: { ...c.a, sae: aPath, current: aPath === current },
      b: { ...c.b, sae: bPath, current: bPath === current },
      shares: c.shares,
      mean_max_cosine: c.mean_max_cosine,
      median_max_cosine: c.median_max_cosine,
      histogram: c.histogram,
      pairs: pairsPage(c, p.offset, p.limit, p.order),
      seconds: cached ? 0 : c.seconds,
    };
  }

  /**
   * Evaluates a model + SAE named outright (not the workspace's) in the same worker thread
   * `health.evaluate` uses, on this caller's promise rather than as a job (the CLI's
   * `evaluate`), and stores the report in health.sqlite, where the app's Health screen finds
   * it. `signal` stops it after the current batch (the result then rejects, code `cancelled`).
   */
  async evaluateOn(
    engine: EngineOptions,
    options: EvaluateOptions,
    hooks: HealthWorkerHooks & { readonly signal?: AbortSignal } = {},
  ): Promise<HealthReport> {
    const handle = startHealthWorker({ engine, options }, hooks);
    const stop = (): void => handle.cancel();
    hooks.signal?.addEventListener('abort', stop);
    let done;
    try {
      done = await handle.result;
    } finally {
      hooks.signal?.removeEventListener('abort', stop);
    }
    return this.#db().put({
      ...done.outcome,
      model: engine.model,
      sae: engine.sae,
      hook: done.hook,
      corpus: options.corpus,
      architecture: done.architecture,
      density_source: 'evaluation',
      provider: done.provider,
      created_at: Date.now(),
    });
  }

  /** The metrics of a report as text lines (the CLI's `evaluate` output). */
  reportText(r: HealthReport): string {
    return metricsText(r);
  }

  /**
   * Compares two SAE files named outright (the CLI's `compare`): loads both (a file problem
   * throws the SaeFileError as is), picks providers (`provider` forced), and compares every
   * decoder row of A with B's; nothing is cached.
   */
  async compareFiles(a: string, b: string, provider?: ProviderName): Promise<DecoderComparison> {
    const loadAs = (p: string): Sae => loadSae(path.resolve(p), { release: releaseFactsForSaePath(p) });
    const sa = loadAs(a);
    const sb = loadAs(b);
    const providers = await chooseProviders(provider);
    return compareDecoders(sa, sb, { providers });
  }

  /** One page of a comparison's best-matched pairs. */
  pairs(c: DecoderComparison, offset: number, limit: number, order: 'asc' | 'desc'): ReturnType<typeof pairsPage> {
    return pairsPage(c, offset, limit, order);
  }
}
