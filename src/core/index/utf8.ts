/** What to do with bytes that are not valid UTF-8. */
export type InvalidUtf8 = 'error' | 'replace';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let j = 1; j <= need; j++) {
      const c = bytes[i + j];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Thrown for bytes that are not UTF-8 when the policy is `error`. */
export class Utf8Error extends Error {
  override readonly name = 'Utf8Error';
  constructor(
    readonly where: string,
    readonly offset: number,
  ) {
    super(`${where}: invalid UTF-8 at byte ${offset} (pass --invalid-utf8 replace to decode such bytes as U+FFFD)`);
  }
}

/**
 * Decodes UTF-8. With `error`, invalid bytes throw a Utf8Error naming `where` and the byte
 * offset (`base` + offset within `bytes`); with `replace`, they become U+FFFD.
 */
export function decodeUtf8(bytes: Uint8Array, policy: InvalidUtf8, where: string, base = 0): string {
  if (policy === 'replace') return lenient.decode(bytes);
  try {
    return strict.decode(bytes);
  } catch {
    throw new Utf8Error(where, base + Math.max(0, invalidUtf8Offset(bytes)));
  }
}
