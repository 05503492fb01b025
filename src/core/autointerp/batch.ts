/**
 * Explaining and scoring a set of features: what is left to do (resume), and the run over
 * it with a bound on features in flight. Each step is stored as it lands, so a run killed at
 * any point loses at most the answers in flight; nothing stored is asked again.
 */
import type { AutoExplanation, AutointerpSettings } from '#shared/autointerp-types.ts';
import { AppError } from '#shared/reply.ts';
import type { AnnotationStore } from '../annotations/store.ts';
import type { IndexReader } from '../index/reader.ts';
import { explainFeature } from './explain.ts';
import type { Explainer } from './explainer.ts';
import { Limiter } from './limit.ts';
import { PROMPT_VERSION } from './prompts.ts';
import { isComplete, saveAutoExplanation, storedAutoExplanation } from './store.ts';

/** One feature to work on, with what is already stored of it. */
export interface BatchItem {
  readonly feature: number;
  readonly stored: AutoExplanation | null;
}

/** The features left to do, and how many were complete already. */
export interface BatchPlan {
  readonly todo: readonly BatchItem[];
  readonly skipped: number;
}

/** Which of `features` still need work by `model` (all of them with `redo`). */
export function planBatch(
  store: AnnotationStore,
  sae: string,
  features: readonly number[],
  model: string,
  opts: { readonly score: boolean; readonly redo: boolean },
): BatchPlan {
  const todo: BatchItem[] = [];
  for (const feature of features) {
    const stored = opts.redo ? null : storedAutoExplanation(store.db, sae, feature, model, PROMPT_VERSION);
    if (!isComplete(stored, opts.score)) todo.push({ feature, stored });
  }
  return { todo, skipped: features.length - todo.length };
}

/** One step of a feature's result, after it is stored. */
export interface BatchStep {
  readonly feature: number;
  readonly stage: 'explained' | 'scored' | 'failed';
  /** The feature's last step in this run. */
  readonly done: boolean;
  readonly explanation?: AutoExplanation;
  readonly error?: string;
}

/** How a batch runs. */
export interface BatchOptions {
  readonly settings: AutointerpSettings;
  readonly score: boolean;
  /** Features in flight at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** Each piece of an explanation as it is written. */
  readonly onText?: (feature: number, text: string) => void;
  /** Each step, once stored. */
  readonly onStep?: (step: BatchStep) => void;
  /** Features finished (done or failed) so far. */
  readonly onProgress?: (finished: number) => void;
  readonly now?: () => number;
}

/** What a batch did. */
export interface BatchSummary {
  readonly explained: AutoExplanation[];
  readonly failed: { feature: number; error: string }[];
}

/** Explains and scores the plan's features, storing each step; a cancel stops it between steps (AppError `cancelled`). */
export async function runBatch(
  deps: { readonly reader: IndexReader; readonly explainer: Explainer; readonly store: AnnotationStore; readonly sae: string },
  plan: BatchPlan,
  opts: BatchOptions,
): Promise<BatchSummary> {
  const { reader, explainer, store, sae } = deps;
  const explained: AutoExplanation[] = [];
  const failed: { feature: number; error: string }[] = [];
  const limiter = new Limiter(opts.concurrency);
  let finished = 0;
  const save = (e: AutoExplanation): void => {
    saveAutoExplanation(store.db, sae, e);
    store.noteWrite();
  };
  await Promise.all(
    plan.todo.map((item) =>
      limiter.run(async () => {
        if (opts.signal?.aborted) return;
        const last = opts.score ? 'scored' : 'explained';
        try {
          const r = await explainFeature(reader, explainer, item.feature, opts.settings, {
            score: opts.score,
            stored: item.stored,
            ...(opts.signal ? { signal: opts.signal } : {}),
            ...(opts.onText ? { onText: (t: string) => opts.onText?.(item.feature, t) } : {}),
            ...(opts.now ? { now: opts.now } : {}),
            onStep: (e, stage) => {
              save(e);
              const done = stage === last && (!opts.score || e.fuzzing !== null);
              opts.onStep?.({ feature: item.feature, stage, done, explanation: e });
            },
          });
          explained.push(r);
        } catch (e) {
          if (opts.signal?.aborted) return;
          const error = (e as Error).message.split('\n')[0] ?? String(e);
          failed.push({ feature: item.feature, error });
          opts.onStep?.({ feature: item.feature, stage: 'failed', done: true, error });
        }
        opts.onProgress?.(++finished);
      }),
    ),
  );
  if (opts.signal?.aborted) throw new AppError('cancelled', 'cancelled');
  explained.sort((a, b) => a.feature - b.feature);
  failed.sort((a, b) => a.feature - b.feature);
  return { explained, failed };
}
