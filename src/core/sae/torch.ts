/**
 * PyTorch `.pt` state_dicts (`torch.save(module.state_dict(), path)`, torch ≥ 1.6) without
 * Python: a zip holding `<name>/data.pkl` (the pickled dict of tensors) and one
 * `<name>/data/<key>` entry per storage, little-endian, uncompressed.
 *
 * The pickle is read by the strict reader of pickle.ts with an allow-list of exactly the
 * globals torch writes for tensors; anything else (a pickled module, `os.system`, …) is refused.
 */
import fs from 'node:fs';

import { SaeFileError, formatShape } from './errors.ts';
import { PyCallable, PyGlobal, describe, unpickle } from './pickle.ts';
import { bf16ToFloat, halfToFloat } from '../util/halffloat.ts';
import type { Tensor } from './types.ts';
import { extractZipEntry, readZipEntries, type ZipEntry } from './zip.ts';

/** Storage classes torch names in its persistent ids, with their dtype and element size. */
const STORAGE_TYPES = {
  FloatStorage: { dtype: 'F32', size: 4 },
  DoubleStorage: { dtype: 'F64', size: 8 },
  HalfStorage: { dtype: 'F16', size: 2 },
  BFloat16Storage: { dtype: 'BF16', size: 2 },
  LongStorage: { dtype: 'I64', size: 8 },
  IntStorage: { dtype: 'I32', size: 4 },
  ShortStorage: { dtype: 'I16', size: 2 },
  CharStorage: { dtype: 'I8', size: 1 },
  ByteStorage: { dtype: 'U8', size: 1 },
  BoolStorage: { dtype: 'BOOL', size: 1 },
} as const satisfies Record<string, { dtype: string; size: number }>;

/** A tensor dtype as named in safetensors (F32, BF16, I64, …). */
export type TorchDtype = (typeof STORAGE_TYPES)[keyof typeof STORAGE_TYPES]['dtype'];

/** One tensor of a state_dict: where its elements live and how they are laid out. */
export interface TorchTensorInfo {
  readonly name: string;
  readonly dtype: TorchDtype;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  /** Offset into the storage, in elements. */
  readonly offset: number;
  /** The storage's archive entry, e.g. `ae/data/3`. */
  readonly storage: string;
}

/** A loaded state_dict: tensor layout by name and float32 access. */
export interface TorchStateDict {
  readonly file: string;
  /** Tensors in the order the state_dict holds them. */
  readonly entries: ReadonlyMap<string, TorchTensorInfo>;
  has(name: string): boolean;
  /** The tensor as a fresh row-major float32 array (integers and bools converted). */
  tensor(name: string): Tensor;
}

/** Read a `.pt` state_dict (the whole file is read into memory once). */
export function readTorchStateDict(file: string): TorchStateDict {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new SaeFileError(file, `cannot read PyTorch file (${(err as Error).message})`, { cause: err });
  }
  return parseTorchStateDict(bytes, file);
}

/** A storage as the persistent id names it, its bytes fetched from the archive. */
class Storage {
  constructor(
    readonly entry: string,
    readonly dtype: TorchDtype,
    readonly size: number,
    readonly numel: number,
    readonly bytes: Uint8Array,
  ) {}
}

/** What `_rebuild_tensor_v2` returns: a strided view of a storage (materialised on demand). */
class TensorRef {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/**
 * Parse `.pt` bytes holding a dict of tensors. Errors name the file and what is wrong:
 * a legacy (pre-1.6) file, a big-endian archive, a disallowed global, a storage out of range.
 *
 * @param file used in error messages only.
 */
export function parseTorchStateDict(bytes: Uint8Array, file: string): TorchStateDict {
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02) {
    throw new SaeFileError(
      file,
      'legacy PyTorch serialization (torch < 1.6, not a zip archive) is not supported; re-save it with torch.save in torch ≥ 1.6',
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new SaeFileError(file, 'not a PyTorch file (expected the zip archive torch.save writes)');
  }
  const entries = readZipEntries(bytes, file);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const pkls = entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkls.length !== 1) {
    throw new SaeFileError(
      file,
      pkls.length === 0
        ? 'no <name>/data.pkl in the archive: not a file written by torch.save'
        : `several pickles in the archive (${pkls.map((e) => e.name).join(', ')}); expected one`,
    );
  }
  const pkl = pkls[0] as ZipEntry;
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const extract = (e: ZipEntry): Uint8Array => extractZipEntry(bytes, file, e, { crcZeroMeansUnset: true });
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(extract(order)).trim();
    if (text !== 'little')
      throw new SaeFileError(file, `archive byteorder is ${JSON.stringify(text)}; only little-endian files are supported`);
  }

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    // ('storage', torch.FloatStorage, key, location, numel)
    const bad = (why: string): never => {
      throw new SaeFileError(file, `pickle ${pkl.name}: persistent id ${why}`, { tensor: pkl.name });
    };
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') return bad(`is not ('storage', type, key, location, numel)`);
    const [, type, key, , numel] = pid as readonly unknown[];
    const st = type instanceof PyGlobal ? STORAGE_TYPES[type.name.replace(/^torch\./, '') as keyof typeof STORAGE_TYPES] : undefined;
    if (!st) return bad(`names storage type ${describe(type)}, not one of torch.${Object.keys(STORAGE_TYPES).join(', torch.')}`);
    if (typeof key !== 'string' || !/^\w+$/.test(key)) return bad(`has storage key ${JSON.stringify(key)}`);
    if (!Number.isSafeInteger(numel) || (numel as number) < 0) return bad(`has element count ${JSON.stringify(numel)}`);
    const name = `${prefix}data/${key}`;
    const known = storages.get(name);
    if (known) return known;
    const e = byName.get(name);
    if (!e) return bad(`refers to storage ${name}, which is not in the archive`);
    const data = extract(e!);
    const need = (numel as number) * st.size;
    if (data.length < need) {
      return bad(`storage ${name} holds ${data.length} bytes but ${numel as number} × ${st.dtype} needs ${need}`);
    }
    const s = new Storage(name, st.dtype, st.size, numel as number, data);
    storages.set(name, s);
    return s;
  };

  const root = unpickle(extract(pkl), { file, entry: pkl.name, globals: torchGlobals(), persistentLoad });
  if (!(root instanceof Map)) {
    throw new SaeFileError(file, `holds a pickled ${describe(root)}, not a state_dict (a dict of tensors)`);
  }
  const infos = new Map<string, TorchTensorInfo>();
  const refs = new Map<string, TensorRef>();
  for (const [k, v] of root) {
    if (typeof k !== 'string') throw new SaeFileError(file, `state_dict key ${String(k)} is a ${describe(k)}, not a string`);
    if (!(v instanceof TensorRef)) {
      throw new SaeFileError(file, `state_dict entry ${k} is a ${describe(v)}, not a tensor`, { tensor: k });
    }
    refs.set(k, v);
    infos.set(k, { name: k, dtype: v.storage.dtype, shape: v.shape, stride: v.stride, offset: v.offset, storage: v.storage.entry });
  }
  return {
    file,
    entries: infos,
    has: (name) => refs.has(name),
    tensor: (name) => {
      const r = refs.get(name);
      if (!r) throw new SaeFileError(file, `tensor ${name} is missing`, { tensor: name });
      return { data: materialise(r), shape: r.shape };
    },
  };
}

/** The globals a state_dict pickle may name, and nothing else. */
function torchGlobals(): Map<string, PyCallable | PyGlobal> {
  const g = new Map<string, PyCallable | PyGlobal>();
  const add = (v: PyCallable | PyGlobal): void => void g.set(v.name, v);
  for (const name of Object.keys(STORAGE_TYPES)) add(new PyGlobal(`torch.${name}`));
  add(new PyGlobal('torch.Tensor'));
  add(new PyGlobal('torch.nn.parameter.Parameter'));
  add(
    new PyCallable('collections.OrderedDict', (args) => {
      if (args.length === 0) return new Map();
      throw new Error(`expected no arguments, got ${args.length}`);
    }),
  );
  const rebuildTensor = new PyCallable('torch._utils._rebuild_tensor_v2', (args) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || args.length > 7) throw new Error(`expected 6 or 7 arguments, got ${args.length}`);
    if (!(storage instanceof Storage)) throw new Error(`storage is a ${describe(storage)}`);
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new Error(`bad storage offset ${String(offset)}`);
    const shape = intTuple(size, 'size');
    const strides = intTuple(stride, 'stride');
    if (shape.length !== strides.length) throw new Error(`size ${formatShape(shape)} and stride ${formatShape(strides)} differ in rank`);
    // The last element any index reaches must lie inside the storage.
    if (!shape.includes(0)) {
      const last = shape.reduce((acc, d, i) => acc + (d - 1) * (strides[i] ?? 0), offset as number);
      if (last >= storage.numel) {
        throw new Error(
          `view of size ${formatShape(shape)}, stride ${formatShape(strides)}, offset ${String(offset)} reaches element ${last} of a ${storage.numel}-element storage`,
        );
      }
    }
    return new TensorRef(storage, offset as number, shape, strides);
  });
  add(rebuildTensor);
  const unwrap = (v: unknown): TensorRef => {
    if (!(v instanceof TensorRef)) throw new Error(`expected a tensor, got a ${describe(v)}`);
    return v;
  };
  // nn.Parameter (state_dict(keep_vars=True)): the data tensor is all we need.
  add(new PyCallable('torch._utils._rebuild_parameter', (args) => unwrap(args[0])));
  add(new PyCallable('torch._utils._rebuild_parameter_with_state', (args) => unwrap(args[0])));
  add(
    new PyCallable('torch._tensor._rebuild_from_type_v2', (args) => {
      // (func, new_type, args, state): only plain tensors and parameters, rebuilt by an allowed func.
      const [func, type, inner] = args;
      if (!(type instanceof PyGlobal) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(type.name)) {
        throw new Error(`tensor subclass ${describe(type)} is not supported`);
      }
      if (!(func instanceof PyCallable) || func !== rebuildTensor) throw new Error(`rebuild function ${describe(func)} is not supported`);
      if (!Array.isArray(inner)) throw new Error(`arguments are a ${describe(inner)}`);
      return func.call(inner);
    }),
  );
  return g;
}

function intTuple(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw new Error(`${what} ${describe(v)} is not a tuple of non-negative integers`);
  }
  return v as number[];
}

/** Gather a strided view into a row-major float32 array. */
function materialise(r: TensorRef): Float32Array {
  const n = r.shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(n);
  if (n === 0) return out;
  const rank = r.shape.length;
  const contiguous = r.stride.every((s, d) => s === r.shape.slice(d + 1).reduce((a, v) => a * v, 1) || (r.shape[d] ?? 0) === 1);
  if (contiguous && r.storage.dtype === 'F32') {
    // The common case, and the one that matters for 8B-model dictionaries: one block copy.
    const start = r.storage.bytes.byteOffset + r.offset * 4;
    out.set(new Float32Array(r.storage.bytes.buffer.slice(start, start + n * 4)));
    return out;
  }
  const read = reader(r.storage);
  const idx = new Array<number>(rank).fill(0);
  let src = r.offset;
  for (let i = 0; i < n; i++) {
    out[i] = read(src);
    // Advance the multi-index, last dimension fastest.
    for (let d = rank - 1; d >= 0; d--) {
      const s = r.stride[d] ?? 0;
      if ((idx[d] ?? 0) + 1 < (r.shape[d] ?? 0)) {
        idx[d] = (idx[d] ?? 0) + 1;
        src += s;
        break;
      }
      src -= (idx[d] ?? 0) * s;
      idx[d] = 0;
    }
  }
  return out;
}

/** Element reader over a storage's little-endian bytes, converting to a JS number. */
function reader(s: Storage): (i: number) => number {
  const dv = new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
  switch (s.dtype) {
    case 'F32':
      return (i) => dv.getFloat32(i * 4, true);
    case 'F64':
      return (i) => dv.getFloat64(i * 8, true);
    case 'F16':
      return (i) => halfToFloat(dv.getUint16(i * 2, true));
    case 'BF16':
      return (i) => bf16ToFloat(dv.getUint16(i * 2, true));
    case 'I64':
      return (i) => Number(dv.getBigInt64(i * 8, true));
    case 'I32':
      return (i) => dv.getInt32(i * 4, true);
    case 'I16':
      return (i) => dv.getInt16(i * 2, true);
    case 'I8':
      return (i) => dv.getInt8(i);
    case 'U8':
    case 'BOOL':
      return (i) => dv.getUint8(i);
  }
}
