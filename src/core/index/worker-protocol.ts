import type { WorkerEnd, WorkerFailure } from '../kernel/worker-thread.ts';
import type { IndexJobOptions, IndexModel, IndexProgress, IndexResult } from './job-types.ts';

/**
 * The facts of an engine the parent holds: the worker indexes with them and asks the parent
 * for each capture, instead of loading a second copy of the model.
 */
export type SharedEngineFacts = Pick<IndexModel, 'sae' | 'hook' | 'folder'>;

/** What the index worker is started with. */
export interface IndexWorkerData {
  readonly options: IndexJobOptions;
  /** better-sqlite3 addon to load (Electron's build), when the host set one. */
  readonly sqliteBinding?: string;
  /** Set when the parent's engine captures (else the worker opens its own). */
  readonly engine?: SharedEngineFacts;
}

/** Messages to the worker. */
export type ToIndexWorker =
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'cancel' }
  | { readonly type: 'captured'; readonly id: number; readonly k: number; readonly values: Float32Array; readonly indices: Int32Array }
  | { readonly type: 'capture-failed'; readonly id: number; readonly error: WorkerFailure };

/** Messages from the worker. */
export type FromIndexWorker =
  | { readonly type: 'progress'; readonly progress: IndexProgress }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  | { readonly type: 'capture'; readonly id: number; readonly rows: readonly (readonly number[])[]; readonly k: number }
  | WorkerEnd<IndexResult>;
