/**
 * The contract between the UI (and any other client) and core: every request with its
 * payload schema and result type, and every event core emits. Both transports (Electron
 * IPC in src/main, HTTP + server-sent events in src/server) expose exactly this, through
 * one generic loop (src/core/host/dispatch.ts); the renderer gets the same `api` either way.
 *
 * To add a request: declare it in `requests` below, or in its area's request map in
 * src/shared/<area>-types.ts (JSDoc, payload schema, result type),
 * implement it in a core feature module's handler map, and merge that map in
 * src/core/host/handlers.ts. Nothing in the transports changes.
 *
 * Results and event data must survive JSON (HTTP) and structured clone (IPC): plain
 * objects, arrays, strings, finite numbers, booleans and null only.
 */
import { z } from 'zod';
import { jobProgress, jobRemedies, jobStates, type JobInfo } from './job-types.ts';
export { jobRemedies, jobStates, type JobInfo, type JobProgress, type JobRemedy, type JobState } from './job-types.ts';
import { annotationRequests } from './annotation-types.ts';
import { autointerpEvents, autointerpRequests } from './autointerp-types.ts';
import { explorerRequests } from './explorer-types.ts';
import { fileRequests } from './file-types.ts';
import { healthRequests } from './health-types.ts';
import { hubRequests } from './hub-types.ts';
import { empty, request, type RequestDef } from './request-def.ts';
import { steerEvents, steerRequests } from './steer-types.ts';
import {
  featureGetPayload,
  featureSamplePayload,
  indexDbPayload,
  indexStartPayload,
  type FeatureDashboard,
  type FeatureSample,
  type IndexStartResult,
  type IndexStatus,
} from './index-types.ts';

import { workspaceOpenPayload, type WorkspaceInfo } from './workspace-types.ts';

export type { Selection, WorkspaceInfo } from './workspace-types.ts';

export type {
  DensityBin,
  FeatureDashboard,
  FeatureExample,
  FeatureInterval,
  FeatureSample,
  IndexStartResult,
  IndexStatus,
} from './index-types.ts';

// ---------------------------------------------------------------------------------------
// Shared shapes
// ---------------------------------------------------------------------------------------

import type { ProviderName } from './providers.ts';
export { providerNames, type ProviderName } from './providers.ts';

/** Whether one execution provider really runs here. */
export interface ProviderStatus {
  readonly name: ProviderName;
  /** True when a session with only this provider could be created and run here. */
  readonly available: boolean;
  /** Why it is not available (first line of onnxruntime's error), when it is not. */
  readonly reason?: string;
}

/** Which program hosts core: the desktop app, the `serve` host, or a one-shot CLI command. */
export type HostKind = 'electron' | 'serve' | 'cli';

/** Facts about this installation and the engine, as shown in the status panel. */
export interface AppStatus {
  /** The app's version (package.json). */
  readonly appVersion: string;
  /** Who hosts core in this process. */
  readonly host: HostKind;
  /** onnxruntime-node's version. */
  readonly onnxruntimeVersion: string;
  /** Every execution provider this platform may have, probed by running a tiny model. */
  readonly providers: readonly ProviderStatus[];
  /** The provider new sessions use: the first available GPU provider, else cpu. */
  readonly activeProvider: ProviderName;
  /**
   * Threads each ONNX Runtime session gives its CPU kernels: the physical cores this process may
   * use (or SAE_EXPLORER_CPU_THREADS); null where ONNX Runtime counts them itself.
   */
  readonly cpuThreads: number | null;
  /** The folder holding indexes, caches and settings. */
  readonly dataDir: string;
  /** Why dataDir is what it is. */
  readonly dataDirSource: DataDirSource;
  /** process.platform and process.arch of the host. */
  readonly platform: string;
  readonly arch: string;
  /** Runtime versions; electron and chrome only inside the desktop app. */
  readonly versions: { readonly node: string; readonly electron?: string; readonly chrome?: string };
  /** SQLite as loaded by better-sqlite3: its version, or why it could not be loaded. */
  readonly sqlite: { readonly version?: string; readonly error?: string };
}

/** Where the data folder setting came from. */
export type DataDirSource = 'flag' | 'env' | 'default';

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/**
 * Every event core emits, by name, with the schema of its data. Transports forward all of
 * them; clients subscribe by name.
 */
export const events = {
  /** The workspace changed outside a request: its engine finished loading or failed to (fetch `workspace.get`). */
  'workspace.changed': z.object({}),
  /** A running job reports progress; throttled to a few per second per job. */
  'job.progress': jobProgress,
  /** A job changed state (queued → running → done | failed | cancelled). */
  'job.state': z.object({
    job: z.string(),
    kind: z.string(),
    state: z.enum(jobStates),
    /** One line, when state is `failed`. */
    error: z.string().optional(),
  }),
  /** A log line worth showing the user (job warnings, provider fallbacks, ...). */
  log: z.object({
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    /** Who logged it, e.g. `jobs`, `model`, a job id. */
    source: z.string().optional(),
    /** Epoch milliseconds. */
    time: z.number(),
  }),
  ...steerEvents,
  ...autointerpEvents,
} as const satisfies Record<string, z.ZodType>;

/** The name of an event. */
export type EventName = keyof typeof events;

/** The data an event carries. */
export type EventData<E extends EventName> = z.infer<(typeof events)[E]>;

/** One event as it crosses a transport: its name and data, discriminated by name. */
export type AppEvent = { [E in EventName]: { readonly name: E; readonly data: EventData<E> } }[EventName];

/** True when `name` is an event of the contract. */
export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

export { request, type RequestDef } from './request-def.ts';

/**
 * Every request, by name (`area.verb`). Payloads are zod schemas; results are types.
 * Keep names stable: they are IPC channel names and HTTP paths (`POST /api/<name>`).
 */
export const requests = {
  /** Facts about this installation and the engine: versions, execution providers (probed), data folder. */
  'app.status': request<AppStatus>()(empty),

  /** Every job this process knows, newest first; optionally only those in some states. */
  'jobs.list': request<JobInfo[]>()(z.object({ states: z.array(z.enum(jobStates)).optional() }).strict()),

  /**
   * Asks a queued or running job to stop. Resolves with the job as it is now; the final
   * state arrives as a `job.state` event once the job has wound down.
   */
  'jobs.cancel': request<JobInfo>()(z.object({ job: z.string().min(1) }).strict()),

  /**
   * Runs a failed or cancelled job again (`retryable` says whether it can be), optionally with
   * one of the remedies its failure offers; answers the new job. An index resumes from its
   * last committed batch.
   */
  'jobs.retry': request<JobInfo>()(z.object({ job: z.string().min(1), remedy: z.enum(jobRemedies).optional() }).strict()),

  /**
   * Starts (or resumes) indexing SAE activations over a corpus into an SQLite index, as a
   * job in a worker thread (`job.progress` phases: load, index, merge, finalize, paused).
   * An existing index with the same settings is resumed from its last committed batch.
   */
  'index.start': request<IndexStartResult>()(indexStartPayload),

  /** Where one index file stands (indexing, finalizing, complete), what it was built from, its across-feature summary. */
  'index.status': request<IndexStatus>()(indexDbPayload),

  /** Every index in the data folder's indexes/, newest first. */
  'index.list': request<IndexStatus[]>()(empty),

  /** A feature's dashboard: count, density, max, mean, histogram, top examples, interval samples. */
  'feature.get': request<FeatureDashboard>()(featureGetPayload),

  /** n uniformly random examples of a feature with activation in [lo, hi), repeatable for a seed. */
  'feature.sample': request<FeatureSample>()(featureSamplePayload),

  /** What the app works on (model, SAE, hook, corpus), the loaded engine's facts and its index's state. */
  'workspace.get': request<WorkspaceInfo>()(empty),

  /**
   * Opens a model + SAE (+ corpus to index): the engine must load, else nothing changes and
   * the error says why. Remembered across runs; indexing the corpus starts in the background.
   */
  'workspace.open': request<WorkspaceInfo>()(workspaceOpenPayload),

  // Each feature area declares its requests in src/shared/<area>-types.ts.
  ...explorerRequests,
  ...annotationRequests,
  ...steerRequests,
  ...hubRequests,
  ...healthRequests,
  ...fileRequests,
  ...autointerpRequests,
} as const;

/** The name of a request. */
export type RequestName = keyof typeof requests;

/** What a client may send as a request's payload (before defaults and transforms). */
export type PayloadInput<K extends RequestName> = z.input<(typeof requests)[K]['payload']>;

/** What core receives as a request's payload, after validation. */
export type Payload<K extends RequestName> = z.output<(typeof requests)[K]['payload']>;

/** What a request resolves to. */
export type ResultOf<K extends RequestName> = (typeof requests)[K] extends RequestDef<z.ZodType, infer R> ? R : never;

/**
 * The handler map core must provide: one async function per request. Core feature modules
 * each export a slice of this (`type AppHandlers = Pick<ContractHandlers, 'app.status'>`).
 */
export type ContractHandlers = { [K in RequestName]: (payload: Payload<K>) => Promise<ResultOf<K>> };

/** True when `name` is a request of the contract. */
export function isRequestName(name: string): name is RequestName {
  return Object.hasOwn(requests, name);
}

/** Every request name, in declaration order. */
export const requestNames = Object.keys(requests).filter(isRequestName);

/** Every event name, in declaration order. */
export const eventNames = Object.keys(events).filter(isEventName);
