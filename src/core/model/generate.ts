import type ort from 'onnxruntime-node';
import { checkFiniteLogits } from './generation-bounds.ts';
import type { ModelRunner, KvCache } from './runner.ts';
import { logitsRow } from './runner.ts';
import { logSoftmax, pickToken, seededRandom, type SamplingOptions } from './sampling.ts';

/** One generated token as it streams out. */
export interface GeneratedToken {
  readonly index: number;
  readonly id: number;
  /** log-probability of `id` under the model that generated it (temperature 1, before top-k/p). */
  readonly logprob: number;
}

export interface GenerateArgs {
  readonly promptIds: readonly number[];
  readonly maxNewTokens: number;
  readonly sampling?: SamplingOptions;
  /** Generation ends after producing one of these ids (it is kept in the output). */
  readonly stopIds?: readonly number[];
  /** Called with the ids so far after each token; return true to stop (stop sequences). */
  readonly shouldStop?: (ids: readonly number[]) => boolean;
  readonly signal?: AbortSignal;
  readonly onToken?: (t: GeneratedToken) => void;
  /** Extra inputs for the run covering absolute positions [start, start + T) (steering). */
  readonly extraFeeds?: (start: number, T: number) => Record<string, ort.Tensor>;
  /** Called with the log-probabilities of the first generated position (the prompt's next token). */
  readonly onFirstDistribution?: (logprobs: Float64Array) => void;
}

export interface GenerateResult {
  readonly ids: number[];
  readonly logprobs: number[];
  readonly finish: 'length' | 'stop' | 'cancelled';
  /** Seconds per generated token after the first (the prompt pass is excluded). */
  readonly secondsPerToken: number;
}

/**
 * Autoregressive generation: one run per token with the KV cache when the export has one,
 * a full re-run of the sequence otherwise (steering then covers the whole sequence each
 * time, as it would have with a cache).
 */
export async function generate(runner: ModelRunner, args: GenerateArgs): Promise<GenerateResult> {
  const rand = seededRandom(args.sampling?.seed ?? 0);
  const seq = [...args.promptIds];
  const ids: number[] = [];
  const logprobs: number[] = [];
  let past: KvCache | undefined;
  let start = 0;
  let feed: number[] = seq;
  let finish: GenerateResult['finish'] = 'length';
  let tFirst = 0;
  for (let step = 0; step < args.maxNewTokens; step++) {
    if (args.signal?.aborted) {
      finish = 'cancelled';
      break;
    }
    if (step === 1) tFirst = performance.now();
    const T = feed.length;
    const res = await runner.forward({
      ids: [feed],
      start,
      ...(past ? { past } : {}),
      ...(args.extraFeeds ? { extra: args.extraFeeds(start, T) } : {}),
    });
    const logits = res.outputs['logits'];
    if (!logits) throw new Error(`${runner.file}: the model has no "logits" output`);
    const row = logitsRow(logits, T - 1);
    checkFiniteLogits(row, step, args.extraFeeds !== undefined);
    const lp = logSoftmax(row);
    if (step === 0) args.onFirstDistribution?.(lp);
    const id = pickToken(lp, args.sampling ?? {}, rand);
    ids.push(id);
    logprobs.push(lp[id]!);
    seq.push(id);
    args.onToken?.({ index: step, id, logprob: lp[id]! });
    if (args.stopIds?.includes(id) || args.shouldStop?.(ids)) {
      finish = 'stop';
      break;
    }
    if (res.present) {
      past = res.present;
      start += T;
      feed = [id];
    } else {
      feed = seq;
      start = 0;
    }
  }
  const n = ids.length - 1;
  const secondsPerToken = n > 0 && tFirst ? (performance.now() - tFirst) / 1000 / n : 0;
  return { ids, logprobs, finish, secondsPerToken };
}
