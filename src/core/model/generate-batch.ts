import type ort from 'onnxruntime-node';
import { checkFiniteLogits } from './generation-bounds.ts';
import type { ForwardResult, KvCache, ModelRunner } from './runner.ts';
import { logitsRow } from './runner.ts';
import { logSoftmax, pickToken, seededRandom, type SamplingOptions } from './sampling.ts';

/** One row of a batched generation. */
export interface BatchRow {
  /** How this row picks its tokens (its own seed); unused by a follower. */
  readonly sampling: SamplingOptions;
  /**
   * Teacher forcing: this row is fed the tokens row `follow` picks, and picks none itself,
   * so its distributions are its own model's on the other row's text (e.g. the unsteered
   * model reading a steered continuation). `follow` must name an earlier, leading row.
   */
  readonly follow?: number;
}

/** What one row did at one step. */
export interface RowStep {
  readonly row: number;
  /** Generated position, from 0. */
  readonly index: number;
  /** The token the row picked (a follower: its leader's token). */
  readonly id: number;
  /** log-probability of `id` under this row's distribution (temperature 1). */
  readonly logprob: number;
  /** This row's log-probabilities over the vocabulary at this step. */
  readonly dist: Float64Array;
  /** A follower's probabilities (exp of `dist`), computed with it in the same pass. */
  readonly probs?: Float64Array;
}

/** One row's continuation. */
export interface BatchRowResult {
  readonly ids: number[];
  readonly logprobs: number[];
  readonly finish: 'length' | 'stop' | 'cancelled';
}

export interface BatchGenerateArgs {
  readonly promptIds: readonly number[];
  readonly rows: readonly BatchRow[];
  readonly maxNewTokens: number;
  /** A leading row ends after producing one of these ids (it is kept in its output). */
  readonly stopIds?: readonly number[];
  /** Called with a leading row's ids after each of its tokens; true ends that row (stop sequences). */
  readonly shouldStop?: (row: number, ids: readonly number[]) => boolean;
  readonly signal?: AbortSignal;
  /** Extra inputs for the run covering absolute positions [start, start + T), all rows at once (steering). */
  readonly extraFeeds?: (start: number, T: number) => Record<string, ort.Tensor>;
  /** Called after every step with each row still going, leaders first. */
  readonly onStep?: (step: readonly RowStep[]) => void;
}
/** One row's output so far; `finish` is null while the row is going. */
interface RowOut {
  readonly ids: number[];
  readonly logprobs: number[];
  finish: BatchRowResult['finish'] | null;
}

/** The next run's inputs: the tokens fed to each row, their first absolute position, and the cache before them. */
interface FeedState {
  feed: number[][];
  past: KvCache | undefined;
  start: number;
}

/** The tokens the leading rows picked at one step. */
interface Picks {
  /** Per row: the token it picked (-1 for followers and rows that have ended). */
  readonly picked: number[];
  /** Log-probabilities already computed (a sampling row needs them to pick). */
  readonly dists: Map<number, Float64Array>;
  /** The leading rows that picked a token, in order. */
  readonly leaders: number[];
}

/**
 * Generates every row in one batch: one model run per token for all of them (the KV cache
 * carries each row's own past), so n continuations cost about one. Rows share the prompt;
 * a row that has ended keeps being fed (its outputs ignored) until every row has ended.
 */
export async function generateBatch(runner: ModelRunner, args: BatchGenerateArgs): Promise<BatchRowResult[]> {
  checkFollows(args.rows);
  const rand = args.rows.map((r) => seededRandom(r.sampling.seed ?? 0));
  const out: RowOut[] = args.rows.map(() => ({
    ids: [],
    logprobs: [],
    finish: null,
  }));
  const seqs = args.rows.map(() => [...args.promptIds]);
  const st: FeedState = { feed: seqs.map((s) => [...s]), past: undefined, start: 0 };
  const forward = (): Promise<ForwardResult> => {
    const T = st.feed[0]!.length;
    return runner.forward({
      ids: st.feed,
      start: st.start,
      ...(st.past ? { past: st.past } : {}),
      ...(args.extraFeeds ? { extra: args.extraFeeds(st.start, T) } : {}),
    });
  };
  /**
   * The next step's run, started as soon as this step's tokens are picked: the log-probabilities
   * (of greedy rows and of followers) are computed while it runs.
   */
  let pending: Promise<ForwardResult> | null = null;
  try {
    for (let step = 0; step < args.maxNewTokens && out.some((o) => o.finish === null); step++) {
      if (args.signal?.aborted) break;
      const T = st.feed[0]!.length;
      const res = await (pending ?? forward());
      pending = null;
      const logits = res.outputs['logits'];
      if (!logits) throw new Error(`${runner.file}: the model has no "logits" output`);
      const going = out.map((o) => o.finish === null);
      const row = (b: number): Float32Array => {
        const r = logitsRow(logits, b * T + T - 1);
        checkFiniteLogits(r, step, args.extraFeeds !== undefined);
        return r;
      };
      const picks = pickLeaders(args.rows, going, row, rand, out, seqs);
      // a follower is fed its leader's token; its own distribution is read below
      const followers = args.rows.flatMap((r, b) => (r.follow !== undefined && going[b] ? [b] : []));
      for (const b of followers) seqs[b]!.push(picks.picked[args.rows[b]!.follow!]!);
      endRows(args, going, followers, out);
      advanceFeed(st, res, seqs, T);
      if (step + 1 < args.maxNewTokens && out.some((o) => o.finish === null) && !args.signal?.aborted) {
        pending = forward();
        pending.catch(() => undefined); // awaited next step; a failure there is thrown there
      }
      // while it runs: the log-probabilities of this step
      const steps = recordStep(args.rows, step, picks, followers, row, out);
      args.onStep?.(steps);
    }
  } finally {
    // never leave a run going on the session after returning (the engine may close it next)
    if (pending) await pending.catch(() => undefined);
  }
  const cancelled = args.signal?.aborted === true;
  return out.map((o) => ({ ids: o.ids, logprobs: o.logprobs, finish: o.finish ?? (cancelled ? 'cancelled' : 'length') }));
}

/** True when row `b` picks its own tokens (it follows no other row). */
function leads(rows: readonly BatchRow[], b: number): boolean {
  return rows[b]!.follow === undefined;
}

/** Throws unless every follower follows an earlier leading row. */
function checkFollows(rows: readonly BatchRow[]): void {
  rows.forEach((r, b) => {
    if (r.follow !== undefined && !(r.follow >= 0 && r.follow < b && leads(rows, r.follow)))
      throw new RangeError(`row ${b} follows row ${r.follow}, which is not an earlier leading row`);
  });
}

/** Each leading row still going picks its next token (from `row(b)`, its logits), appended to its output and sequence. */
function pickLeaders(
  rows: readonly BatchRow[],
  going: readonly boolean[],
  row: (b: number) => Float32Array,
  rand: readonly (() => number)[],
  out: RowOut[],
  seqs: number[][],
): Picks {
  const B = rows.length;
  const picked: number[] = new Array<number>(B).fill(-1);
  const dists = new Map<number, Float64Array>();
  const leaders: number[] = [];
  for (let b = 0; b < B; b++) {
    if (!leads(rows, b) || !going[b]) continue;
    const r = row(b);
    const sampling = rows[b]!.sampling;
    let id: number;
    if ((sampling.temperature ?? 0) > 0) {
      const lp = logSoftmax(r);
      dists.set(b, lp);
      id = pickToken(lp, sampling, rand[b]!);
    } else {
      id = argmax(r); // greedy: the largest logit is the most likely token; log-probabilities can wait
    }
    picked[b] = id;
    leaders.push(b);
    out[b]!.ids.push(id);
    seqs[b]!.push(id);
  }
  return { picked, dists, leaders };
}

/** Ends the leading rows that produced a stop id or a stop sequence, and the followers of rows that have ended. */
function endRows(args: BatchGenerateArgs, going: readonly boolean[], followers: readonly number[], out: RowOut[]): void {
  for (let b = 0; b < args.rows.length; b++) {
    if (!leads(args.rows, b) || !going[b]) continue;
    const o = out[b]!;
    if (args.stopIds?.includes(o.ids.at(-1)!) || args.shouldStop?.(b, o.ids)) o.finish = 'stop';
  }
  // a follower ends with its leader
  const live = (b: number): boolean => out[b]!.finish === null;
  for (const b of followers) if (!live(args.rows[b]!.follow!)) out[b]!.finish = out[args.rows[b]!.follow!]!.finish;
}

/** What the next run is fed: each row's last token over the returned cache, or (no cache) every row's whole sequence again. */
function advanceFeed(st: FeedState, res: ForwardResult, seqs: readonly number[][], T: number): void {
  if (res.present) {
    st.past = res.present;
    st.start += T;
    // a row that has ended is fed its last token again: its outputs are ignored from now on
    st.feed = seqs.map((s) => [s.at(-1)!]);
  } else {
    const len = Math.max(...seqs.map((s) => s.length));
    st.feed = seqs.map((s) => [...s, ...new Array<number>(len - s.length).fill(s.at(-1)!)]);
    st.start = 0;
  }
}

/** The log-probabilities of this step's tokens, leaders then followers: recorded in `out` and returned for onStep. */
function recordStep(
  rows: readonly BatchRow[],
  step: number,
  picks: Picks,
  followers: readonly number[],
  row: (b: number) => Float32Array,
  out: RowOut[],
): RowStep[] {
  const { picked, dists, leaders } = picks;
  const steps: RowStep[] = [];
  for (const b of [...leaders, ...followers]) {
    const both = leads(rows, b) ? null : softmaxBoth(row(b));
    const lp = both?.lp ?? dists.get(b) ?? logSoftmax(row(b));
    const id = picked[leads(rows, b) ? b : rows[b]!.follow!]!;
    steps.push({ row: b, index: step, id, logprob: lp[id]!, dist: lp, ...(both ? { probs: both.p } : {}) });
    if (!leads(rows, b)) out[b]!.ids.push(id);
    out[b]!.logprobs.push(lp[id]!);
  }
  return steps;
}

/** Index of the largest value (the first of equal ones), as greedy picking takes it. */
function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/**
 * Log-probabilities (exactly as logSoftmax computes them) and probabilities in one pass of
 * exp, for rows whose probabilities are needed too (a KL against them).
 */
function softmaxBoth(logits: Float32Array): { lp: Float64Array; p: Float64Array } {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const lp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lp[i] = logits[i]! - lse;
    p[i] = p[i]! / sum;
  }
  return { lp, p };
}
