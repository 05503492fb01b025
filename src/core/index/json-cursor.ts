/**
 * A forward-only JSON reader over one line of a file, for JSONL records too long to hold:
 * it walks the top-level object's keys, skips values it does not need without keeping them,
 * and streams a string (as decoded text pieces) or an array of numbers (in slices). Memory
 * stays at one read block whatever the line's length.
 */
import type { ByteSource } from './line-reader.ts';
import { utf8Boundary } from './utf8-chunks.ts';

/** Thrown for bytes that are not JSON; the message says where on the line and what is wrong. */
export class JsonLineError extends Error {
  override readonly name = 'JsonLineError';
}

const BLOCK = 1 << 16;
/** Longest number or literal accepted (bytes). */
const MAX_SCALAR = 1024;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Array elements per slice of `numbers()`. */
const SLICE = 1 << 14;

/** Bytes a number or a literal (true, false, null) is made of: - + . 0-9 a-z A-Z. */
const SCALAR_BYTE = new Uint8Array(256);
for (const c of '-+.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') SCALAR_BYTE[c.charCodeAt(0)] = 1;

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d;
}

/** A cursor over the bytes of one line, from a file offset to the line break or the end of the file. */
export class JsonCursor {
  readonly #src: ByteSource;
  readonly #lineStart: number;
  #buf = Buffer.allocUnsafe(BLOCK);
  /** File offset of #buf[0]. */
  #base: number;
  #len = 0;
  #i = 0;
  #eof = false;

  constructor(src: ByteSource, offset: number) {
    this.#src = src;
    this.#base = offset;
    this.#lineStart = offset;
  }

  /** File offset of the next byte. */
  get offset(): number {
    return this.#base + this.#i;
  }

  /** Moves to a file offset on the same line (to read a value again). */
  seek(offset: number): void {
    this.#base = offset;
    this.#len = 0;
    this.#i = 0;
    this.#eof = false;
  }

  /** An error naming the byte of the line where it happened. */
  error(what: string, at = this.offset): JsonLineError {
    return new JsonLineError(`malformed JSON (${what} at byte ${at - this.#lineStart} of the line)`);
  }

  /** Reads more, keeping the bytes from buffer index `keep` on (indices shift by `keep`); false at the end of the file. */
  async #more(keep = this.#i): Promise<boolean> {
    if (this.#eof) return false;
    const kept = this.#len - keep;
    if (kept >= this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, keep, this.#len);
      this.#buf = bigger;
    } else if (kept > 0) this.#buf.copy(this.#buf, 0, keep, this.#len);
    this.#base += keep;
    this.#i -= keep;
    this.#len = kept;
    const n = await this.#src.read(this.#base + kept, this.#buf.subarray(kept));
    if (n === 0) this.#eof = true;
    this.#len += n;
    return n > 0;
  }

  /** The next byte that is not white space, without taking it; -1 at the end of the line. */
  async peek(): Promise<number> {
    for (;;) {
      while (this.#i < this.#len && isWs(this.#buf[this.#i]!)) this.#i++;
      if (this.#i < this.#len) {
        const b = this.#buf[this.#i]!;
        return b === 0x0a ? -1 : b;
      }
      if (!(await this.#more())) return -1;
    }
  }

  /** Takes the next non-white-space byte, which must be `byte`. */
  async expect(byte: number, what: string): Promise<void> {
    if ((await this.peek()) !== byte) throw this.error(`expected ${what}`);
    this.#i++;
  }

  /** Takes the next non-white-space byte when it is `byte`. */
  async take(byte: number): Promise<boolean> {
    if ((await this.peek()) !== byte) return false;
    this.#i++;
    return true;
  }

  /** Skips a UTF-8 byte-order mark at the cursor. */
  async skipBom(): Promise<void> {
    if (this.#len - this.#i < 3) await this.#more();
    if (this.#buf[this.#i] === 0xef && this.#buf[this.#i + 1] === 0xbb && this.#buf[this.#i + 2] === 0xbf) this.#i += 3;
  }

  /**
   * The raw bytes of the string at the cursor (from its opening quote), in stretches that end
   * neither inside an escape nor inside a UTF-8 sequence, each with the file offset of its
   * first byte (valid until the next stretch); leaves the cursor after the closing quote.
   */
  async *#stringBytes(): AsyncGenerator<{ readonly raw: Uint8Array; readonly offset: number }, void> {
    await this.expect(0x22, 'a string');
    for (;;) {
      const buf = this.#buf;
      let j = this.#i;
      let close = -1;
      let split = false;
      while (j < this.#len) {
        const b = buf[j]!;
        if (b === 0x22) {
          close = j;
          break;
        }
        if (b === 0x5c) {
          const e = j + 1 < this.#len && buf[j + 1] !== 0x75 ? 2 : 6;
          if (j + e > this.#len) {
            split = true;
            break;
          }
          j += e;
          continue;
        }
        if (b < 0x20)
          throw this.error(b === 0x0a ? 'the line ends inside a string' : 'a control character inside a string', this.#base + j);
        j++;
      }
      const cut = close >= 0 ? close : split ? j : utf8Boundary(buf, this.#i, this.#len);
      if (cut > this.#i) yield { raw: buf.subarray(this.#i, cut), offset: this.#base + this.#i };
      if (close >= 0) {
        this.#i = close + 1;
        return;
      }
      this.#i = cut;
      if (!(await this.#more())) throw this.error('the line ends inside a string');
    }
  }

  /** Reads a whole string (a key), decoded; strings longer than `limit` bytes are refused. */
  async key(limit = 1 << 16): Promise<string> {
    const at = this.offset;
    const parts: Buffer[] = [];
    let size = 0;
    for await (const { raw } of this.#stringBytes()) {
      size += raw.length;
      if (size > limit) throw this.error(`a key or value longer than ${limit} bytes`, at);
      parts.push(Buffer.from(raw));
    }
    try {
      return JSON.parse(`"${Buffer.concat(parts).toString('utf8')}"`) as string;
    } catch {
      throw this.error('an invalid escape in a key', at);
    }
  }

  /**
   * Streams the string at the cursor as decoded text pieces: JSON escapes resolved (a
   * surrogate pair split between two pieces joins again when they are concatenated).
   * `decode` turns raw UTF-8 into text (the invalid-UTF-8 policy; `offset` names the byte).
   */
  async *text(decode: (raw: Uint8Array, offset: number) => string): AsyncGenerator<string, void> {
    for await (const { raw, offset } of this.#stringBytes()) {
      const s = decode(raw, offset);
      let t: string;
      try {
        t = JSON.parse(`"${s}"`) as string;
      } catch {
        throw this.error('an invalid escape in a string', offset);
      }
      if (t) yield t;
    }
  }

  /**
   * Streams the array at the cursor in slices of its elements: numbers, and what else is there
   * as the caller needs it to name it (literals and short strings as such, lists and objects as
   * empty ones).
   */
  async *numbers(): AsyncGenerator<unknown[], void> {
    await this.expect(0x5b, 'an array');
    if (await this.take(0x5d)) return;
    let slice: unknown[] = [];
    for (;;) {
      const b = await this.peek();
      if (b === 0x22) slice.push(await this.key(MAX_SCALAR));
      else if (b === 0x7b || b === 0x5b) {
        await this.skipValue();
        slice.push(b === 0x7b ? {} : []);
      } else {
        const at = this.offset;
        const raw = await this.#scalar();
        if (raw !== 'true' && raw !== 'false' && raw !== 'null' && !NUMBER.test(raw))
          throw this.error(`"${raw.slice(0, 20)}" is not a JSON value`, at);
        slice.push(JSON.parse(raw));
      }
      if (slice.length >= SLICE) {
        yield slice;
        slice = [];
      }
      if (await this.take(0x2c)) continue;
      await this.expect(0x5d, "',' or ']' in an array");
      break;
    }
    if (slice.length) yield slice;
  }

  /** Takes a number or a literal whole (unchecked). */
  async #scalar(): Promise<string> {
    const at = this.offset;
    if ((await this.peek()) === -1) throw this.error('expected a value');
    let from = this.#i;
    let j = from;
    for (;;) {
      while (j < this.#len && SCALAR_BYTE[this.#buf[j]!]) j++;
      if (j - from > MAX_SCALAR) throw this.error(`a value longer than ${MAX_SCALAR} bytes`, at);
      if (j < this.#len) break;
      const base = this.#base;
      const more = await this.#more(from);
      from -= this.#base - base;
      j -= this.#base - base;
      if (!more) break;
    }
    this.#i = j;
    if (j === from) throw this.error('expected a value', at);
    return this.#buf.toString('latin1', from, j);
  }

  /** Skips the value at the cursor: strings and nesting are followed, other structure inside is not checked. */
  async skipValue(): Promise<void> {
    const b = await this.peek();
    if (b === 0x22) {
      for await (const _ of this.#stringBytes()) void _;
      return;
    }
    if (b !== 0x7b && b !== 0x5b) {
      const at = this.offset;
      const raw = await this.#scalar();
      if (raw !== 'true' && raw !== 'false' && raw !== 'null' && !NUMBER.test(raw))
        throw this.error(`"${raw.slice(0, 20)}" is not a JSON value`, at);
      return;
    }
    let depth = 0;
    let inString = false;
    let escaped = false;
    for (;;) {
      const buf = this.#buf;
      for (let j = this.#i; j < this.#len; j++) {
        const c = buf[j]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
          else if (c < 0x20) throw this.error('a control character inside a string', this.#base + j);
          continue;
        }
        if (c === 0x22) inString = true;
        else if (c === 0x7b || c === 0x5b) depth++;
        else if (c === 0x7d || c === 0x5d) {
          if (--depth === 0) {
            this.#i = j + 1;
            return;
          }
        } else if (c === 0x0a) throw this.error('the line ends inside a value', this.#base + j);
      }
      this.#i = this.#len;
      if (!(await this.#more())) throw this.error('the line ends inside a value');
    }
  }
}
