import ort from 'onnxruntime-node';
import { SaeIO, SteerModeCode } from '../model/onnx/variants.ts';

/** How an intervention changes latent i: set it, add strength × W_dec[i], or multiply it. */
export type SteerMode = keyof typeof SteerModeCode;

/** Token positions an intervention applies to: a range is [from, to) in absolute positions. */
export type PositionSpec = 'all' | 'prompt' | 'generated' | { readonly from: number; readonly to: number };

/** One latent intervention. `value` is the clamp value, the add strength or the scale factor. */
export interface Intervention {
  readonly feature: number;
  readonly mode: SteerMode;
  readonly value: number;
  readonly positions?: PositionSpec;
}

function applies(spec: PositionSpec | undefined, pos: number, promptLength: number): boolean {
  if (!spec || spec === 'all') return true;
  if (spec === 'prompt') return pos < promptLength;
  if (spec === 'generated') return pos >= promptLength;
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
 * ids, values, mode codes and an [S, T] position mask.
 */
export function steerFeeds(
  list: readonly Intervention[],
  promptLength: number,
  start: number,
  T: number,
): Record<string, ort.Tensor> {
  const S = list.length;
  const mask = new Float32Array(S * T);
  list.forEach((iv, s) => {
    for (let t = 0; t < T; t++) mask[s * T + t] = applies(iv.positions, start + t, promptLength) ? 1 : 0;
  });
  return {
    [SaeIO.steerIds]: new ort.Tensor('int64', BigInt64Array.from(list, (iv) => BigInt(iv.feature)), [S]),
    [SaeIO.steerValues]: new ort.Tensor('float32', Float32Array.from(list, (iv) => iv.value), [S]),
    [SaeIO.steerModes]: new ort.Tensor('int64', BigInt64Array.from(list, (iv) => BigInt(SteerModeCode[iv.mode])), [S]),
    [SaeIO.steerMask]: new ort.Tensor('float32', mask, [S, T]),
  };
}
