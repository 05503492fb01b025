/**
 * The state of one pickle being read: the byte cursor, the stack and the memo, with the
 * checked primitives the opcodes of pickle.ts are built from. Every check fails with a
 * SaeFileError naming the file, the entry and the byte of the opcode being run.
 */
import { SaeFileError } from './errors.ts';
import { describe, type PyCallable, type PyGlobal, type UnpickleOptions } from './pickle-values.ts';

/** Marks the MARK opcode's position on the stack. */
export const MARK = Symbol('mark');

/** A pickle tuple: a frozen array. */
export const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

/** One pickle's bytes, cursor, stack and memo. */
export class PickleMachine {
  readonly dv: DataView;
  readonly latin1 = new TextDecoder('latin1');
  readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  readonly stack: unknown[] = [];
  readonly memo = new Map<number, unknown>();
  /** The next byte to read. */
  pos = 0;
  /** Where the opcode being run starts (named in errors). */
  opAt = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly opts: UnpickleOptions,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(at: number, what: string): never {
    throw new SaeFileError(this.opts.file, `pickle ${this.opts.entry}: ${what} (at byte ${at})`, { tensor: this.opts.entry });
  }

  /** Consume `n` bytes; returns where they start. */
  need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) {
      this.fail(this.opAt, `truncated: needs ${n} more bytes, the entry ends at ${this.bytes.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.dv.getUint8(this.need(1));
  }

  u16(): number {
    return this.dv.getUint16(this.need(2), true);
  }

  u32(): number {
    return this.dv.getUint32(this.need(4), true);
  }

  u64(): number {
    const v = this.dv.getBigUint64(this.need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(this.opAt, `length ${v} is too large`);
    return Number(v);
  }

  raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  text(n: number): string {
    const b = this.raw(n);
    try {
      return this.utf8.decode(b);
    } catch {
      return this.fail(this.opAt, 'string is not valid UTF-8');
    }
  }

  /** A protocol 0 argument: latin-1 text up to the next newline. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail(this.opAt, 'truncated: no end of line');
    const s = this.latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  pop(): unknown {
    if (this.stack.length === 0) this.fail(this.opAt, 'stack underflow (corrupt pickle)');
    const v = this.stack.pop();
    if (v === MARK) this.fail(this.opAt, 'unexpected MARK (corrupt pickle)');
    return v;
  }

  top(): unknown {
    const v = this.stack[this.stack.length - 1];
    if (this.stack.length === 0 || v === MARK) this.fail(this.opAt, 'stack underflow (corrupt pickle)');
    return v;
  }

  /** The items above the topmost MARK, removed from the stack with the MARK. */
  popMark(): unknown[] {
    const i = this.stack.lastIndexOf(MARK);
    if (i < 0) this.fail(this.opAt, 'no MARK on the stack (corrupt pickle)');
    const items = this.stack.splice(i);
    items.shift();
    return items;
  }

  /** The allow-listed global `module.name`; anything else fails. */
  resolve(module: string, name: string): PyCallable | PyGlobal {
    const full = `${module}.${name}`;
    const found = this.opts.globals.get(full);
    if (!found) {
      this.fail(
        this.opAt,
        `names the Python global ${full}, which is not on the allow-list for this file ` +
          `(${[...this.opts.globals.keys()].join(', ')}); refusing it: loading this file with torch.load could run code`,
      );
    }
    return found!;
  }

  setItems(dict: unknown, kv: readonly unknown[]): void {
    if (!(dict instanceof Map)) this.fail(this.opAt, `SETITEM(S) on a ${describe(dict)}, not a dict`);
    if (kv.length % 2 !== 0) this.fail(this.opAt, 'SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) (dict as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  }

  appendItems(list: unknown, items: readonly unknown[]): void {
    if (!Array.isArray(list) || Object.isFrozen(list)) this.fail(this.opAt, `APPEND(S) on a ${describe(list)}, not a list`);
    (list as unknown[]).push(...items);
  }

  getMemo(key: number): void {
    if (!this.memo.has(key)) this.fail(this.opAt, `memo key ${key} is not set (corrupt pickle)`);
    this.stack.push(this.memo.get(key));
  }

  putMemo(key: number): void {
    this.memo.set(key, this.top());
  }

  /** A protocol 0 integer (INT, LONG, GET, PUT arguments). */
  int(s: string): number | bigint {
    const t = s.trim().replace(/L$/, '');
    if (t === '00') return 0; // protocol 0 False
    if (t === '01') return 1; // protocol 0 True
    if (!/^[-+]?\d+$/.test(t)) this.fail(this.opAt, `bad integer ${JSON.stringify(s)}`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  }

  /** An `n`-byte little-endian two's complement integer (LONG1, LONG4). */
  longLE(n: number): number | bigint {
    if (n === 0) return 0;
    const b = this.raw(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    if ((b[n - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
}
