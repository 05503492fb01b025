/**
 * IEEE half (F16) and bfloat16 (BF16) <-> float32 conversion, bit-exact, round-to-nearest-even.
 * Plain loops over little-endian bytes so callers need no alignment.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float value of one IEEE 754 binary16 bit pattern. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The IEEE 754 binary16 bit pattern nearest to `v` (ties to even; overflow to ±Infinity). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0] ?? 0;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // a carry into the exponent field yields the right normal number
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/** The float value of one bfloat16 bit pattern (the top half of a float32). */
export function bf16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0] ?? 0;
}

/** The bfloat16 bit pattern nearest to `v` (ties to even), NaN kept NaN. */
export function floatToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0] ?? 0;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Decode `count` little-endian F16 values starting at `bytes[offset]`. */
export function decodeF16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0, p = offset; i < count; i++, p += 2) {
    out[i] = halfToFloat((bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8));
  }
  return out;
}

/** Decode `count` little-endian BF16 values starting at `bytes[offset]`. */
export function decodeBf16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0, p = offset; i < count; i++, p += 2) {
    bits[i] = (((bytes[p] ?? 0) | ((bytes[p + 1] ?? 0) << 8)) << 16) >>> 0;
  }
  return out;
}

/** Encode float32 values as little-endian F16 or BF16 bytes. */
export function encodeHalf(data: Float32Array, kind: 'F16' | 'BF16'): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const conv = kind === 'F16' ? floatToHalf : floatToBf16;
  for (let i = 0; i < data.length; i++) {
    const h = conv(data[i] ?? 0);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}
