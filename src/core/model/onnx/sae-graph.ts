import type { Sae } from '../../sae/types.ts';
import { attr } from './builder.ts';
import type { Ops } from './ops.ts';

/** A sparse set of latents per token: [B, T, k] values (≥ 0) and int64 feature ids. */
export interface SparseLatents {
  readonly values: string;
  readonly indices: string;
}

/** Names of the SAE's tensors once spliced: everything the variants need. */
export interface SaeNodes {
  /** Dense latents a [B, T, d_sae] (normalised space); emitted on first use. */
  dense(): string;
  /**
   * The nonzero candidates for TopK-style architectures (topk, switch): k per token,
   * so readers never need the dense [B, T, d_sae] tensor. Undefined for elementwise ones.
   */
  readonly sparse?: SparseLatents;
  /** Latents of the features `ids` (int64 [S]) only: [B, T, S]. */
  selected(ids: string): string;
  /** W_dec initializer [d_sae, d_in]. */
  readonly W_dec: string;
  /**
   * The SAE's input as it was trained on it [B, T, d_in]: the hook tensor, minus its mean over
   * d_in when the SAE was trained on TransformerLens's centred weights (`centerWritingWeights`).
   */
  readonly input: string;
  /** x_hat [B, T, d_in], in the space of `input` (de-normalised). */
  reconstruction(): string;
  /** Maps a tensor in the space of `input` back to the hook's (adds the removed mean back). */
  toHook(t: string): string;
  /** Maps a difference in the SAE's (normalised) space back to the model's space. */
  denormDelta(delta: string): string;
}

const once = <T>(f: () => T): (() => T) => {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
};
/** The SAE's tensors as initializers, each emitted once on first use; throws naming a missing one. */
type SaeTensor = (name: keyof Sae['params']) => string;

/** The SAE's config. */
type SaeCfg = Sae['config'];

/** The latents in the forms the variants read them. */
interface Latents {
  readonly sparse: SparseLatents | undefined;
  readonly dense: () => string;
  readonly selected: (ids: string) => string;
}

/**
 * Emits the SAE after a float32 hook tensor [B, T, d_in]: (centre, with `center`) → normalise
 * → encode → latents, and the decode pieces. Pure ONNX ops, so the same graph runs on every execution provider.
 */
export function emitSae(ops: Ops, sae: Sae, hook: string, opts: { readonly center?: boolean } = {}): SaeNodes {
  const { b } = ops;
  const { config: c } = sae;
  const T = saeTensors(ops, sae);
  const zero = once(() => b.scalar('zero', 0));

  // ---- TransformerLens preprocessing: with center_writing_weights every write to the
  // residual stream is mean-centred, so the SAE saw the HF tensor minus its per-token mean.
  const mean0 = opts.center ? ops.reduceMean(hook, [-1]) : undefined;
  const x = mean0 ? ops.sub(hook, mean0) : hook;

  const { xn, denormScale, mu } = normalise(ops, c, x);

  const W_dec = T('W_dec');
  const xc = once(() => (c.applyBDecToInput ? ops.sub(xn, T('b_dec')) : xn));

  const {
    sparse,
    dense: denseFn,
    selected,
  } = c.architecture === 'topk' || c.architecture === 'switch'
    ? sparseLatents(ops, sae, T, xn, xc, zero)
    : elementwiseLatents(ops, sae, T, xc, zero);

  const decodeNorm = once(() => {
    if (sparse) {
      // Σ_j values_j · W_dec[indices_j]: k rows gathered instead of a [d_sae] product
      const rows = ops.gather(W_dec, sparse.indices, 0); // [B, T, k, d_in]
      const y = ops.reduceSum(ops.mul(rows, ops.unsqueeze(sparse.values, [-1])), [2], false);
      return ops.add(y, T('b_dec'));
    }
    return ops.add(ops.matmul(denseFn(), W_dec), T('b_dec'));
  });

  return {
    dense: denseFn,
    ...(sparse ? { sparse } : {}),
    selected,
    W_dec,
    input: x,
    toHook: (t) => (mean0 ? ops.add(t, mean0) : t),
    reconstruction: () => {
      const y = decodeNorm();
      if (c.normalize === 'constant_norm_rescale') return ops.mul(y, denormScale!);
      if (c.normalize === 'layer_norm') return ops.add(ops.mul(y, denormScale!), mu!);
      return y;
    },
    denormDelta: (delta) => (denormScale ? ops.mul(delta, denormScale) : delta),
  };
}

/** The SAE's tensors as initializers (see {@link SaeTensor}). */
function saeTensors(ops: Ops, sae: Sae): SaeTensor {
  const { b } = ops;
  const { config: c, params: p } = sae;
  const cache = new Map<string, string>();
  return (name) => {
    const t = p[name];
    if (!t) throw new Error(`${sae.source.weightsFile}: ${c.architecture} SAE is missing tensor ${name}`);
    let n = cache.get(name);
    if (!n) cache.set(name, (n = b.floats(`sae.${name}`, t.data, t.shape)));
    return n;
  };
}

/**
 * The SAE's input normalisation: x_n, and what undoes it (a model-space delta is multiplied by
 * `denormScale`; layer_norm also adds `mu` back).
 */
function normalise(ops: Ops, c: SaeCfg, x: string): { xn: string; denormScale: string | undefined; mu: string | undefined } {
  const { b } = ops;
  let xn = x;
  let denormScale: string | undefined; // multiply a model-space delta by this
  let mu: string | undefined;
  if (c.normalize === 'constant_norm_rescale') {
    // sc = sqrt(d_in) / ||x||; x_n = x · sc; undo: y / sc
    const norm = b.op('Sqrt', [ops.reduceSum(ops.mul(x, x), [-1])]);
    const inv = ops.div(norm, b.scalar('sqrt_d', Math.sqrt(c.dIn))); // = 1 / sc
    xn = ops.div(x, inv);
    denormScale = inv;
  } else if (c.normalize === 'layer_norm') {
    // (x − μ) / (std + 1e-5) with the unbiased std; undo: y · std + μ
    mu = ops.reduceMean(x, [-1]);
    const xc = ops.sub(x, mu);
    const ss = ops.reduceSum(ops.mul(xc, xc), [-1]);
    const std = b.op('Sqrt', [ops.div(ss, b.scalar('d_minus_1', c.dIn - 1))]);
    xn = ops.div(xc, ops.add(std, b.scalar('eps', 1e-5)));
    denormScale = std;
  }
  return { xn, denormScale, mu };
}

/**
 * TopK-style latents (topk, switch): the k largest scores per token, so readers never need
 * the dense [B, T, d_sae] tensor.
 */
function sparseLatents(ops: Ops, sae: Sae, T: SaeTensor, xn: string, xc: () => string, zero: () => string): Latents {
  const { b } = ops;
  const c = sae.config;
  let scores: string;
  let relu: boolean;
  if (c.architecture === 'topk') {
    scores = encodeAffine(ops, sae, T, xc());
    relu = true; // keep the k largest pre-activations, then ReLU
  } else {
    const nE = c.nExperts ?? 1;
    const per = c.dSae / nE;
    const z = ops.relu(ops.matmul(ops.sub(xn, T('b_dec')), T('W_enc')));
    const probs = b.op('Softmax', [ops.matmul(ops.sub(xn, T('b_router')), T('W_router'))], { axis: attr.int(-1) });
    const pmax = ops.reduceMax(probs, [-1]);
    const pidx = b.op('ArgMax', [probs], { axis: attr.int(-1), keepdims: attr.int(1) });
    const expertOf = b.int64s(
      'expert_of_latent',
      Array.from({ length: c.dSae }, (_, j) => Math.floor(j / per)),
    );
    const chosen = b.op('Equal', [expertOf, pidx]);
    scores = b.op('Where', [chosen, ops.mul(z, pmax), zero()]);
    relu = false;
  }
  const [v, i] = ops.topk(scores, b.int64s('k', [c.k ?? 1]));
  const sparse: SparseLatents = { values: relu ? ops.relu(v) : v, indices: i };
  const sp = sparse;
  const denseFn = once(() =>
    b.op('ScatterElements', [b.op('ConstantOfShape', [b.op('Shape', [scores])]), sp.indices, sp.values], { axis: attr.int(-1) }),
  );
  const selected = (ids: string): string => {
    // a_sel[b,t,s] = Σ_j values[b,t,j] · [indices[b,t,j] = ids[s]]
    const hit = ops.cast(b.op('Equal', [ops.unsqueeze(sp.indices, [-1]), ids]), 1 /* FLOAT */);
    return ops.reduceSum(ops.mul(hit, ops.unsqueeze(sp.values, [-1])), [2], false);
  };
  return { sparse, dense: denseFn, selected };
}

/** Per-latent vectors the elementwise activations read ([d_sae], or gathered to [S]). */
type LatentVec = 'b_enc' | 'threshold' | 'b_gate' | 'b_mag' | 'exp_r_mag';

/** Elementwise latents (standard, jumprelu, gated): each latent from its own column of W_enc. */
function elementwiseLatents(ops: Ops, sae: Sae, T: SaeTensor, xc: () => string, zero: () => string): Latents {
  const { b } = ops;
  const { config: c, params: p } = sae;
  /**
   * Elementwise activation of h = xc·W_enc, reading per-latent vectors through `pick`;
   * `pre` gives h + b_enc (standard, jumprelu).
   */
  const elementwise = (h: () => string, pre: () => string, pick: (name: LatentVec) => string): string => {
    switch (c.architecture) {
      case 'standard':
        return ops.relu(pre());
      case 'jumprelu': {
        const a = pre();
        return ops.relu(b.op('Where', [b.op('Greater', [a, pick('threshold')]), a, zero()]));
      }
      case 'gated': {
        // one MatMul serves both paths: xc·(W_enc ⊙ exp(r_mag)) = (xc·W_enc) ⊙ exp(r_mag)
        const hh = h();
        const gate = b.op('Greater', [ops.add(hh, pick('b_gate')), zero()]);
        const mag = ops.relu(ops.add(ops.mul(hh, pick('exp_r_mag')), pick('b_mag')));
        return b.op('Where', [gate, mag, zero()]);
      }
      default:
        throw new Error(`not an elementwise architecture: ${c.architecture}`);
    }
  };
  const expRMag = once(() => b.floats('sae.exp_r_mag', Float32Array.from(p.r_mag?.data ?? [], Math.exp), [c.dSae]));
  const full = (name: LatentVec): string => (name === 'exp_r_mag' ? expRMag() : T(name));
  const denseFn = once(() => {
    // every variant reads either these dense latents or the selected ones below, never both, so W_enc is stored once
    const h = once(() => ops.matmul(xc(), T('W_enc')));
    return elementwise(h, () => encodeAffine(ops, sae, T, xc()), full);
  });
  // only the selected columns: steering costs S dot products per token, not d_sae
  const selected = (ids: string): string => {
    const pick = (name: LatentVec): string => ops.gather(full(name), ids, 0);
    const h = once(() => ops.matmul(xc(), ops.gather(T('W_enc'), ids, 1)));
    return elementwise(h, () => ops.add(h(), pick('b_enc')), pick);
  };
  return { sparse: undefined, dense: denseFn, selected };
}

/** The largest W_enc (floats) {@link encodeAffine} copies into [W_enc; b_enc]: 256 MB. */
const AFFINE_MAX_FLOATS = 1 << 26;

/**
 * xc·W_enc + b_enc. Up to AFFINE_MAX_FLOATS it is one MatMul, [xc, 1]·[W_enc; b_enc]: the
 * bias rides in the weight's extra row instead of an Add over the [tokens, d_sae] scores, a
 * memory-bound pass that cost ~5% of the encoder's MatMul (24,576 latents, 2-core CPU); MLAS
 * adds that row last, so the sums match MatMul-then-Add to within rounding (bit-identical on
 * the bench's SAE). A larger W_enc keeps the Add: building the variant would hold one more
 * copy of it.
 */
function encodeAffine(ops: Ops, sae: Sae, T: SaeTensor, xc: string): string {
  const { W_enc: w, b_enc: bias } = sae.params;
  if (!bias || w.data.length > AFFINE_MAX_FLOATS) return ops.add(ops.matmul(xc, T('W_enc')), T('b_enc'));
  const [k, n] = w.shape as [number, number];
  const wb = new Float32Array((k + 1) * n);
  wb.set(w.data);
  wb.set(bias.data, k * n);
  return ops.matmul(ops.appendOne(xc), ops.b.floats('sae.W_enc_b_enc', wb, [k + 1, n]));
}
