export { seededRandom } from '../util/random.ts';

/** How the next token is picked. Greedy unless a temperature > 0 is given. */
export interface SamplingOptions {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  /** Same seed, same output. */
  readonly seed?: number;
}

/** log-softmax in float64 (logits of a 256k vocabulary lose too much in float32). */
export function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/**
 * Picks the next id from log-probabilities: greedy, or temperature / top-k / top-p
 * sampling driven by `rand`.
 */
export function pickToken(logprobs: Float64Array, opts: SamplingOptions, rand: () => number): number {
  const temp = opts.temperature ?? 0;
  if (!(temp > 0)) return argmax(logprobs);
  let order = Array.from(logprobs.keys()).sort((a, b) => logprobs[b]! - logprobs[a]!);
  if (opts.topK && opts.topK > 0) order = order.slice(0, opts.topK);
  const scaled = order.map((i) => logprobs[i]! / temp);
  const m = scaled[0]!;
  let probs = scaled.map((v) => Math.exp(v - m));
  let z = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / z);
  if (opts.topP !== undefined && opts.topP > 0 && opts.topP < 1) {
    let acc = 0;
    let cut = probs.length;
    for (let i = 0; i < probs.length; i++) {
      acc += probs[i]!;
      if (acc >= opts.topP) {
        cut = i + 1;
        break;
      }
    }
    probs = probs.slice(0, cut);
    order = order.slice(0, cut);
    z = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / z);
  }
  let r = rand();
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i]!;
    if (r < 0) return order[i]!;
  }
  return order[order.length - 1]!;
}
