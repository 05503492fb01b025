import ort from 'onnxruntime-node';
import type { InterventionInput, Positions } from '#shared/intervention.ts';
import type { PromptSegment } from '#shared/steer-types.ts';
import { SaeIO, SteerModeCode } from './onnx/variants.ts';

/** The prompt positions a run's `user` / `content` interventions cover: [from, to) ranges of message text. */
export type PromptSpans = readonly Pick<PromptSegment, 'role' | 'from' | 'to'>[];

/**
 * True when an intervention with these positions applies at absolute position `pos`.
 * `user`: inside a user message's text; `content`: inside any message's text, or generated.
 */
function applies(positions: Positions, pos: number, promptLength: number, segments: PromptSpans): boolean {
  if (positions === 'all') return true;
  if (positions === 'prompt') return pos < promptLength;
  if (positions === 'generated') return pos >= promptLength;
  if (positions === 'user' || positions === 'content') {
    if (pos >= promptLength) return positions === 'content';
    return segments.some((s) => (positions === 'content' || s.role === 'user') && pos >= s.from && pos < s.to);
  }
  return pos >= positions.from && pos < positions.to;
}

/** Checks feature ids against the SAE width; the message says what to do. */
export function validateInterventions(list: readonly InterventionInput[], dSae: number): void {
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
 * `segments` place `user` / `content` positions in the prompt.
 */
export function steerFeeds(
  list: readonly InterventionInput[],
  promptLength: number,
  start: number,
  T: number,
  segments: PromptSpans = [],
): Record<string, ort.Tensor> {
  return rowSteerFeeds([list], promptLength, start, T, segments);
}

/**
 * The steer variant's inputs for a batch whose rows steer differently: the interventions
 * of every row side by side (S in all) and a [B, S, T] mask in which row b has ones only
 * for its own interventions, where their positions apply. A row with none runs unsteered
 * (its hook tensor passes through exactly).
 */
export function rowSteerFeeds(
  rows: readonly (readonly InterventionInput[])[],
  promptLength: number,
  start: number,
  T: number,
  segments: PromptSpans = [],
): Record<string, ort.Tensor> {
  const list = rows.flat();
  const S = list.length;
  const B = rows.length;
  const mask = new Float32Array(B * S * T);
  let s0 = 0;
  rows.forEach((ivs, b) => {
    ivs.forEach((iv, j) => {
      const at = (b * S + s0 + j) * T;
      for (let t = 0; t < T; t++) mask[at + t] = applies(iv.positions ?? 'all', start + t, promptLength, segments) ? 1 : 0;
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
