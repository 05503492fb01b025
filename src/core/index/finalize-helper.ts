/**
 * The finalize phase's helper thread (finalize-worker.ts): a second core computing the blocks
 * of features it is asked for while the phase's own thread computes others and writes them all.
 * Statistics are per-feature and independent, so the rows are the ones one thread would compute;
 * the phase writes blocks in feature order, so a kill resumes after the last written feature.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { AppError } from '#shared/reply.ts';
import { sqliteNativeBinding } from '../kernel/sqlite.ts';
import { rebuiltError, spawnWorker, workerEntry, type WorkerFailure } from '../kernel/worker-thread.ts';
import type { CooccurrenceTable } from './cooccurrence.ts';
import type { FeatureRow } from './finalize-blocks.ts';

/**
 * Activations from which finalize takes a helper thread. Below, starting the thread (~0.1 s
 * bundled, more from sources) costs more than the share of the work it takes over: the
 * statistics cost ~1 s per million activations on one core of a 2-core CPU.
 */
export const HELPER_MIN_ACTIVATIONS = 1 << 18;

/** What the helper thread starts with. */
export interface FinalizeWorkerData {
  /** The index file, opened read-only there. */
  readonly file: string;
  readonly seed: number;
  readonly sqliteBinding?: string;
}

/**
 * The co-occurrence table to count rows from (sent once, before any block, when the phase
 * records co-occurrence: the thread starts while this one builds it), or a block to compute:
 * features [start, end).
 */
export type ToFinalizeWorker =
  { readonly type: 'table'; readonly table: CooccurrenceTable } | { readonly type: 'block'; readonly start: number; readonly end: number };

export type FromFinalizeWorker =
  { readonly type: 'ready' } | { readonly type: 'rows'; readonly start: number; readonly rows: FeatureRow[] } | WorkerFailure;

/** A running helper. */
export interface FinalizeHelper {
  /**
   * Resolves once the thread takes blocks (modules loaded, index open: ~0.1–0.2 s after its
   * start, while the phase's thread computes blocks itself), or once it failed (its blocks then
   * reject). Never rejects.
   */
  readonly ready: Promise<void>;
  /** Counts co-occurrence rows from `table` in every block asked after this. */
  useTable(table: CooccurrenceTable): void;
  /** The rows of features [start, end), computed there; blocks are computed in the order asked. */
  rows(start: number, end: number): Promise<FeatureRow[]>;
  /** Stops the thread (pending blocks reject). */
  close(): Promise<void>;
}

/** What starts a helper: startFinalizeHelper, or a test's wrapper of it. */
export type StartFinalizeHelper = (data: Omit<FinalizeWorkerData, 'sqliteBinding'>) => FinalizeHelper;

/** Whether a finalize over `activations` should take a helper thread on this machine. */
export function wantsHelper(activations: number): boolean {
  return activations >= HELPER_MIN_ACTIVATIONS && os.availableParallelism() > 1;
}

/** Starts the helper thread. */
export const startFinalizeHelper: StartFinalizeHelper = (data) => {
  const binding = sqliteNativeBinding();
  const worker: Worker = spawnWorker(workerEntry(import.meta.url, './finalize-worker.ts', 'finalize-worker'), {
    ...data,
    ...(binding ? { sqliteBinding: binding } : {}),
  } satisfies FinalizeWorkerData);
  const pending: { start: number; resolve: (rows: FeatureRow[]) => void; reject: (e: Error) => void }[] = [];
  let failed: Error | undefined;
  let isReady!: () => void;
  const ready = new Promise<void>((resolve) => (isReady = resolve));
  const fail = (e: Error): void => {
    failed ??= e;
    for (const p of pending.splice(0)) p.reject(failed);
    isReady();
  };
  worker.on('message', (m: FromFinalizeWorker) => {
    if (m.type === 'error') return fail(rebuiltError(m));
    if (m.type === 'ready') return isReady();
    const p = pending.shift();
    if (p?.start !== m.start) return fail(new AppError('internal', `finalize helper answered block ${m.start} out of order`));
    p.resolve(m.rows);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new AppError('internal', `the finalize helper thread exited (code ${code})`)));
  return {
    ready,
    useTable: (table) => worker.postMessage({ type: 'table', table } satisfies ToFinalizeWorker),
    rows: (start, end) =>
      new Promise((resolve, reject) => {
        if (failed) return reject(failed);
        pending.push({ start, resolve, reject });
        worker.postMessage({ type: 'block', start, end } satisfies ToFinalizeWorker);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
};
