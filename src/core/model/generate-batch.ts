import type ort from 'onnxruntime-node';
import type { KvCache, ModelRunner } from './runner.ts';
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

/**
 * Generates every row in one batch: one model run per token for all of them (the KV cache
 * carries each row's own past), so n continuations cost about one. Rows share the prompt;
 * a row that has ended keeps being fed (its outputs ignored) until every row has ended.
 */
export async function generateBatch(runner: ModelRunner, args: BatchGenerateArgs): Promise<BatchRowResult[]> {
  const B = args.rows.length;
  const leads = (b: number): boolean => args.rows[b]!.follow === undefined;
  args.rows.forEach((r, b) => {
    if (r.follow !== undefined && !(r.follow >= 0 && r.follow < b && leads(r.follow)))
      throw new RangeError(`row ${b} follows row ${r.follow}, which is not an earlier leading row`);
  });
  const rand = args.rows.map((r) => seededRandom(r.sampling.seed ?? 0));
  const out: { ids: number[]; logprobs: number[]; finish: BatchRowResult['finish'] | null }[] = args.rows.map(() => ({
    ids: [],
    logprobs: [],
    finish: null,
  }));
  const seqs = args.rows.map(() => [...args.promptIds]);
  let feed: number[][] = seqs.map((s) => [...s]);
  let past: KvCache | undefined;
  let start = 0;
  const live = (b: number): boolean => out[b]!.finish === null;

  for (let step = 0; step < args.maxNewTokens && out.some((o) => o.finish === null); step++) {
    if (args.signal?.aborted) break;
    const T = feed[0]!.length;
    const res = await runner.forward({
      ids: feed,
      start,
      ...(past ? { past } : {}),
      ...(args.extraFeeds ? { extra: args.extraFeeds(start, T) } : {}),
    });
    const logits = res.outputs['logits'];
    if (!logits) throw new Error(`${runner.file}: the model has no "logits" output`);
    const steps: RowStep[] = [];
    const picked: number[] = new Array<number>(B).fill(-1);
    for (const lead of [true, false]) {
      for (let b = 0; b < B; b++) {
        if (leads(b) !== lead || !live(b)) continue;
        const lp = logSoftmax(logitsRow(logits, b * T + T - 1));
        const id = lead ? pickToken(lp, args.rows[b]!.sampling, rand[b]!) : picked[args.rows[b]!.follow!]!;
        picked[b] = id;
        steps.push({ row: b, index: step, id, logprob: lp[id]!, dist: lp });
      }
    }
    for (const s of steps) {
      const o = out[s.row]!;
      o.ids.push(s.id);
      o.logprobs.push(s.logprob);
      seqs[s.row]!.push(s.id);
    }
    args.onStep?.(steps);
    for (let b = 0; b < B; b++) {
      if (!leads(b) || !live(b)) continue;
      const o = out[b]!;
      if (args.stopIds?.includes(o.ids.at(-1)!) || args.shouldStop?.(b, o.ids)) o.finish = 'stop';
    }
    // a follower ends with its leader
    for (let b = 0; b < B; b++) if (!leads(b) && live(b) && !live(args.rows[b]!.follow!)) out[b]!.finish = out[args.rows[b]!.follow!]!.finish;
    if (res.present) {
      past = res.present;
      start += T;
      // a row that has ended is fed its last token again: its outputs are ignored from now on
      feed = seqs.map((s) => [s.at(-1)!]);
    } else {
      const len = Math.max(...seqs.map((s) => s.length));
      feed = seqs.map((s) => [...s, ...new Array<number>(len - s.length).fill(s.at(-1)!)]);
      start = 0;
    }
  }
  const cancelled = args.signal?.aborted === true;
  return out.map((o) => ({ ids: o.ids, logprobs: o.logprobs, finish: o.finish ?? (cancelled ? 'cancelled' : 'length') }));
}
