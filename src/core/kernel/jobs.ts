import type { JobInfo, JobProgress, JobRemedy, JobState } from '#shared/contract.ts';
import { etaSeconds } from '#shared/format.ts';
import { AppError, stripAnsi, type ErrorCode } from '#shared/reply.ts';
import type { EventBus } from './events.ts';
import { RateMeter } from './rate-meter.ts';

/** What a running job gets: its id, a cancel signal, and ways to report. */
export interface JobContext {
  readonly id: string;
  /** Aborted when the job is cancelled; long loops should check it between batches. */
  readonly signal: AbortSignal;
  /**
   * Reports progress in `phase`: `done` of `total` units (null when unknown). Rate and ETA
   * are computed here; events are throttled, but a new phase or `done === total` always goes out.
   */
  progress(phase: string, done: number, total?: number | null): void;
  /** Logs a line tagged with this job's id. */
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

/** The work of a job. Throwing fails it; throwing after cancel (e.g. an AbortError) cancels it. */
export type JobRun = (ctx: JobContext) => Promise<void>;

/** Starts a failed or cancelled job's work again (with a remedy its failure offered) and answers the new job's id. */
export type JobRetry = (remedy: JobRemedy | undefined) => Promise<string>;

/** How a job's run fails when it knows a retry that would avoid the failure. */
export class JobFailure extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly remedies: readonly JobRemedy[],
  ) {
    super(code, message);
  }
}

/** Options for the registry (tests inject a clock). */
export interface JobRegistryOptions {
  /** Milliseconds clock. */
  readonly now?: () => number;
  /** Minimum milliseconds between progress events of one job. */
  readonly progressIntervalMs?: number;
  /** Finished jobs kept for `jobs.list`. */
  readonly keepFinished?: number;
}

interface Entry {
  info: JobInfo;
  readonly controller: AbortController;
  readonly finished: Promise<JobInfo>;
  readonly resolveFinished: (info: JobInfo) => void;
  readonly rate: RateMeter;
  lastSent: number;
  retry: JobRetry | undefined;
  retrying: Promise<JobInfo> | undefined;
}

const FINAL: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled']);

/**
 * Tracks the jobs of one core instance and turns what they report into `job.state` and
 * `job.progress` events on the bus. Where the work runs (this thread or a worker) is the
 * job's business: it only has to call the context it is given.
 */
export class JobRegistry {
  readonly #jobs = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #interval: number;
  readonly #keep: number;
  #seq = 0;

  constructor(
    private readonly bus: EventBus,
    options: JobRegistryOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#interval = options.progressIntervalMs ?? 250;
    this.#keep = options.keepFinished ?? 100;
  }

  /**
   * Starts `run` as a job of `kind` and returns it as it is now (state `running`). With
   * `retry`, `jobs.retry` can run a failed or cancelled job again (see `setRetry`).
   */
  start(kind: string, title: string, run: JobRun, options: { readonly retry?: JobRetry } = {}): JobInfo {
    const id = `${kind}-${++this.#seq}-${this.#now().toString(36)}`;
    const controller = new AbortController();
    let resolveFinished: (info: JobInfo) => void = () => {};
    const finished = new Promise<JobInfo>((r) => (resolveFinished = r));
    const entry: Entry = {
      info: { id, kind, title, state: 'queued', createdAt: this.#now() },
      controller,
      finished,
      resolveFinished,
      rate: new RateMeter(),
      lastSent: -Infinity,
      retry: options.retry,
      retrying: undefined,
    };
    this.#jobs.set(id, entry);
    this.#setState(entry, 'queued');
    this.#setState(entry, 'running');

    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (phase, done, total = null) => this.#progress(entry, phase, done, total),
      log: (level, message) => this.bus.log(level, message, id),
    };
    // Run after returning, so callers see `running` before any progress.
    queueMicrotask(() => {
      // Cancelled before it started: an abort listener added now would never fire.
      if (controller.signal.aborted) return this.#finish(entry, 'cancelled');
      run(ctx).then(
        () => this.#finish(entry, controller.signal.aborted ? 'cancelled' : 'done'),
        (e: unknown) => {
          if (controller.signal.aborted) this.#finish(entry, 'cancelled');
          else {
            const remedies = e instanceof JobFailure && e.remedies.length ? e.remedies : undefined;
            this.#finish(entry, 'failed', stripAnsi(e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)), remedies);
          }
        },
      );
    });
    void entry.finished.then(() => this.#prune());
    return entry.info;
  }

  /** Every job, newest first; optionally only those in `states`. */
  list(states?: readonly JobState[]): JobInfo[] {
    const all = [...this.#jobs.values()].map((e) => e.info).reverse();
    return states ? all.filter((j) => states.includes(j.state)) : all;
  }

  /** The job with `id`, or undefined. */
  get(id: string): JobInfo | undefined {
    return this.#jobs.get(id)?.info;
  }

  /** Asks a job to stop; throws `not_found` for an unknown id. Finished jobs are returned unchanged. */
  cancel(id: string): JobInfo {
    const entry = this.#jobs.get(id);
    if (!entry) throw new AppError('not_found', `no job "${id}"`);
    if (!FINAL.has(entry.info.state)) entry.controller.abort(new AppError('cancelled', 'cancelled by the user'));
    return entry.info;
  }

  /**
   * Makes `retry` how a job is run again, replacing the one it started with: whoever owns the
   * work (e.g. the workspace, for its index) retries it its own way.
   */
  setRetry(id: string, retry: JobRetry): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    entry.retry = retry;
    if (entry.info.state === 'failed' || entry.info.state === 'cancelled') entry.info = { ...entry.info, retryable: true };
  }

  /**
   * Runs a failed or cancelled job's work again, with `remedy` when its failure offered it,
   * and resolves with the new job. A job is retried once: asking again answers the same job.
   */
  retry(id: string, remedy?: JobRemedy): Promise<JobInfo> {
    const entry = this.#jobs.get(id);
    if (!entry) return Promise.reject(new AppError('not_found', `no job "${id}"`));
    if (entry.retrying) return entry.retrying;
    const { info } = entry;
    if (info.state !== 'failed' && info.state !== 'cancelled') {
      return Promise.reject(new AppError('conflict', `"${info.title}" is ${info.state}: only a failed or cancelled job can be retried`));
    }
    const retry = entry.retry;
    if (!retry) return Promise.reject(new AppError('conflict', `"${info.title}" cannot be retried from here: start it again`));
    if (remedy && !info.remedies?.includes(remedy)) {
      return Promise.reject(new AppError('bad_request', `"${remedy}" does not apply to how "${info.title}" failed`));
    }
    const started = retry(remedy).then(
      (next) => {
        entry.info = { ...entry.info, retriedAs: next, retryable: false };
        this.bus.emit('job.state', {
          job: id,
          kind: entry.info.kind,
          state: entry.info.state,
          ...(entry.info.error ? { error: entry.info.error } : {}),
        });
        const job = this.#jobs.get(next);
        if (!job) throw new AppError('internal', `the retry of "${info.title}" started no job`);
        return job.info;
      },
      (e: unknown) => {
        entry.retrying = undefined;
        throw e;
      },
    );
    entry.retrying = started;
    return started;
  }

  /** Resolves with the job once it is final. */
  wait(id: string): Promise<JobInfo> {
    const entry = this.#jobs.get(id);
    if (!entry) return Promise.reject(new AppError('not_found', `no job "${id}"`));
    return entry.finished;
  }

  /** Cancels every unfinished job and waits for them (host shutdown). */
  async cancelAll(): Promise<void> {
    const open = [...this.#jobs.values()].filter((e) => !FINAL.has(e.info.state));
    for (const e of open) e.controller.abort(new AppError('cancelled', 'host shutting down'));
    await Promise.all(open.map((e) => e.finished));
  }

  #progress(entry: Entry, phase: string, done: number, total: number | null): void {
    if (FINAL.has(entry.info.state)) return;
    const now = this.#now();
    const previous = entry.info.progress;
    const newPhase = previous?.phase !== phase;
    const rate = entry.rate.update(phase, done, now);
    const eta = etaSeconds(done, total, rate);
    const progress: JobProgress = { job: entry.info.id, phase, done, total, rate, eta };
    entry.info = { ...entry.info, progress };
    const complete = total !== null && done >= total;
    // the first units of a phase go out at once: a fast phase (a small index) would otherwise
    // show nothing between 0 and its last report, too late for a pause or cancel to land
    const firstUnits = !newPhase && previous !== undefined && previous.done === 0 && done > 0;
    if (newPhase || firstUnits || complete || now - entry.lastSent >= this.#interval) {
      entry.lastSent = now;
      this.bus.emit('job.progress', progress);
    }
  }

  #setState(entry: Entry, state: JobState, error?: string, remedies?: readonly JobRemedy[]): void {
    const final = FINAL.has(state);
    entry.info = {
      ...entry.info,
      state,
      ...(final ? { finishedAt: this.#now() } : {}),
      ...(error ? { error } : {}),
      ...(remedies ? { remedies } : {}),
      ...(entry.retry && (state === 'failed' || state === 'cancelled') ? { retryable: true } : {}),
    };
    this.bus.emit('job.state', { job: entry.info.id, kind: entry.info.kind, state, ...(error ? { error } : {}) });
  }

  #finish(entry: Entry, state: JobState, error?: string, remedies?: readonly JobRemedy[]): void {
    this.#setState(entry, state, error, remedies);
    if (state === 'failed') this.bus.log('error', `${entry.info.title}: ${error ?? 'failed'}`, entry.info.id);
    entry.resolveFinished(entry.info);
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((e) => FINAL.has(e.info.state));
    for (const e of finished.slice(0, Math.max(0, finished.length - this.#keep))) this.#jobs.delete(e.info.id);
  }
}
