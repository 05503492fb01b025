import { attr } from '../../core/model/onnx/builder.ts';
import { DataType } from '../../core/model/onnx/proto.ts';
import type { Emitter } from './emitter.ts';
import type { ResolvedSpec } from './spec.ts';

/**
 * cos/sin [b, 1, t, rotaryDim] from position_ids (HF rotary embedding: angles in float32,
 * inv_freq = theta^(-2i / rotaryDim), both halves alike), cast to the model's float type.
 */
export function rotary(e: Emitter, s: ResolvedSpec, scope: string): [string, string] {
  const rot = s.rotaryDim;
  const half = rot / 2;
  const inv = Array.from({ length: half }, (_, i) => 1 / Math.pow(s.theta, (2 * i) / rot));
  const pos = e.one(scope, 'Cast', ['position_ids'], { to: attr.int(DataType.FLOAT) });
  const pu = e.one(scope, 'Unsqueeze', [pos, e.constI(scope, [-1])]); // [b, t, 1]
  const fr = e.one(scope, 'Mul', [pu, e.constF(scope, inv, [half], 'float32')]); // [b, t, rot/2]
  const emb = e.one(scope, 'Concat', [fr, fr], { axis: attr.int(-1) });
  const heads = (t: string): string =>
    e.one(scope, 'Unsqueeze', [e.dtype === 'float32' ? t : e.cast(scope, t, e.dtype), e.constI(scope, [1])]);
  return [heads(e.one(scope, 'Cos', [emb])), heads(e.one(scope, 'Sin', [emb]))];
}

/**
 * x·cos + rotate_half(x)·sin over the first `rot` dimensions of each head (rotate_half(x) =
 * [-x₂, x₁] over the two halves); with partial rotary (GPT-NeoX) the rest passes through and is
 * concatenated back.
 */
export function applyRope(e: Emitter, scope: string, x: string, cos: string, sin: string, hd: number, rot = hd): string {
  const axes = e.constI(scope, [-1]);
  const slice = (t: string, from: number, to: number): string =>
    e.one(scope, 'Slice', [t, e.constI(scope, [from]), e.constI(scope, [to]), axes]);
  const xr = rot === hd ? x : slice(x, 0, rot);
  const half = rot / 2;
  const x1 = slice(xr, 0, half);
  const x2 = slice(xr, half, rot);
  const rh = e.one(scope, 'Concat', [e.one(scope, 'Neg', [x2]), x1], { axis: attr.int(-1) });
  const y = e.one(scope, 'Add', [e.one(scope, 'Mul', [xr, cos]), e.one(scope, 'Mul', [rh, sin])]);
  return rot === hd ? y : e.one(scope, 'Concat', [y, slice(x, rot, hd)], { axis: attr.int(-1) });
}
