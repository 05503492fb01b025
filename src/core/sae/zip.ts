/**
 * Minimal zip archive reader and writer: enough for numpy's `.npz` and PyTorch's `.pt`
 * (stored or deflated entries, zip64 records as numpy writes them). The reader works from the central directory.
 */
import zlib from 'node:zlib';

import { SaeFileError } from './errors.ts';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

/** One archive member, as the central directory describes it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

/** List the members of a zip archive held in memory (central directory, zip64 aware). */
export function readZipEntries(bytes: Uint8Array, file: string): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(dv);
  if (eocd < 0) {
    throw new SaeFileError(file, 'not a zip archive (no end-of-central-directory record; truncated or corrupt)');
  }
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);

  const loc = eocd - 20;
  if (loc >= 0 && dv.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
    const z = big(dv, loc + 8, file, 'zip64 end-of-central-directory offset');
    if (z + 56 > bytes.length || dv.getUint32(z, true) !== SIG_ZIP64_EOCD) {
      throw new SaeFileError(file, 'corrupt zip archive: zip64 end-of-central-directory record not found');
    }
    count = big(dv, z + 32, file, 'entry count');
    cdSize = big(dv, z + 40, file, 'central directory size');
    cdOffset = big(dv, z + 48, file, 'central directory offset');
  } else if (count === U16_MAX || cdOffset === U32_MAX) {
    throw new SaeFileError(file, 'corrupt zip archive: zip64 sizes without a zip64 locator');
  }
  if (cdOffset + cdSize > bytes.length) {
    throw new SaeFileError(file, `corrupt zip archive: central directory [${cdOffset}, ${cdOffset + cdSize}) beyond the end of the file (${bytes.length} bytes)`);
  }

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new SaeFileError(file, `corrupt zip archive: central directory entry ${i} is damaged`);
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let uncompressedSize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const nameEnd = p + 46 + nameLen;
    if (nameEnd + extraLen > bytes.length) throw new SaeFileError(file, `corrupt zip archive: central directory entry ${i} is damaged`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, nameEnd));

    // zip64 extended information: 8-byte values for exactly those fields that are 0xffffffff.
    let q = nameEnd;
    while (q + 4 <= nameEnd + extraLen) {
      const id = dv.getUint16(q, true);
      const size = dv.getUint16(q + 2, true);
      if (id === 0x0001) {
        let r = q + 4;
        const take = (what: string): number => {
          if (r + 8 > q + 4 + size) throw new SaeFileError(file, `corrupt zip archive: short zip64 field in entry ${name}`, { tensor: name });
          const v = big(dv, r, file, what);
          r += 8;
          return v;
        };
        if (uncompressedSize === U32_MAX) uncompressedSize = take('uncompressed size');
        if (compressedSize === U32_MAX) compressedSize = take('compressed size');
        if (localHeaderOffset === U32_MAX) localHeaderOffset = take('local header offset');
      }
      q += 4 + size;
    }
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
    p = nameEnd + extraLen + commentLen;
  }
  return entries;
}

/**
 * The uncompressed bytes of one member (a view for stored members, CRC-checked).
 * `crcZeroMeansUnset`: a CRC field of 0 means "not computed" (PyTorch's writer with
 * `compute_crc32` off), so it is not checked.
 */
export function extractZipEntry(
  bytes: Uint8Array,
  file: string,
  e: ZipEntry,
  opts: { crcZeroMeansUnset?: boolean } = {},
): Uint8Array {
  const bad = (what: string): SaeFileError => new SaeFileError(file, `entry ${e.name}: ${what}`, { tensor: e.name });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.flags & 1) throw bad('is encrypted');
  const h = e.localHeaderOffset;
  if (h + 30 > bytes.length || dv.getUint32(h, true) !== SIG_LOCAL) throw bad('local header missing or damaged');
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw bad(`data [${start}, ${end}) goes beyond the end of the file (${bytes.length} bytes)`);
  const raw = bytes.subarray(start, end);
  let out: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.uncompressedSize) throw bad('stored entry with differing sizes');
    out = raw;
  } else if (e.method === 8) {
    try {
      out = zlib.inflateRawSync(raw);
    } catch (err) {
      throw bad(`cannot inflate (${(err as Error).message})`);
    }
    if (out.length !== e.uncompressedSize) throw bad(`inflated to ${out.length} bytes, expected ${e.uncompressedSize}`);
  } else {
    throw bad(`unsupported compression method ${e.method} (only stored and deflated)`);
  }
  const unset = opts.crcZeroMeansUnset === true && e.crc32 === 0;
  if (!unset && zlib.crc32(out) >>> 0 !== e.crc32 >>> 0) throw bad('CRC mismatch (corrupt archive)');
  return out;
}

/** One member to write. */
export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
}

/**
 * Build a zip archive. `zip64` writes zip64 extra fields and end records even for small
 * members (numpy's savez always writes zip64 local headers), to exercise that path.
 */
export function encodeZip(members: readonly ZipInput[], opts: { deflate: boolean; zip64?: boolean }): Buffer {
  const zip64 = opts.zip64 ?? false;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = opts.deflate ? zlib.deflateRawSync(m.data) : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const crc = zlib.crc32(m.data) >>> 0;
    const method = opts.deflate ? 8 : 0;
    const version = zip64 ? 45 : 20;

    const localExtra = zip64 ? zip64Extra([m.data.length, body.length]) : Buffer.alloc(0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12); // DOS date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? U32_MAX : body.length, 18);
    local.writeUInt32LE(zip64 ? U32_MAX : m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);

    const cdExtra = zip64 ? zip64Extra([m.data.length, body.length, offset]) : Buffer.alloc(0);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(SIG_CENTRAL, 0);
    cd.writeUInt16LE(version, 4);
    cd.writeUInt16LE(version, 6);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(zip64 ? U32_MAX : body.length, 20);
    cd.writeUInt32LE(zip64 ? U32_MAX : m.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(cdExtra.length, 30);
    cd.writeUInt32LE(zip64 ? U32_MAX : offset, 42);

    parts.push(local, name, localExtra, body);
    central.push(cd, name, cdExtra);
    offset += local.length + name.length + localExtra.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(SIG_ZIP64_EOCD, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(members.length), 24);
    z.writeBigUInt64LE(BigInt(members.length), 32);
    z.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    locator.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(z, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(SIG_EOCD, 0);
  eocd.writeUInt16LE(zip64 ? U16_MAX : members.length, 8);
  eocd.writeUInt16LE(zip64 ? U16_MAX : members.length, 10);
  eocd.writeUInt32LE(zip64 ? U32_MAX : cdBytes.length, 12);
  eocd.writeUInt32LE(zip64 ? U32_MAX : offset, 16);
  return Buffer.concat([...parts, cdBytes, ...tail, eocd]);
}

function zip64Extra(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/** Offset of the end-of-central-directory record, scanning back over a possible comment; -1 if none. */
function findEocd(dv: DataView): number {
  const min = Math.max(0, dv.byteLength - 22 - 0xffff);
  for (let i = dv.byteLength - 22; i >= min; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD && i + 22 + dv.getUint16(i + 20, true) <= dv.byteLength) return i;
  }
  return -1;
}

function big(dv: DataView, at: number, file: string, what: string): number {
  if (at + 8 > dv.byteLength) throw new SaeFileError(file, `corrupt zip archive: ${what} beyond the end of the file`);
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SaeFileError(file, `corrupt zip archive: ${what} ${v} is too large`);
  return Number(v);
}
