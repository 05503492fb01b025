import type { AnnotationService } from '../annotations/service.ts';
import type { AutointerpService } from '../autointerp/service.ts';
import type { ExplorerService } from '../explorer/service.ts';
import type { HealthService } from '../health/service.ts';
import type { HubService } from '../hub/service.ts';
import type { IndexService } from '../index/service.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { ModelService } from '../model/service.ts';
import type { SteerService } from '../steer/service.ts';
import type { WorkspaceService } from '../workspace/service.ts';

export type { PickPath } from '../kernel/kernel.ts';

/**
 * One core's services: the kernel (host, data folder, events, jobs, file access, cleanup)
 * and one service per area, each built once in createCore. Contract handlers are thin
 * adapters over them; in-process callers (the CLI, tests) may call them directly.
 */
export interface CoreServices extends Kernel {
  /** The model, SAE and corpus the app works on, and the engine loaded for them. */
  readonly workspace: WorkspaceService;
  /** Models and engines named outright (not the workspace's): hook lists, engines of a caller's own. */
  readonly model: ModelService;
  /** Index jobs and the one cache of read-only index readers. */
  readonly index: IndexService;
  /** Feature search, prompt ranking, decoder and unembedding views. */
  readonly explorer: ExplorerService;
  /** Labels, notes, lists, imported explanations (annotations.sqlite). */
  readonly annotations: AnnotationService;
  /** Evaluations and decoder comparisons (health.sqlite). */
  readonly health: HealthService;
  /** Hub browsing, downloads and the HF cache. */
  readonly hub: HubService;
  /** Automatic interpretation: the explainer and its stored results. */
  readonly autointerp: AutointerpService;
  /** Steering runs and sessions (sessions.sqlite). */
  readonly steer: SteerService;
}
