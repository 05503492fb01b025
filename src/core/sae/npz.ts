/**
 * numpy `.npy` parser and `.npz` (zip of `.npy`) reader/writer.
 *
 * `.npy`: magic `\x93NUMPY`, major/minor version byte, header length (u16 for v1, u32 for
 * v2/v3), a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
 * then the raw array.
 */
import fs from 'node:fs';

import { SaeFileError, formatShape } from './errors.ts';
import { decodeF16, encodeHalf } from '../util/halffloat.ts';
import type { Tensor } from './types.ts';
import { encodeZip, extractZipEntry, readZipEntries, type ZipEntry } from './zip.ts';

/** The little-endian float dtypes this parser reads. */
export type NpyDtype = '<f4' | '<f2' | '<f8';

const NPY_SIZES: Readonly<Record<NpyDtype, number>> = { '<f4': 4, '<f2': 2, '<f8': 8 };

/** The safetensors-style name of an npy dtype (`<f4` → `F32`). */
export const NPY_DTYPE_NAMES: Readonly<Record<NpyDtype, string>> = { '<f4': 'F32', '<f2': 'F16', '<f8': 'F64' };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A parsed `.npy` array, converted to float32. */
export interface NpyArray extends Tensor {
  readonly dtype: NpyDtype;
}

/**
 * Parse one `.npy` payload. `file` and `entry` name the archive and member in errors.
 * `<f4` data is returned as a view when aligned.
 */
export function parseNpy(bytes: Uint8Array, file: string, entry: string): NpyArray {
  const bad = (what: string): SaeFileError => new SaeFileError(file, `entry ${entry}: ${what}`, { tensor: entry });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a .npy array (bad magic)');
  const major = bytes[6] ?? 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = dv.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated .npy header');
    headerStart = 12;
    headerLen = dv.getUint32(8, true);
  } else {
    throw bad(`unsupported .npy format version ${major}.${bytes[7] ?? 0}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw bad(`.npy header length ${headerLen} goes beyond the end of the array`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(`bad .npy header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim().replace(/L$/, '')) // Python 2 longs: (3L, 4L)
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`bad shape (${shapeText}) in .npy header`);
  if (fortran === 'True') {
    throw bad('array is stored in Fortran (column-major) order; save it C-contiguous (np.ascontiguousarray) instead');
  }
  if (!(descr in NPY_SIZES)) {
    throw bad(`unsupported dtype '${descr}' (supported: ${Object.keys(NPY_SIZES).join(', ')}, little-endian)`);
  }
  const dtype = descr as NpyDtype;
  const count = shape.reduce((a, d) => a * d, 1);
  const need = count * NPY_SIZES[dtype];
  if (bytes.length - dataStart !== need) {
    throw bad(`shape ${formatShape(shape)} of ${descr} needs ${need} data bytes but the entry holds ${bytes.length - dataStart}`);
  }
  const abs = bytes.byteOffset + dataStart;
  let data: Float32Array;
  if (dtype === '<f2') {
    data = decodeF16(bytes, dataStart, count);
  } else {
    const aligned = abs % NPY_SIZES[dtype] === 0;
    // Unaligned data (odd offset inside a stored zip member) is copied; Buffer#slice would not copy.
    const copy = aligned ? undefined : new Uint8Array(need);
    copy?.set(bytes.subarray(dataStart, dataStart + need));
    const buf = copy ? copy.buffer : bytes.buffer;
    const off = copy ? 0 : abs;
    data = dtype === '<f4' ? new Float32Array(buf, off, count) : Float32Array.from(new Float64Array(buf, off, count));
  }
  return { data, shape, dtype };
}

/** An opened `.npz` archive; arrays are extracted and parsed when asked for. */
export interface NpzFile {
  readonly file: string;
  /** Array names, without the `.npy` suffix. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** The array called `name` (cached); SaeFileError when missing or malformed. */
  array(name: string): NpyArray;
}

/** Open an `.npz` file (read into memory once; stored members are not copied). */
export function readNpz(file: string): NpzFile {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new SaeFileError(file, `cannot read npz file (${(err as Error).message})`, { cause: err });
  }
  return parseNpz(bytes, file);
}

/** Open `.npz` bytes held in memory. */
export function parseNpz(bytes: Uint8Array, file: string): NpzFile {
  const byName = new Map<string, ZipEntry>();
  for (const e of readZipEntries(bytes, file)) {
    if (e.name.endsWith('/')) continue;
    byName.set(e.name.replace(/\.npy$/, ''), e);
  }
  const cache = new Map<string, NpyArray>();
  return {
    file,
    names: [...byName.keys()],
    has: (name) => byName.has(name),
    array: (name) => {
      const hit = cache.get(name);
      if (hit) return hit;
      const e = byName.get(name);
      if (!e) throw new SaeFileError(file, `array ${name} is missing (archive holds: ${[...byName.keys()].join(', ') || 'nothing'})`, { tensor: name });
      const arr = parseNpy(extractZipEntry(bytes, file, e), file, e.name);
      cache.set(name, arr);
      return arr;
    },
  };
}

/** Serialize one array as `.npy` (format 1.0 unless the header needs more; header padded to 64 bytes). */
export function encodeNpy(data: Float32Array, shape: readonly number[], dtype: NpyDtype = '<f4', version: 1 | 2 | 3 = 1): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from(MAGIC).copy(head, 0);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  let body: Uint8Array;
  if (dtype === '<f4') body = new Uint8Array(Float32Array.from(data).buffer);
  else if (dtype === '<f8') body = new Uint8Array(Float64Array.from(data).buffer);
  else body = encodeHalf(data, 'F16');
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** Options for {@link writeNpz}. */
export interface WriteNpzOptions {
  /** Deflate members (np.savez_compressed) instead of storing them (np.savez). */
  readonly deflate: boolean;
  /** Write zip64 extra fields and end records (as numpy does for its members). */
  readonly zip64?: boolean;
  readonly dtype?: NpyDtype;
  readonly npyVersion?: 1 | 2 | 3;
}

/** Write arrays as an `.npz` archive, one `NAME.npy` member each (used by tests and tools). */
export function writeNpz(
  file: string,
  arrays: Readonly<Record<string, { data: Float32Array; shape: readonly number[] }>>,
  opts: WriteNpzOptions,
): void {
  const members = Object.entries(arrays).map(([name, a]) => ({
    name: `${name}.npy`,
    data: encodeNpy(a.data, a.shape, opts.dtype ?? '<f4', opts.npyVersion ?? 1),
  }));
  fs.writeFileSync(file, encodeZip(members, { deflate: opts.deflate, zip64: opts.zip64 ?? false }));
}
