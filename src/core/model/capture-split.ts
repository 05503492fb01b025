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
 * How many rows one capture call takes. Enough windows for CAPTURE_MIN_TOKENS tokens: MLAS's
 * matrix products run faster on more rows (on the GPT-2-small-shaped bench model, a 2-core CPU:
 * 1,100–1,150 tokens/s with two 128-token windows a call against 1,040–1,070 with one, on one
 * ONNX Runtime thread; on two threads (cpu-threads.ts) both ran at 1,750–2,000, within the VM's
 * noise, so the two-window call stays), unless
 * that would make the SAE's dense pre-activations ([rows, length, d_sae] float32, which the
 * capture graph holds with a few tensors like them, and ONNX Runtime's arena keeps at its
 * largest for the session's life) exceed CAPTURE_TENSOR_BYTES: then fewer, at least one. Eight
 * windows a call on that model (100 MB of pre-activations) ran slower than one.
 */
export const CAPTURE_MIN_TOKENS = 256;
export const CAPTURE_TENSOR_BYTES = 32 * 1024 * 1024;

/** Rows per capture call for rows of `length` tokens on an SAE with `dSae` latents (at least 1). */
export function captureRowsPerCall(length: number, dSae: number, budget = CAPTURE_TENSOR_BYTES): number {
  const L = Math.max(1, length);
  const wanted = Math.ceil(CAPTURE_MIN_TOKENS / L);
  const fits = Math.floor(budget / (L * Math.max(1, dSae) * 4));
  return Math.max(1, Math.min(wanted, fits));
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
