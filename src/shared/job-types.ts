/** Jobs as every client sees them: their states, progress and the remedies a failed one offers. */
import { z } from 'zod';

/** The life of a job. `done`, `failed` and `cancelled` are final. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Every job state, for schemas. */
export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const satisfies readonly JobState[];

/**
 * Ways a failed job can be retried so that it does not fail the same way, as the job itself
 * knows them: `replace-invalid-utf8` reads bytes that are not UTF-8 as U+FFFD (the CLI's
 * `--invalid-utf8 replace`).
 */
export const jobRemedies = ['replace-invalid-utf8'] as const;

/** One of the job remedies. */
export type JobRemedy = (typeof jobRemedies)[number];

/** A job as listed: identity, state and its latest progress. */
export interface JobInfo {
  /** Unique within this process. */
  readonly id: string;
  /** What kind of work, e.g. `index`, `download`, `eval`. */
  readonly kind: string;
  /** A short human title, e.g. "Index gpt2-small / res-jb L8 over pile-10k". */
  readonly title: string;
  readonly state: JobState;
  /** The latest progress, when the job has reported any. */
  readonly progress?: JobProgress;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly finishedAt?: number;
  /** One line, when state is `failed`. */
  readonly error?: string;
  /** True when `jobs.retry` can run a failed or cancelled job again (an index resumes where it stopped). */
  readonly retryable?: boolean;
  /** Retries that avoid this failure, when the job knows one. */
  readonly remedies?: readonly JobRemedy[];
  /** The job that retried this one. */
  readonly retriedAs?: string;
}

/** The data of a `job.progress` event. */
export const jobProgress = z.object({
  /** The job's id. */
  job: z.string(),
  /** What the job is doing now, e.g. `tokenize`, `encode`, `stats`. */
  phase: z.string(),
  /** Units finished in this phase. */
  done: z.number().nonnegative(),
  /** Units in this phase, or null when unknown. */
  total: z.number().nonnegative().nullable(),
  /** Units per second over this phase so far. */
  rate: z.number().nonnegative(),
  /** Seconds left in this phase, or null when unknown. */
  eta: z.number().nonnegative().nullable(),
});

/** Progress of a running job (`job.progress` event). */
export type JobProgress = z.infer<typeof jobProgress>;
