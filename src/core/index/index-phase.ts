/**
 * The index phase of a run (indexer.ts): the corpus's windows, read and tokenized a batch
 * ahead while the current batch's capture runs; captured with an adaptive K; committed batch
 * by batch (the next capture already started) and merged into chunks as they pile up. At the
 * end of the corpus whatever is staged is merged and the progress row moves on to finalize.
 */
import { activations, encodeTokens, pushActivation, type Activations } from './codec.ts';
import { diskFull, emptyCorpus } from './index-errors.ts';
import type { IndexPlan } from './index-settings.ts';
import type { CaptureFn, IndexHooks, IndexJobOptions } from './job-types.ts';
import type { BatchCommit, IndexWriter } from './store.ts';
import type { IndexSettings, Progress } from './types.ts';
import { corpusWindows, type CorpusPosition, type PendingWindow, type WindowOptions } from './windows.ts';

/** Staged activations that trigger a merge into chunks unless the job says otherwise. */
const DEFAULT_MERGE = 1 << 21;

/** What the index phase works with. */
export interface IndexPhaseJob {
  readonly db: string;
  readonly writer: IndexWriter;
  readonly plan: IndexPlan;
  /** The settings in force (a resumed index's own). */
  readonly stored: IndexSettings;
  readonly options: IndexJobOptions;
  readonly hooks: IndexHooks;
  readonly capture: CaptureFn;
  readonly tokenize: WindowOptions['tokenize'];
}

/** A window's capture: the output of the capture call that took it, and its row there. */
interface WindowCapture {
  readonly values: Float32Array;
  readonly indices: Int32Array;
  readonly k: number;
  readonly row: number;
}

/** One run of the index phase, from the progress row it starts at. */
export class IndexPhase {
  /** The progress committed last (the start's until the first commit). */
  p: Progress;
  readonly #job: IndexPhaseJob;
  readonly #gen: AsyncGenerator<PendingWindow, CorpusPosition>;
  /** Tokens of the start (rates count from here). */
  readonly #runStart: number;
  /** The capture K (doubled while too small for an adaptive SAE). */
  #k: number;
  /** Tokens cut short since the last commit. */
  #truncated = 0;
  /** Corpus bytes read so far. */
  #bytesDone = 0;
  /** Where the corpus ended, once it has. */
  #endPosition: CorpusPosition | undefined;
  /** What reading the corpus threw, raised once the batches before it are committed. */
  #genError: unknown;

  constructor(job: IndexPhaseJob, start: Progress) {
    this.#job = job;
    this.p = start;
    const { plan, hooks } = job;
    this.#gen = corpusWindows(plan.corpus, start, start.windows, {
      context: plan.context,
      bosId: plan.bosId,
      maxTokens: job.stored.maxTokens,
      onBadLine: job.options.onBadLine ?? 'stop',
      tokenize: job.tokenize,
      warn: (m) => hooks.log?.('warn', m),
      onBytes: (b) => (this.#bytesDone = b),
    });
    this.#k = start.captureK;
    this.#runStart = start.tokens;
  }

  /** Runs the phase; resolves true when it stopped early, false once the corpus is done and finalize is next. */
  async run(): Promise<boolean> {
    this.#report();
    try {
      if (await this.#pipeline()) return true;
    } finally {
      // closes the corpus files when the loop ends early (cancel, errors)
      await this.#gen.return(this.p);
    }
    await this.#end();
    return false;
  }

  /** Reads, captures and commits batch after batch; true when a stop was asked. */
  async #pipeline(): Promise<boolean> {
    const { hooks } = this.#job;
    let cur = await this.#nextBatch();
    let curCapture = cur ? this.#captureBatch(cur) : undefined;
    // an unobserved rejection must not crash the process while we await something else
    curCapture?.catch(() => {});
    while (cur && curCapture) {
      // read and tokenize ahead while the capture runs
      const next = this.#genError === undefined ? await this.#nextBatch() : undefined;
      const acts = await curCapture;
      await hooks.pausePoint?.();
      const stop = hooks.shouldStop?.() ?? false;
      const nextCapture = next && !stop ? this.#captureBatch(next) : undefined;
      nextCapture?.catch(() => {});
      await this.#commit(cur, acts, nextCapture);
      this.#report();
      if (stop) return true;
      cur = next;
      curCapture = nextCapture;
    }
    if (this.#genError !== undefined) throw this.#genError;
    return false;
  }

  /** The next batch of windows, or undefined at the end of the corpus (or after a read error, kept for later). */
  async #nextBatch(): Promise<PendingWindow[] | undefined> {
    const batchSize = this.#job.stored.batch;
    const ws: PendingWindow[] = [];
    while (ws.length < batchSize && !this.#endPosition && this.#genError === undefined) {
      try {
        const r = await this.#gen.next();
        if (r.done) this.#endPosition = r.value;
        else ws.push(r.value);
      } catch (e) {
        this.#genError = e;
      }
    }
    return ws.length ? ws : undefined;
  }

  /** Captures the windows' latents, doubling an adaptive K until no token is cut short; their activations. */
  async #captureBatch(ws: PendingWindow[]): Promise<Activations> {
    const { capture, plan } = this.#job;
    const { exactK, cap, dSae } = plan;
    // equal-length windows share a capture call (short last windows go on their own)
    const byLen = new Map<number, PendingWindow[]>();
    for (const w of ws) byLen.set(w.ids.length, [...(byLen.get(w.ids.length) ?? []), w]);
    const perWindow = new Map<number, WindowCapture>();
    for (const group of byLen.values()) {
      for (;;) {
        const out = await capture(
          group.map((w) => w.ids),
          this.#k,
        );
        const K = out.k;
        let needMore = false;
        let cut = 0;
        if (K < (exactK ?? dSae)) {
          for (let i = K - 1; i < out.values.length; i += K) if (out.values[i]! > 0) cut++;
        }
        if (cut && cap === null && exactK === undefined && K < dSae) needMore = true;
        if (needMore) {
          this.#k = Math.min(dSae, this.#k * 2);
          continue;
        }
        this.#truncated += cut;
        group.forEach((w, row) => perWindow.set(w.id, { values: out.values, indices: out.indices, k: K, row }));
        break;
      }
    }
    return windowActivations(ws, perWindow, plan.context);
  }

  /**
   * Commits batch `cur` with its progress row, then merges the staged activations when
   * enough have piled up; on failure, lets `nextCapture` settle before throwing.
   */
  async #commit(cur: PendingWindow[], acts: Activations, nextCapture: Promise<Activations> | undefined): Promise<void> {
    const { writer, plan, hooks } = this.#job;
    const p = this.p;
    const last = cur[cur.length - 1]!;
    const after: Progress = {
      ...p,
      ...last.after,
      windows: last.id + 1,
      activations: p.activations + acts.length,
      batches: p.batches + 1,
      stagedActivations: p.stagedActivations + acts.length,
      truncatedTokens: p.truncatedTokens + this.#truncated,
      captureK: this.#k,
    };
    this.#truncated = 0;
    const commit: BatchCommit = {
      documents: cur.flatMap((w) => (w.newDocument ? [w.newDocument] : [])),
      windows: cur.map((w) => ({ id: w.id, doc: w.doc, idx: w.idx, bos: w.bos, tokens: encodeTokens(w.ids) })),
      activations: acts,
      base: cur[0]!.id * plan.context,
      progress: after,
    };
    try {
      writer.commitBatch(commit, plan.dSae);
      this.p = after;
      if (this.p.stagedActivations >= (this.#job.options.mergeActivations ?? DEFAULT_MERGE)) {
        const q = this.p;
        hooks.progress?.({ phase: 'merge', done: q.tokens, total: null, runDone: q.tokens - this.#runStart, batches: q.batches });
        const merged: Progress = { ...q, stagedActivations: 0 };
        writer.mergeStaged(plan.dSae, merged);
        this.p = merged;
      }
    } catch (e) {
      await nextCapture?.catch(() => {});
      diskFull(e, this.#job.db, this.p);
    }
  }

  /** The end of the corpus: merges what is staged and moves on to finalize, atomically. */
  async #end(): Promise<void> {
    const { writer, plan, stored, hooks } = this.#job;
    const p = this.p;
    // (a shard may own no tokens at all: the merge judges the whole corpus)
    if (p.tokens === 0 && !stored.shard) throw emptyCorpus(stored.corpus, { ...p, ...(this.#endPosition ?? {}) });
    // (no cursor: nothing is read any more, and shards and their merge agree on it)
    const end: Progress = { ...p, ...(this.#endPosition ?? {}), phase: 'finalize', stagedActivations: 0, captureK: this.#k, cursor: null };
    try {
      hooks.progress?.({ phase: 'merge', done: p.tokens, total: p.tokens, runDone: p.tokens - this.#runStart, batches: p.batches });
      writer.mergeStaged(plan.dSae, end);
    } catch (e) {
      diskFull(e, this.#job.db, p);
    }
    this.p = end;
  }

  /** Reports the index phase's progress (the total estimated from the bytes read until the corpus ends). */
  #report(): void {
    const { stored, plan, hooks } = this.#job;
    const p = this.p;
    const total =
      stored.maxTokens ??
      (this.#bytesDone > 0 ? Math.max(p.tokens, Math.round((p.tokens * plan.corpus.totalBytes) / this.#bytesDone)) : null);
    hooks.progress?.({
      phase: 'index',
      done: p.tokens,
      total: this.#endPosition ? p.tokens : total,
      runDone: p.tokens - this.#runStart,
      batches: p.batches,
    });
  }
}

/** The batch's activations, at their global positions (window id · context + t), BOS positions left out. */
function windowActivations(ws: readonly PendingWindow[], perWindow: ReadonlyMap<number, WindowCapture>, context: number): Activations {
  const acts = activations(ws.length * context * 8);
  for (const w of ws) {
    const c = perWindow.get(w.id)!;
    const T = w.ids.length;
    const base = w.id * context;
    for (let t = w.bos ? 1 : 0; t < T; t++) {
      const o = (c.row * T + t) * c.k;
      for (let j = 0; j < c.k; j++) {
        const v = c.values[o + j]!;
        if (v > 0) pushActivation(acts, c.indices[o + j]!, base + t, v);
      }
    }
  }
  return acts;
}
