/**
 * Writes state_dicts the way `torch.save(module.state_dict(), f)` lays them out (zip with
 * `<archive>/data.pkl`, `<archive>/data/<key>` storages, `version`, `byteorder`; a protocol 2
 * pickle of an OrderedDict of `_rebuild_tensor_v2` calls), for tests and tools that need a
 * dictionary_learning `ae.pt` without Python.
 */
import fs from 'node:fs';

import { encodeHalf } from '../../core/util/halffloat.ts';
import { encodeZip, type ZipInput } from '../../core/sae/zip.ts';

/** A tensor to write; integer dtypes round the values. */
export interface TorchTensorToWrite {
  readonly data: Float32Array | readonly number[];
  readonly shape: readonly number[];
  readonly dtype?: 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32';
  /**
   * 2-D only: store the transpose and describe the tensor as a strided view of it (stride
   * [1, rows]), as torch does for `W.T` saved without `.contiguous()`.
   */
  readonly transposedStorage?: boolean;
}

const STORAGE_CLASS = {
  F32: 'FloatStorage',
  F64: 'DoubleStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  I64: 'LongStorage',
  I32: 'IntStorage',
} as const satisfies Record<NonNullable<TorchTensorToWrite['dtype']>, string>;

/** Options for {@link encodeTorchStateDict}. */
export interface TorchWriteOptions {
  /** The archive's top folder (torch uses the file's stem, or `archive`). */
  readonly archive?: string;
  /** Replace data.pkl with these bytes (e.g. a hostile pickle, for tests). */
  readonly pickle?: Uint8Array;
  /** The `byteorder` entry (torch ≥ 2.1 writes `little`); null leaves it out. */
  readonly byteorder?: string | null;
}

/** Encode a state_dict as torch.save writes it. */
export function encodeTorchStateDict(tensors: Readonly<Record<string, TorchTensorToWrite>>, opts: TorchWriteOptions = {}): Buffer {
  const archive = opts.archive ?? 'archive';
  const p = new PickleWriter();
  const storages: ZipInput[] = [];
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  p.op(0x28); // MARK
  Object.entries(tensors).forEach(([name, t], i) => {
    const dtype = t.dtype ?? 'F32';
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (t.data.length !== numel) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    let values = Float32Array.from(t.data);
    let stride = rowMajorStrides(t.shape);
    if (t.transposedStorage) {
      const [rows = 0, cols = 0] = t.shape;
      if (t.shape.length !== 2) throw new Error(`tensor ${name}: transposedStorage needs a 2-D tensor`);
      const tr = new Float32Array(numel);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tr[c * rows + r] = values[r * cols + c] ?? 0;
      values = tr;
      stride = [1, rows];
    }
    const key = String(i);
    storages.push({ name: `${archive}/data/${key}`, data: storageBytes(values, dtype) });
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28, 0x28); // MARK MARK: args tuple, persistent id tuple
    p.str('storage');
    p.global('torch', STORAGE_CLASS[dtype]);
    p.str(key);
    p.str('cpu');
    p.int(numel);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(0); // storage offset
    p.tuple(t.shape);
    p.tuple(stride);
    p.op(0x89); // requires_grad False
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); // backward_hooks = OrderedDict()
    p.op(0x74, 0x52); // TUPLE, REDUCE
  });
  p.op(0x75); // SETITEMS
  // state_dict's `_metadata` attribute ({'': {'version': 1}}), set by BUILD as torch.save does.
  p.op(0x7d); // EMPTY_DICT: the instance state
  p.str('_metadata');
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52, 0x28); // EMPTY_TUPLE, REDUCE, MARK
  p.str('');
  p.op(0x7d);
  p.str('version');
  p.int(1);
  p.op(0x73, 0x75, 0x73, 0x62, 0x2e); // SETITEM, SETITEMS, SETITEM, BUILD, STOP
  const members: ZipInput[] = [{ name: `${archive}/data.pkl`, data: opts.pickle ?? p.bytes() }];
  if (opts.byteorder !== null) members.push({ name: `${archive}/byteorder`, data: Buffer.from(opts.byteorder ?? 'little') });
  members.push(...storages, { name: `${archive}/version`, data: Buffer.from('3\n') });
  return encodeZip(members, { deflate: false });
}

/** Write a state_dict file as torch.save would. */
export function writeTorchStateDict(
  file: string,
  tensors: Readonly<Record<string, TorchTensorToWrite>>,
  opts: TorchWriteOptions = {},
): void {
  fs.writeFileSync(file, encodeTorchStateDict(tensors, opts));
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) out[d] = (out[d + 1] ?? 1) * (shape[d + 1] ?? 1);
  return out;
}

function storageBytes(values: Float32Array, dtype: NonNullable<TorchTensorToWrite['dtype']>): Uint8Array {
  switch (dtype) {
    case 'F32':
      return new Uint8Array(values.buffer.slice(0));
    case 'F64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'F16':
    case 'BF16':
      return encodeHalf(values, dtype);
    case 'I64':
      return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(Math.round(v))).buffer);
    case 'I32':
      return new Uint8Array(Int32Array.from(values, (v) => Math.round(v)).buffer);
  }
}

/** Protocol 2 opcodes, as pickle.py emits them. */
class PickleWriter {
  private readonly parts: Uint8Array[] = [];

  op(...codes: number[]): void {
    this.parts.push(Uint8Array.from(codes));
  }

  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    const head = Buffer.alloc(5);
    head[0] = 0x58; // BINUNICODE
    head.writeUInt32LE(b.length, 1);
    this.parts.push(head, b);
  }

  global(module: string, name: string): void {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1')); // GLOBAL
  }

  int(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`cannot pickle ${v}`);
    if (v < 0x100)
      this.op(0x4b, v); // BININT1
    else if (v < 0x10000)
      this.op(0x4d, v & 0xff, v >> 8); // BININT2
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(v, 1);
      this.parts.push(b);
    }
  }

  tuple(values: readonly number[]): void {
    if (values.length === 0) return this.op(0x29); // EMPTY_TUPLE
    if (values.length > 3) this.op(0x28); // MARK
    for (const v of values) this.int(v);
    this.op(values.length > 3 ? 0x74 : ([0x85, 0x86, 0x87][values.length - 1] ?? 0x74));
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}
