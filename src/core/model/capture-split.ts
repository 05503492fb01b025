/** Raw capture output for a batch of equal-length rows. */
export interface CaptureResult {
  readonly batch: number;
  readonly length: number;
  readonly k: number;
  /** [B, T, K] values, largest first per token (zeros mean "fewer than K active"). */
  readonly values: Float32Array;
  /** [B, T, K] feature ids. */
  readonly indices: Int32Array;
  /** [B, T, d_in] hook activations and SAE reconstructions (float32), when asked for. */
  readonly hookInput?: Float32Array;
  readonly reconstruction?: Float32Array;
}

/**
 * How many rows one capture call takes. The capture graph holds the SAE's dense pre-activations
 * ([rows, length, d_sae] float32) and a few tensors like them at once, and ONNX Runtime's arena
 * keeps its largest run's memory for the session's life. Splitting a batch so that tensor stays
 * near CAPTURE_TENSOR_BYTES bounds that memory: on the demo (1,536 latents) eight 128-token
 * windows in one call peaked ~13 MB higher than two per call, at the same speed, and on a
 * 24,576-latent SAE one window's pre-activations alone are 12 MB.
 */
export const CAPTURE_TENSOR_BYTES = 2 * 1024 * 1024;

/** Rows per capture call for rows of `length` tokens on an SAE with `dSae` latents (at least 1). */
export function captureRowsPerCall(length: number, dSae: number, budget = CAPTURE_TENSOR_BYTES): number {
  return Math.max(1, Math.floor(budget / Math.max(1, length * dSae * 4)));
}

/** Row-major [rows, ...] arrays of several calls, in call order, as one array. */
function concatRows<T extends Float32Array | Int32Array>(parts: readonly T[], make: (n: number) => T): T {
  if (parts.length === 1) return parts[0]!;
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The captures of consecutive row slices (same length and k) as the capture of all their rows. */
export function joinCaptures(parts: readonly CaptureResult[]): CaptureResult {
  const first = parts[0];
  if (!first) throw new Error('joinCaptures: no captures');
  const floats = (pick: (c: CaptureResult) => Float32Array | undefined): Float32Array | undefined =>
    pick(first)
      ? concatRows(
          parts.map((c) => pick(c)!),
          (n) => new Float32Array(n),
        )
      : undefined;
  const hookInput = floats((c) => c.hookInput);
  const reconstruction = floats((c) => c.reconstruction);
  return {
    batch: parts.reduce((n, c) => n + c.batch, 0),
    length: first.length,
    k: first.k,
    values: floats((c) => c.values)!,
    indices: concatRows(
      parts.map((c) => c.indices),
      (n) => new Int32Array(n),
    ),
    ...(hookInput && reconstruction ? { hookInput, reconstruction } : {}),
  };
}
