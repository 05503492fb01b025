import type { WorkerEnd } from '../app/worker-thread.ts';
import type { IndexJobOptions, IndexProgress, IndexResult } from './indexer.ts';

/** What the index worker is started with. */
export interface IndexWorkerData {
  readonly options: IndexJobOptions;
  /** better-sqlite3 addon to load (Electron's build), when the host set one. */
  readonly sqliteBinding?: string;
}

/** Messages to the worker. */
export type ToIndexWorker = { readonly type: 'pause' } | { readonly type: 'resume' } | { readonly type: 'cancel' };

/** Messages from the worker. */
export type FromIndexWorker =
  | { readonly type: 'progress'; readonly progress: IndexProgress }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  | WorkerEnd<IndexResult>;
