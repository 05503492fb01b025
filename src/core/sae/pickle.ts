/**
 * A small, strict reader for Python pickles: the subset `torch.save` writes for a state_dict
 * (protocol 2, plus the few protocol 3/4 opcodes newer Pythons emit for the same data).
 *
 * Nothing is ever executed. GLOBAL / STACK_GLOBAL may only name entries of the caller's
 * allow-list; REDUCE may only call the allow-listed callables ({@link PyCallable}); object
 * construction opcodes (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*) and every opcode not listed here
 * are refused. A malicious pickle (e.g. one naming `os.system`) is a SaeFileError, never run.
 */
import { SaeFileError } from './errors.ts';

/** An allow-listed Python callable, implemented in TypeScript. */
export class PyCallable {
  /**
   * @param name fully qualified Python name, e.g. `collections.OrderedDict`.
   * @param call what REDUCE does with the argument tuple.
   */
  constructor(
    readonly name: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** An allow-listed Python global that is only ever passed around as a value (e.g. `torch.FloatStorage`). */
export class PyGlobal {
  constructor(readonly name: string) {}
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** The file named in errors (the archive). */
  readonly file: string;
  /** The pickle's name inside the file, e.g. `archive/data.pkl`. */
  readonly entry: string;
  /** `module.name` → what it resolves to. Anything else is refused. */
  readonly globals: ReadonlyMap<string, PyCallable | PyGlobal>;
  /** Resolves PERSID / BINPERSID ids; without it they are refused. */
  readonly persistentLoad?: (pid: unknown) => unknown;
}

/** Marks the MARK opcode's position on the stack. */
const MARK = Symbol('mark');

/** Opcode bytes, named as in CPython's pickletools. */
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  FLOAT: 0x46, // F
  INT: 0x49, // I
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  LONG: 0x4c, // L
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  PERSID: 0x50, // P
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINSTRING: 0x54, // T
  SHORT_BINSTRING: 0x55, // U
  BINUNICODE: 0x58, // X
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  EMPTY_DICT: 0x7d, // }
  APPENDS: 0x65, // e
  GET: 0x67, // g
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  EMPTY_LIST: 0x5d, // ]
  PUT: 0x70, // p
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  EMPTY_TUPLE: 0x29, // )
  SETITEMS: 0x75, // u
  BINFLOAT: 0x47, // G
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const satisfies Record<string, number>;

/** Opcodes a pickle may hold but this reader refuses, with why (for the error message). */
const REFUSED: Readonly<Record<number, string>> = {
  0x69: 'INST (builds an arbitrary object)',
  0x6f: 'OBJ (builds an arbitrary object)',
  0x81: 'NEWOBJ (builds an arbitrary object)',
  0x92: 'NEWOBJ_EX (builds an arbitrary object)',
  0x82: 'EXT1 (extension registry)',
  0x83: 'EXT2 (extension registry)',
  0x84: 'EXT4 (extension registry)',
  0x53: 'STRING (Python 2 text string)',
  0x56: 'UNICODE (protocol 0 text)',
  0x96: 'BYTEARRAY8 (protocol 5)',
  0x97: 'NEXT_BUFFER (protocol 5 out-of-band buffer)',
  0x98: 'READONLY_BUFFER (protocol 5 out-of-band buffer)',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
};

/**
 * Decode one pickle. Dicts become `Map`s (insertion order kept), lists arrays, tuples frozen
 * arrays, ints numbers (bigint beyond 2^53), str strings, bytes Uint8Arrays.
 * Throws SaeFileError naming the file, the entry and the offending global or opcode.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): unknown {
  const fail = (at: number, what: string): never => {
    throw new SaeFileError(opts.file, `pickle ${opts.entry}: ${what} (at byte ${at})`, { tensor: opts.entry });
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opAt = 0;

  const need = (n: number): number => {
    if (n < 0 || pos + n > bytes.length) fail(opAt, `truncated: needs ${n} more bytes, the entry ends at ${bytes.length}`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => dv.getUint8(need(1));
  const u16 = (): number => dv.getUint16(need(2), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const u64 = (): number => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(opAt, `length ${v} is too large`);
    return Number(v);
  };
  const raw = (n: number): Uint8Array => {
    const at = need(n);
    return bytes.subarray(at, at + n);
  };
  const text = (n: number): string => {
    const b = raw(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail(opAt, 'string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail(opAt, 'truncated: no end of line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(opAt, 'stack underflow (corrupt pickle)');
    const v = stack.pop();
    if (v === MARK) fail(opAt, 'unexpected MARK (corrupt pickle)');
    return v;
  };
  const top = (): unknown => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) fail(opAt, 'stack underflow (corrupt pickle)');
    return v;
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail(opAt, 'no MARK on the stack (corrupt pickle)');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);
  const resolve = (module: string, name: string): PyCallable | PyGlobal => {
    const full = `${module}.${name}`;
    const found = opts.globals.get(full);
    if (!found) {
      fail(
        opAt,
        `names the Python global ${full}, which is not on the allow-list for this file ` +
          `(${[...opts.globals.keys()].join(', ')}); refusing it: loading this file with torch.load could run code`,
      );
    }
    return found!;
  };
  const setItems = (dict: unknown, kv: readonly unknown[]): void => {
    if (!(dict instanceof Map)) fail(opAt, `SETITEM(S) on a ${describe(dict)}, not a dict`);
    if (kv.length % 2 !== 0) fail(opAt, 'SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) (dict as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
  };
  const appendItems = (list: unknown, items: readonly unknown[]): void => {
    if (!Array.isArray(list) || Object.isFrozen(list)) fail(opAt, `APPEND(S) on a ${describe(list)}, not a list`);
    (list as unknown[]).push(...items);
  };
  const getMemo = (key: number): void => {
    if (!memo.has(key)) fail(opAt, `memo key ${key} is not set (corrupt pickle)`);
    stack.push(memo.get(key));
  };
  const putMemo = (key: number): void => {
    memo.set(key, top());
  };
  const int = (s: string): number | bigint => {
    const t = s.trim().replace(/L$/, '');
    if (t === '00') return 0; // protocol 0 False
    if (t === '01') return 1; // protocol 0 True
    if (!/^[-+]?\d+$/.test(t)) fail(opAt, `bad integer ${JSON.stringify(s)}`);
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };
  const longLE = (n: number): number | bigint => {
    if (n === 0) return 0;
    const b = raw(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    if ((b[n - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    if (pos >= bytes.length) fail(pos, 'ends without STOP (truncated)');
    opAt = pos;
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const v = u8();
        if (v > 5) fail(opAt, `unknown pickle protocol ${v}`);
        break;
      }
      case OP.FRAME:
        u64(); // framing is only a hint for buffered readers
        break;
      case OP.STOP:
        if (stack.length !== 1) fail(opAt, `STOP with ${stack.length} items on the stack (corrupt pickle)`);
        return pop();
      case OP.MARK:
        stack.push(MARK);
        break;
      case OP.POP:
        if (stack[stack.length - 1] === MARK) stack.pop();
        else pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.INT:
        stack.push(int(line()));
        break;
      case OP.LONG:
        stack.push(int(line()));
        break;
      case OP.BININT:
        stack.push(dv.getInt32(need(4), true));
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1:
        stack.push(longLE(u8()));
        break;
      case OP.LONG4:
        stack.push(longLE(u32()));
        break;
      case OP.FLOAT: {
        const s = line();
        const v = Number(s);
        if (s.trim() === '' || (Number.isNaN(v) && !/nan/i.test(s))) fail(opAt, `bad float ${JSON.stringify(s)}`);
        stack.push(v);
        break;
      }
      case OP.BINFLOAT:
        stack.push(dv.getFloat64(need(8), false)); // big-endian, as pickle writes it
        break;
      case OP.BINUNICODE:
        stack.push(text(u32()));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(text(u8()));
        break;
      case OP.BINUNICODE8:
        stack.push(text(u64()));
        break;
      case OP.BINSTRING:
        stack.push(latin1.decode(raw(u32())));
        break;
      case OP.SHORT_BINSTRING:
        stack.push(latin1.decode(raw(u8())));
        break;
      case OP.BINBYTES:
        stack.push(raw(u32()));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(raw(u8()));
        break;
      case OP.BINBYTES8:
        stack.push(raw(u64()));
        break;
      case OP.EMPTY_TUPLE:
        stack.push(tuple([]));
        break;
      case OP.TUPLE1:
        stack.push(tuple([pop()]));
        break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push(tuple([pop(), b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push(tuple([pop(), b, c]));
        break;
      }
      case OP.TUPLE:
        stack.push(tuple(popMark()));
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.LIST:
        stack.push(popMark());
        break;
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.DICT: {
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case OP.APPEND: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case OP.GET:
        getMemo(Number(int(line())));
        break;
      case OP.BINGET:
        getMemo(u8());
        break;
      case OP.LONG_BINGET:
        getMemo(u32());
        break;
      case OP.PUT:
        putMemo(Number(int(line())));
        break;
      case OP.BINPUT:
        putMemo(u8());
        break;
      case OP.LONG_BINPUT:
        putMemo(u32());
        break;
      case OP.MEMOIZE:
        putMemo(memo.size);
        break;
      case OP.GLOBAL: {
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail(opAt, 'STACK_GLOBAL needs two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyCallable)) fail(opAt, `REDUCE calls a ${describe(fn)}, which is not an allowed callable`);
        if (!Array.isArray(args)) fail(opAt, `REDUCE with ${describe(args)} as arguments, not a tuple`);
        stack.push(callChecked(fn as PyCallable, args as unknown[], (what) => fail(opAt, what)));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const obj = top();
        // torch's OrderedDict state_dict carries a `_metadata` attribute (module versions);
        // it does not change any tensor, so it is read and dropped.
        if (!(obj instanceof Map) || !(state instanceof Map || state === null)) {
          fail(opAt, `BUILD on a ${describe(obj)} with a ${describe(state)}: only a dict's attributes can be set`);
        }
        break;
      }
      case OP.PERSID:
      case OP.BINPERSID: {
        const pid = op === OP.PERSID ? line() : pop();
        if (!opts.persistentLoad) fail(opAt, 'persistent id without a loader to resolve it');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default: {
        const why = REFUSED[op];
        const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
        fail(opAt, why ? `opcode ${why} is not allowed` : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}${ch}`);
      }
    }
  }
}

/** Run an allow-listed callable; its own SaeFileErrors pass through, other errors are wrapped. */
function callChecked(fn: PyCallable, args: readonly unknown[], fail: (what: string) => never): unknown {
  try {
    return fn.call(args);
  } catch (err) {
    if (err instanceof SaeFileError) throw err;
    return fail(`${fn.name}: ${(err as Error).message}`);
  }
}

/** A short description of a pickled value's type, for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyCallable || v instanceof PyGlobal) return v.name;
  if (typeof v === 'object') return (v as object).constructor.name;
  return typeof v;
}
