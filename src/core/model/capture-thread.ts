/**
 * An engine's capture thread (capture-worker.ts): the capture graphs' sessions live there, so
 * a capture (an index job's windows, a text's latents) never holds the engine's own thread,
 * and the app's thread keeps answering requests while the app's engine indexes. One session
 * per graph, as on the engine's thread: this moves the sessions, it does not copy the model.
 */
import type { Worker } from 'node:worker_threads';
import { AppError } from '#shared/reply.ts';
import { rebuiltError, spawnWorker, workerEntry, type WorkerFailure } from '../kernel/worker-thread.ts';
import type { CaptureResult } from './capture-split.ts';
import type { ProviderName } from './providers.ts';

/** What the thread starts with. */
export interface CaptureThreadData {
  readonly providers: readonly ProviderName[];
  /** The model's config.json (KV-cache dims the export leaves symbolic). */
  readonly config: Record<string, unknown>;
}

/** Requests that get an answer, in the order asked. `file` is a capture graph (variant-cache.ts). */
export type CaptureRequest =
  | { readonly type: 'open'; readonly file: string }
  | {
      readonly type: 'capture';
      readonly file: string;
      readonly rows: readonly (readonly number[])[];
      readonly K: number;
      readonly reconstruction: boolean;
    };

/** What the thread is sent. */
export type ToCaptureThread = (CaptureRequest & { readonly id: number }) | { readonly type: 'close' };

/** Answers. */
export type FromCaptureThread =
  | { readonly type: 'opened'; readonly id: number }
  | { readonly type: 'captured'; readonly id: number; readonly result: CaptureResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: WorkerFailure }
  | { readonly type: 'closed' };

type Pending = { readonly resolve: (r: CaptureResult | undefined) => void; readonly reject: (e: Error) => void };

/**
 * The engine's side of its capture thread. A thread that dies (an uncaught error, a worker
 * that exits) fails the calls it had been asked; the next call starts a fresh thread, whose
 * sessions are created again on first use, so an engine that loses its thread mid-index goes
 * on once the job is resumed. A thread that never answered is not restarted: it fails the
 * same way again (a binding that does not load), so every later call fails with its reason.
 */
export class CaptureThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private worker!: Worker;
  private failed: Error | undefined;
  /** Whether the current thread has answered a request (so a restart may help). */
  private answered = false;
  private closing = false;
  private exited!: Promise<void>;
  /** Threads started after the first died. */
  restarts = 0;

  private constructor(private readonly data: CaptureThreadData) {
    this.spawn();
  }

  private spawn(): void {
    const worker = spawnWorker(workerEntry(import.meta.url, './capture-worker.ts', 'capture-worker'), this.data satisfies CaptureThreadData);
    this.worker = worker;
    this.failed = undefined;
    this.answered = false;
    worker.on('message', (m: FromCaptureThread) => {
      // its sessions are released: nothing is left to wait for
      if (m.type === 'closed') return void worker.terminate();
      this.answered = true;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'failed') p?.reject(rebuiltError(m.error));
      else p?.resolve(m.type === 'captured' ? m.result : undefined);
    });
    const fail = (e: Error): void => {
      if (this.worker !== worker) return;
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
    };
    worker.on('error', fail);
    this.exited = new Promise((resolve) =>
      worker.on('exit', (code) => {
        fail(new AppError('internal', `the engine's capture thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  /** Starts the thread (its sessions are created by `open` or the first capture). */
  static start(data: CaptureThreadData): CaptureThread {
    return new CaptureThread(data);
  }

  private ask(m: CaptureRequest): Promise<CaptureResult | undefined> {
    if (this.failed && this.answered && !this.closing) {
      this.restarts++;
      this.spawn();
    }
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id } satisfies ToCaptureThread);
    });
  }

  /** Ends the thread at once, as a crash would (tests of what follows one). */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  /** Creates the session of capture graph `file` (a bad graph fails here). */
  async open(file: string): Promise<void> {
    await this.ask({ type: 'open', file });
  }

  /** Runs capture graph `file` on equal-length rows (see runCapture). */
  async capture(file: string, rows: readonly (readonly number[])[], K: number, reconstruction: boolean): Promise<CaptureResult> {
    const r = await this.ask({ type: 'capture', file, rows, K, reconstruction });
    if (!r) throw new AppError('internal', 'the capture thread answered a capture without its latents');
    return r;
  }

  /** Releases the sessions and ends the thread, after the calls already asked. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.failed) this.worker.postMessage({ type: 'close' } satisfies ToCaptureThread);
    await this.exited;
  }
}
