import fs from 'node:fs';
import path from 'node:path';
import type { ContractHandlers, Payload } from '../../shared/contract.ts';
import { DEFAULT_EVAL_TOKENS, type HealthReport } from '../../shared/health-types.ts';
import type { healthRequests } from '../../shared/health-types.ts';
import { AppError } from '../../shared/reply.ts';
import { graphCacheDir } from '../app/data-dir.ts';
import type { CoreServices } from '../app/services.ts';
import { releaseFactsForSaePath } from '../hub/release-facts.ts';
import { chooseProviders } from '../model/providers.ts';
import { SaeFileError } from '../sae/errors.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import { compareDecoders, pairsPage, type DecoderComparison } from './compare.ts';
import { DEFAULT_CONTEXT, DEFAULT_TEXT_FIELD } from './evaluate.ts';
import { exportReport } from './report.ts';
import { HealthStore, healthDbFile, type ReportQuery } from './store.ts';
import { startHealthWorker } from './worker-client.ts';

/** Handlers of every request declared in src/shared/health-types.ts. */
export type HealthHandlers = Pick<ContractHandlers, keyof typeof healthRequests>;

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

/** Builds this area's handlers for one core instance. */
export function healthHandlers(core: CoreServices): HealthHandlers {
  let store: HealthStore | undefined;
  // opened on first use: a core that never evaluates never creates health.sqlite
  const db = (): HealthStore => (store ??= new HealthStore(healthDbFile(core.data.dir)));
  core.onClose(() => {
    store?.close();
    store = undefined;
  });
  /** Identity of a running evaluation → its job. */
  const running = new Map<string, string>();
  const comparisons = new Map<string, Promise<DecoderComparison>>();

  /** The stored-report query a payload names, defaults from the workspace; null when nothing is selected. */
  const query = async (p: Payload<'health.get'>): Promise<ReportQuery | null> => {
    const info = await core.workspace.info();
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
  };

  const find = async (p: Payload<'health.get'>): Promise<HealthReport | null> => {
    if (p.id !== undefined) return db().byId(p.id);
    const q = await query(p);
    return q ? db().find(q) : null;
  };

  const evaluate = async (p: Payload<'health.evaluate'>) => {
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
        const report = db().put({
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
  };

  // Stays on this thread, unlike evaluate: a comparison is quick (small ONNX kernels over the
  // two decoders) and reuses the workspace engine's loaded SAE.
  const compare = async (p: Payload<'health.compare'>) => {
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
  };

  return {
    'health.evaluate': evaluate,
    'health.get': find,
    'health.list': async () => db().list(),
    'health.export': async (p) => {
      const r = await find(p);
      if (!r)
        throw new AppError(
          'not_found',
          p.id !== undefined ? `no stored evaluation with id ${p.id}` : 'this selection has not been evaluated yet',
        );
      return exportReport(r);
    },
    'health.compare': compare,
  };
}
