import { resolveSpec, type ModelSpec, type ResolvedSpec } from './spec.ts';
import { weight, type ModelWeights } from './weights.ts';

/** What `referenceForward` computes for one sequence. */
export interface ReferenceResult {
  /** `blocks.L.hook_resid_pre|mid|post` → [T, d] row-major. */
  readonly hooks: Map<string, Float32Array>;
  /** [T, vocab] row-major. */
  readonly logits: Float32Array;
}

type Vec = Float64Array;

/**
 * The model's forward pass in plain loops (float64), independent of any ONNX graph: one
 * sequence, positions 0..T-1, no padding. It follows refgen.py's PyTorch modules and is the
 * yardstick the written graphs are checked against.
 */
export function referenceForward(weights: ModelWeights, spec: ModelSpec | ResolvedSpec, ids: readonly number[]): ReferenceResult {
  const s = 'headDim' in spec ? spec : resolveSpec(spec);
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= s.vocab) throw new Error(`token id ${id} outside the vocabulary`);
  return s.family === 'gpt2' ? gpt2Forward(weights, s, ids) : llamaForward(weights, s, ids);
}

const W = (w: ModelWeights, name: string): Float32Array => weight(w, name).data;

/** y = x M (+ b) for M [in, out] row-major. */
function matIn(x: Vec, m: Float32Array, inp: number, out: number, b?: Float32Array): Vec {
  const y = new Float64Array(out);
  for (let i = 0; i < inp; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * out;
    for (let j = 0; j < out; j++) y[j]! += xi * m[row + j]!;
  }
  if (b) for (let j = 0; j < out; j++) y[j]! += b[j]!;
  return y;
}

/** y = x Mᵀ for M [out, in] row-major (torch Linear). */
function matOut(x: Vec, m: Float32Array, inp: number, out: number): Vec {
  const y = new Float64Array(out);
  for (let j = 0; j < out; j++) {
    let acc = 0;
    const row = j * inp;
    for (let i = 0; i < inp; i++) acc += x[i]! * m[row + i]!;
    y[j] = acc;
  }
  return y;
}

function layerNorm(x: Vec, g: Float32Array, b: Float32Array, eps: number): Vec {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  const inv = 1 / Math.sqrt(v / n + eps);
  return Float64Array.from(x, (xi, i) => (xi - mean) * inv * g[i]! + b[i]!);
}

function rmsNorm(x: Vec, g: Float32Array, eps: number, plusOne: boolean): Vec {
  let ms = 0;
  for (let i = 0; i < x.length; i++) ms += x[i]! * x[i]!;
  const inv = 1 / Math.sqrt(ms / x.length + eps);
  return Float64Array.from(x, (xi, i) => xi * inv * ((plusOne ? 1 : 0) + g[i]!));
}

const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number): number => x / (1 + Math.exp(-x));

/**
 * Causal attention for all positions. q[t] holds `heads` head vectors, k[t]/v[t] hold `kvHeads`
 * (query head h reads kv head ⌊h / (heads / kvHeads)⌋). Returns [T] rows of heads·hd.
 */
function causalAttention(q: Vec[], k: Vec[], v: Vec[], heads: number, kvHeads: number, hd: number): Vec[] {
  const T = q.length;
  const rep = heads / kvHeads;
  const scale = 1 / Math.sqrt(hd);
  const out: Vec[] = [];
  for (let t = 0; t < T; t++) {
    const y = new Float64Array(heads * hd);
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / rep);
      const sc = new Float64Array(t + 1);
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += q[t]![h * hd + i]! * k[j]![g * hd + i]!;
        sc[j] = dot * scale;
        if (sc[j]! > max) max = sc[j]!;
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) sum += sc[j] = Math.exp(sc[j]! - max);
      for (let j = 0; j <= t; j++) {
        const p = sc[j]! / sum;
        for (let i = 0; i < hd; i++) y[h * hd + i]! += p * v[j]![g * hd + i]!;
      }
    }
    out.push(y);
  }
  return out;
}

function record(hooks: Map<string, Float32Array>, name: string, rows: Vec[]): void {
  const d = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, t) => out.set(r, t * d));
  hooks.set(name, out);
}

function gpt2Forward(w: ModelWeights, s: ResolvedSpec, ids: readonly number[]): ReferenceResult {
  const { d, ffn, vocab } = s;
  const T = ids.length;
  const hooks = new Map<string, Float32Array>();
  const wte = W(w, 'transformer.wte.weight');
  const wpe = W(w, 'transformer.wpe.weight');
  let x: Vec[] = ids.map((id, t) => Float64Array.from({ length: d }, (_, i) => wte[id * d + i]! + wpe[t * d + i]!));
  for (let L = 0; L < s.layers; L++) {
    const p = `transformer.h.${L}`;
    record(hooks, `blocks.${L}.hook_resid_pre`, x);
    const qkv = x.map((r) => matIn(layerNorm(r, W(w, `${p}.ln_1.weight`), W(w, `${p}.ln_1.bias`), s.eps), W(w, `${p}.attn.c_attn.weight`), d, 3 * d, W(w, `${p}.attn.c_attn.bias`)));
    const y = causalAttention(
      qkv.map((r) => r.subarray(0, d)),
      qkv.map((r) => r.subarray(d, 2 * d)),
      qkv.map((r) => r.subarray(2 * d)),
      s.heads,
      s.heads,
      s.headDim,
    );
    x = x.map((r, t) => add(r, matIn(y[t]!, W(w, `${p}.attn.c_proj.weight`), d, d, W(w, `${p}.attn.c_proj.bias`))));
    record(hooks, `blocks.${L}.hook_resid_mid`, x);
    x = x.map((r) => {
      const h = matIn(layerNorm(r, W(w, `${p}.ln_2.weight`), W(w, `${p}.ln_2.bias`), s.eps), W(w, `${p}.mlp.c_fc.weight`), d, ffn, W(w, `${p}.mlp.c_fc.bias`));
      return add(r, matIn(h.map(geluTanh), W(w, `${p}.mlp.c_proj.weight`), ffn, d, W(w, `${p}.mlp.c_proj.bias`)));
    });
    record(hooks, `blocks.${L}.hook_resid_post`, x);
  }
  const logits = new Float32Array(T * vocab);
  x.forEach((r, t) => logits.set(matOut(layerNorm(r, W(w, 'transformer.ln_f.weight'), W(w, 'transformer.ln_f.bias'), s.eps), wte, d, vocab), t * vocab));
  return { hooks, logits };
}

function llamaForward(w: ModelWeights, s: ResolvedSpec, ids: readonly number[]): ReferenceResult {
  const { d, ffn, vocab, headDim: hd, heads, kvHeads } = s;
  const gemma = s.family === 'gemma';
  const T = ids.length;
  const hooks = new Map<string, Float32Array>();
  const emb = W(w, 'model.embed_tokens.weight');
  const scale = gemma ? Math.sqrt(d) : 1;
  let x: Vec[] = ids.map((id) => Float64Array.from({ length: d }, (_, i) => emb[id * d + i]! * scale));
  // rotary tables: angle(t, i) = t / theta^(2i / hd), duplicated over both halves
  const half = hd / 2;
  const rope = (r: Vec, t: number, nh: number): Vec => {
    const out = new Float64Array(r.length);
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < hd; i++) {
        const a = t / Math.pow(s.theta, (2 * (i % half)) / hd);
        const rot = i < half ? -r[h * hd + i + half]! : r[h * hd + i - half]!;
        out[h * hd + i] = r[h * hd + i]! * Math.cos(a) + rot * Math.sin(a);
      }
    }
    return out;
  };
  const norm = (r: Vec, name: string): Vec => rmsNorm(r, W(w, name), s.eps, gemma);
  for (let L = 0; L < s.layers; L++) {
    const p = `model.layers.${L}`;
    const lin = (r: Vec, name: string, out: number, inp: number): Vec => matOut(r, W(w, `${p}.${name}.weight`), inp, out);
    record(hooks, `blocks.${L}.hook_resid_pre`, x);
    const n1 = x.map((r) => norm(r, `${p}.input_layernorm.weight`));
    const q = n1.map((r, t) => rope(lin(r, 'self_attn.q_proj', heads * hd, d), t, heads));
    const k = n1.map((r, t) => rope(lin(r, 'self_attn.k_proj', kvHeads * hd, d), t, kvHeads));
    const v = n1.map((r) => lin(r, 'self_attn.v_proj', kvHeads * hd, d));
    const y = causalAttention(q, k, v, heads, kvHeads, hd);
    x = x.map((r, t) => add(r, lin(y[t]!, 'self_attn.o_proj', d, heads * hd)));
    record(hooks, `blocks.${L}.hook_resid_mid`, x);
    x = x.map((r) => {
      const n2 = norm(r, `${p}.post_attention_layernorm.weight`);
      const g = lin(n2, 'mlp.gate_proj', ffn, d);
      const u = lin(n2, 'mlp.up_proj', ffn, d);
      const h = g.map((gi, i) => (gemma ? geluTanh(gi) : silu(gi)) * u[i]!);
      return add(r, lin(h, 'mlp.down_proj', d, ffn));
    });
    record(hooks, `blocks.${L}.hook_resid_post`, x);
  }
  const un = gemma ? emb : W(w, 'lm_head.weight');
  const logits = new Float32Array(T * vocab);
  x.forEach((r, t) => logits.set(matOut(norm(r, 'model.norm.weight'), un, d, vocab), t * vocab));
  return { hooks, logits };
}

function add(a: Vec, b: Vec): Vec {
  return Float64Array.from(a, (v, i) => v + b[i]!);
}
