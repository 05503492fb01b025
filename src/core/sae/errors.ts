/**
 * A problem with an SAE's files: unreadable, corrupt, or disagreeing with its config.
 * The message always starts with the file it is about, so it can be shown to the user as is.
 */
export class SaeFileError extends Error {
  /** The file (or folder) the problem was found in. */
  readonly file: string;
  /** The tensor or archive entry concerned, when there is one. */
  readonly tensor: string | undefined;

  /**
   * @param file the file or folder at fault; the message is prefixed with it.
   * @param problem what is wrong, in words (without the file name).
   */
  constructor(file: string, problem: string, opts: { tensor?: string; cause?: unknown } = {}) {
    super(`${file}: ${problem}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SaeFileError';
    this.file = file;
    this.tensor = opts.tensor;
  }
}

/** `[64, 256]` — a shape as printed in error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether two shapes are identical. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The error for a tensor whose shape disagrees with what its config implies, e.g.
 * `…/sae_weights.safetensors: tensor W_enc has shape [64, 128] but cfg.json says d_in=64, d_sae=256 → expected [64, 256]`.
 *
 * @param source what the expectation comes from, e.g. `cfg.json says d_in=64, d_sae=256`.
 */
export function shapeMismatchError(
  file: string,
  tensor: string,
  actual: readonly number[],
  expected: readonly number[],
  source: string,
): SaeFileError {
  return new SaeFileError(
    file,
    `tensor ${tensor} has shape ${formatShape(actual)} but ${source} → expected ${formatShape(expected)}`,
    { tensor },
  );
}
