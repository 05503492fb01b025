/**
 * Uniform, checked tensor access over the weight containers (safetensors, npz, torch .pt):
 * every tensor is fetched by name, its shape checked against the config's symbolic dims
 * and its values checked for NaN/Inf, with errors naming the file and the tensor.
 */
import { SaeFileError, formatShape, sameShape, shapeMismatchError } from './errors.ts';
import type { SaeConfig, Tensor } from './types.ts';

/** Uniform tensor access over safetensors, npz and torch state_dicts. */
export interface TensorSource {
  readonly file: string;
  has(name: string): boolean;
  get(name: string): Tensor;
  dtype(name: string): string;
  names(): string[];
}

/** Dimension values and how to name them in errors (e.g. sparsify's num_latents). */
export interface Dims {
  readonly values: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  /** What the dims come from, e.g. `cfg.json says`. */
  readonly source: string;
}

/** Fetch a tensor, check its shape against the symbolic dims and its values for NaN/Inf. */
export function takeTensor(
  src: TensorSource,
  name: string,
  shape: readonly string[],
  dims: Dims,
  config: Pick<SaeConfig, 'architecture'>,
): Tensor {
  if (!src.has(name)) {
    throw missingTensor(src, name, `architecture ${config.architecture} needs it`);
  }
  const t = src.get(name);
  const expected = shape.map((d) => dims.values[d] ?? 0);
  if (!sameShape(t.shape, expected)) {
    const said = [...new Set(shape)].map((d) => `${dims.labels[d] ?? d}=${dims.values[d] ?? '?'}`).join(', ');
    throw shapeMismatchError(src.file, name, t.shape, expected, `${dims.source} ${said}`);
  }
  checkFinite(src.file, name, t.data);
  return t;
}

/** A one-element tensor (shape `[]` or `[1]`) as a finite number. */
export function takeScalar(src: TensorSource, name: string, why: string): number {
  if (!src.has(name)) throw missingTensor(src, name, why);
  const t = src.get(name);
  if (t.data.length !== 1) {
    throw new SaeFileError(src.file, `tensor ${name} has shape ${formatShape(t.shape)}; expected a scalar`, { tensor: name });
  }
  checkFinite(src.file, name, t.data);
  return t.data[0] ?? 0;
}

/** The error for a tensor that is not in the file, listing what the file holds. */
export function missingTensor(src: TensorSource, name: string, why: string): SaeFileError {
  const held = src.names();
  return new SaeFileError(src.file, `tensor ${name} is missing (${why}; the file holds: ${held.join(', ') || 'nothing'})`, {
    tensor: name,
  });
}

/** Throw a SaeFileError naming the file and tensor at the first NaN or ±Infinity. */
export function checkFinite(file: string, name: string, data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] ?? 0;
    // v - v is NaN exactly for NaN and ±Infinity; cheaper than Number.isFinite in this hot loop.
    if (v - v !== 0) {
      throw new SaeFileError(file, `tensor ${name} holds ${v} at flat index ${i}; weights must be finite`, { tensor: name });
    }
  }
}
