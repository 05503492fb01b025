/**
 * The checks every generation goes through, whoever asks (steer.run, the
 * CLI): the prompt plus the new tokens fit the model's positions, steering values are finite
 * and bounded, and the logits the model returns are numbers.
 */
import { STEER_VALUE_MAX } from '#shared/steer-bounds.ts';
import { AppError } from '#shared/reply.ts';

/**
 * Refuses a generation whose prompt plus `maxNewTokens` would pass the model's `limit`
 * positions (undefined: the model's config names none), with what to lower.
 */
export function checkGenerationLength(promptLength: number, maxNewTokens: number, limit: number | undefined): void {
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
    throw new AppError('bad_request', `max new tokens must be a positive integer, got ${maxNewTokens}`);
  }
  if (limit === undefined || promptLength + maxNewTokens <= limit) return;
  throw new AppError(
    'bad_request',
    `the prompt is ${promptLength} tokens and ${maxNewTokens} new tokens would pass the model's ${limit} positions: ` +
      `lower max new tokens to ${Math.max(0, limit - promptLength)} or shorten the prompt`,
  );
}

/** Refuses steering values that are not finite or larger than STEER_VALUE_MAX in magnitude. */
export function checkSteerValues(list: readonly { readonly feature: number; readonly value: number }[]): void {
  for (const iv of list) {
    if (!Number.isFinite(iv.value) || Math.abs(iv.value) > STEER_VALUE_MAX) {
      throw new AppError(
        'bad_request',
        `feature ${iv.feature}: the steering value ${iv.value} is out of range: it must be a finite number from ${-STEER_VALUE_MAX} to ${STEER_VALUE_MAX}`,
      );
    }
  }
}

/**
 * Throws when a logits row holds NaN or +Infinity, or no finite value at all (an overflow in
 * the graph, usually from steering far too strong): picking a token from it would yield id 0.
 * -Infinity alone is a masked token, which some exports use.
 */
export function checkFiniteLogits(row: Float32Array, step: number, steered: boolean): void {
  let finite = false;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (Number.isFinite(v)) finite = true;
    else if (v !== -Infinity) throw notFinite(step, steered, `logit ${i} is ${v}`);
  }
  if (!finite) throw notFinite(step, steered, 'every logit is -Infinity');
}

function notFinite(step: number, steered: boolean, what: string): AppError {
  return new AppError(
    'bad_request',
    `the model's logits are not finite numbers at generated token ${step + 1} (${what})` +
      (steered ? ': the steering overflows float32, use smaller values' : ''),
  );
}
