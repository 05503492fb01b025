/**
 * Growable byte writer and a cursor reader for the index's compact blobs: unsigned LEB128
 * varints (non-negative integers up to 2^53) and little-endian float32.
 */

/** Appends varints and float32s to a growing buffer. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Writes a non-negative integer (< 2^53) as unsigned LEB128. */
  varint(v: number): void {
    this.#reserve(8);
    let x = v;
    // 32-bit shifts are only safe below 2^31; above that divide.
    while (x >= 0x80) {
      this.#buf[this.#len++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.#buf[this.#len++] = x;
  }

  /** Writes a float32, little-endian. */
  f32(v: number): void {
    this.#reserve(4);
    this.#view.setFloat32(this.#len, v, true);
    this.#len += 4;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** The bytes written so far, as a Buffer copy (what better-sqlite3 binds as a blob). */
  toBuffer(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }

  /** Forgets what was written, keeping the allocation. */
  reset(): void {
    this.#len = 0;
  }
}

/** Reads varints and float32s from a blob, front to back. */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  pos: number;

  constructor(buf: Uint8Array, pos = 0) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.#buf.length;
  }

  varint(): number {
    const buf = this.#buf;
    let b = buf[this.pos++];
    if (b === undefined) throw new RangeError('varint past the end of the blob');
    if (b < 0x80) return b;
    let v = b & 0x7f;
    let mul = 0x80;
    for (;;) {
      b = buf[this.pos++];
      if (b === undefined) throw new RangeError('varint past the end of the blob');
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
  }

  f32(): number {
    const v = this.#view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
}

/**
 * A Buffer over the bytes of `u`, without a copy: better-sqlite3 binds Buffers as BLOBs, and a
 * Buffer that crossed to another thread arrives as a plain Uint8Array.
 */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
