import type { ProviderName } from '#shared/providers.ts';
import type { WorkerEnd } from '../kernel/worker-thread.ts';
import type { EngineOptions } from '../model/engine.ts';
import type { SaeArchitecture } from '../sae/types.ts';
import type { EvaluateOptions, EvaluationOutcome } from './evaluate.ts';

/** What the health worker is started with: the engine to open and the evaluation to run. */
export interface HealthWorkerData {
  readonly engine: EngineOptions;
  readonly options: EvaluateOptions;
}

/** The evaluation's figures plus the facts of the engine that computed them. */
export interface HealthWorkerResult {
  readonly outcome: EvaluationOutcome;
  /** The hook the engine resolved (the SAE's own, or the override). */
  readonly hook: string;
  readonly architecture: SaeArchitecture;
  readonly provider: ProviderName;
}

/** Messages to the worker. */
export type ToHealthWorker = { readonly type: 'cancel' };

/** Messages from the worker. */
export type FromHealthWorker =
  | { readonly type: 'progress'; readonly done: number; readonly total: number | null }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly message: string }
  | WorkerEnd<HealthWorkerResult>;
