import ort from 'onnxruntime-node';
import { SaeIO, SteerModeCode } from '../model/onnx/variants.ts';

/** How an intervention changes latent i: set it, add strength × W_dec[i], or multiply it. */
export type SteerMode = keyof typeof SteerModeCode;

/** [from, to) in absolute positions. */
export interface PositionRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Token positions an intervention applies to: a range is [from, to) in absolute positions;
 * `spans` are prompt ranges (e.g. the text of a chat's user messages) plus, with
 * `generated`, every generated position.
 */
export type PositionSpec =
  'all' | 'prompt' | 'generated' | PositionRange | { readonly spans: readonly PositionRange[]; readonly generated: boolean };

/** One latent intervention. `value` is the clamp value, the add strength or the scale factor. */
export interface Intervention {
  readonly feature: number;
  readonly mode: SteerMode;
  readonly value: number;
  readonly positions?: PositionSpec;
}

/** True when an intervention with these positions applies at absolute position `pos`. */
export function applies(spec: PositionSpec | undefined, pos: number, promptLength: number): boolean {
  if (!spec || spec === 'all') return true;
  if (spec === 'prompt') return pos < promptLength;
  if (spec === 'generated') return pos >= promptLength;
  if ('spans' in spec) return pos >= promptLength ? spec.generated : spec.spans.some((r) => pos >= r.from && pos < r.to);
  return pos >= spec.from && pos < spec.to;
}

/** Checks feature ids against the SAE width; the message says what to do. */
export function validateInterventions(list: readonly Intervention[], dSae: number): void {
  for (const iv of list) {
    if (!Number.isInteger(iv.feature) || iv.feature < 0 || iv.feature >= dSae) {
      throw new RangeError(`feature ${iv.feature} is out of range: this SAE has features 0–${dSae - 1}`);
    }
    if (!Number.isFinite(iv.value)) throw new RangeError(`feature ${iv.feature}: value must be a finite number`);
  }
}

/**
 * The steer variant's inputs for one run covering absolute positions [start, start + T):
 * ids, values, mode codes and a [1, S, T] position mask (the same steering for every row).
 */
export function steerFeeds(list: readonly Intervention[], promptLength: number, start: number, T: number): Record<string, ort.Tensor> {
  return rowSteerFeeds([list], promptLength, start, T);
}

/**
 * The steer variant's inputs for a batch whose rows steer differently: the interventions
 * of every row side by side (S in all) and a [B, S, T] mask in which row b has ones only
 * for its own interventions, where their positions apply. A row with none runs unsteered
 * (its hook tensor passes through exactly).
 */
export function rowSteerFeeds(
  rows: readonly (readonly Intervention[])[],
  promptLength: number,
  start: number,
  T: number,
): Record<string, ort.Tensor> {
  const list = rows.flat();
  const S = list.length;
  const B = rows.length;
  const mask = new Float32Array(B * S * T);
  let s0 = 0;
  rows.forEach((ivs, b) => {
    ivs.forEach((iv, j) => {
      const at = (b * S + s0 + j) * T;
      for (let t = 0; t < T; t++) mask[at + t] = applies(iv.positions, start + t, promptLength) ? 1 : 0;
    });
    s0 += ivs.length;
  });
  return {
    [SaeIO.steerIds]: new ort.Tensor(
      'int64',
      BigInt64Array.from(list, (iv) => BigInt(iv.feature)),
      [S],
    ),
    [SaeIO.steerValues]: new ort.Tensor(
      'float32',
      Float32Array.from(list, (iv) => iv.value),
      [S],
    ),
    [SaeIO.steerModes]: new ort.Tensor(
      'int64',
      BigInt64Array.from(list, (iv) => BigInt(SteerModeCode[iv.mode])),
      [S],
    ),
    [SaeIO.steerMask]: new ort.Tensor('float32', mask, [B, S, T]),
  };
}
