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
import { OP, REFUSED } from './pickle-opcodes.ts';
import { MARK, PickleMachine, tuple } from './pickle-machine.ts';
import { PyCallable, describe, type UnpickleOptions } from './pickle-values.ts';

export { PyCallable, PyGlobal, describe, type UnpickleOptions } from './pickle-values.ts';

/**
 * Decode one pickle. Dicts become `Map`s (insertion order kept), lists arrays, tuples frozen
 * arrays, ints numbers (bigint beyond 2^53), str strings, bytes Uint8Arrays.
 * Throws SaeFileError naming the file, the entry and the offending global or opcode.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): unknown {
  const m = new PickleMachine(bytes, opts);
  for (;;) {
    if (m.pos >= bytes.length) m.fail(m.pos, 'ends without STOP (truncated)');
    m.opAt = m.pos;
    const op = m.u8();
    if (op === OP.STOP) {
      if (m.stack.length !== 1) m.fail(m.opAt, `STOP with ${m.stack.length} items on the stack (corrupt pickle)`);
      return m.pop();
    }
    const ran = runControl(m, op) || runNumber(m, op) || runText(m, op) || runContainer(m, op) || runMemo(m, op) || runObject(m, op);
    if (!ran) refuse(m, op);
  }
}

/** Framing and stack housekeeping: PROTO, FRAME, MARK, POP, POP_MARK, DUP. False for any other opcode. */
function runControl(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.PROTO: {
      const v = m.u8();
      if (v > 5) m.fail(m.opAt, `unknown pickle protocol ${v}`);
      return true;
    }
    case OP.FRAME:
      m.u64(); // framing is only a hint for buffered readers
      return true;
    case OP.MARK:
      m.stack.push(MARK);
      return true;
    case OP.POP:
      if (m.stack[m.stack.length - 1] === MARK) m.stack.pop();
      else m.pop();
      return true;
    case OP.POP_MARK:
      m.popMark();
      return true;
    case OP.DUP:
      m.stack.push(m.top());
      return true;
    default:
      return false;
  }
}

/** None, booleans, ints and floats. False for any other opcode. */
function runNumber(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.NONE:
      m.stack.push(null);
      return true;
    case OP.NEWTRUE:
      m.stack.push(true);
      return true;
    case OP.NEWFALSE:
      m.stack.push(false);
      return true;
    case OP.INT:
      m.stack.push(m.int(m.line()));
      return true;
    case OP.LONG:
      m.stack.push(m.int(m.line()));
      return true;
    case OP.BININT:
      m.stack.push(m.dv.getInt32(m.need(4), true));
      return true;
    case OP.BININT1:
      m.stack.push(m.u8());
      return true;
    case OP.BININT2:
      m.stack.push(m.u16());
      return true;
    case OP.LONG1:
      m.stack.push(m.longLE(m.u8()));
      return true;
    case OP.LONG4:
      m.stack.push(m.longLE(m.u32()));
      return true;
    case OP.FLOAT: {
      const s = m.line();
      const v = Number(s);
      if (s.trim() === '' || (Number.isNaN(v) && !/nan/i.test(s))) m.fail(m.opAt, `bad float ${JSON.stringify(s)}`);
      m.stack.push(v);
      return true;
    }
    case OP.BINFLOAT:
      m.stack.push(m.dv.getFloat64(m.need(8), false)); // big-endian, as pickle writes it
      return true;
    default:
      return false;
  }
}

/** str and bytes. False for any other opcode. */
function runText(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.BINUNICODE:
      m.stack.push(m.text(m.u32()));
      return true;
    case OP.SHORT_BINUNICODE:
      m.stack.push(m.text(m.u8()));
      return true;
    case OP.BINUNICODE8:
      m.stack.push(m.text(m.u64()));
      return true;
    case OP.BINSTRING:
      m.stack.push(m.latin1.decode(m.raw(m.u32())));
      return true;
    case OP.SHORT_BINSTRING:
      m.stack.push(m.latin1.decode(m.raw(m.u8())));
      return true;
    case OP.BINBYTES:
      m.stack.push(m.raw(m.u32()));
      return true;
    case OP.SHORT_BINBYTES:
      m.stack.push(m.raw(m.u8()));
      return true;
    case OP.BINBYTES8:
      m.stack.push(m.raw(m.u64()));
      return true;
    default:
      return false;
  }
}

/** Tuples, lists and dicts: building them and filling them. False for any other opcode. */
function runContainer(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.EMPTY_TUPLE:
      m.stack.push(tuple([]));
      return true;
    case OP.TUPLE1:
      m.stack.push(tuple([m.pop()]));
      return true;
    case OP.TUPLE2: {
      const b = m.pop();
      m.stack.push(tuple([m.pop(), b]));
      return true;
    }
    case OP.TUPLE3: {
      const c = m.pop();
      const b = m.pop();
      m.stack.push(tuple([m.pop(), b, c]));
      return true;
    }
    case OP.TUPLE:
      m.stack.push(tuple(m.popMark()));
      return true;
    case OP.EMPTY_LIST:
      m.stack.push([]);
      return true;
    case OP.LIST:
      m.stack.push(m.popMark());
      return true;
    case OP.EMPTY_DICT:
      m.stack.push(new Map());
      return true;
    case OP.DICT: {
      const d = new Map();
      m.setItems(d, m.popMark());
      m.stack.push(d);
      return true;
    }
    default:
      return runFill(m, op);
  }
}

/** APPEND(S) and SETITEM(S). False for any other opcode. */
function runFill(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.APPEND: {
      const v = m.pop();
      m.appendItems(m.top(), [v]);
      return true;
    }
    case OP.APPENDS: {
      const items = m.popMark();
      m.appendItems(m.top(), items);
      return true;
    }
    case OP.SETITEM: {
      const v = m.pop();
      const k = m.pop();
      m.setItems(m.top(), [k, v]);
      return true;
    }
    case OP.SETITEMS: {
      const kv = m.popMark();
      m.setItems(m.top(), kv);
      return true;
    }
    default:
      return false;
  }
}

/** The memo: GET, PUT and their binary forms, MEMOIZE. False for any other opcode. */
function runMemo(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.GET:
      m.getMemo(Number(m.int(m.line())));
      return true;
    case OP.BINGET:
      m.getMemo(m.u8());
      return true;
    case OP.LONG_BINGET:
      m.getMemo(m.u32());
      return true;
    case OP.PUT:
      m.putMemo(Number(m.int(m.line())));
      return true;
    case OP.BINPUT:
      m.putMemo(m.u8());
      return true;
    case OP.LONG_BINPUT:
      m.putMemo(m.u32());
      return true;
    case OP.MEMOIZE:
      m.putMemo(m.memo.size);
      return true;
    default:
      return false;
  }
}

/** Globals, REDUCE, BUILD and persistent ids: all checked against the allow-list. False for any other opcode. */
function runObject(m: PickleMachine, op: number): boolean {
  switch (op) {
    case OP.GLOBAL: {
      const module = m.line();
      m.stack.push(m.resolve(module, m.line()));
      return true;
    }
    case OP.STACK_GLOBAL: {
      const name = m.pop();
      const module = m.pop();
      if (typeof module !== 'string' || typeof name !== 'string') m.fail(m.opAt, 'STACK_GLOBAL needs two strings');
      m.stack.push(m.resolve(module as string, name as string));
      return true;
    }
    case OP.REDUCE: {
      const args = m.pop();
      const fn = m.pop();
      if (!(fn instanceof PyCallable)) m.fail(m.opAt, `REDUCE calls a ${describe(fn)}, which is not an allowed callable`);
      if (!Array.isArray(args)) m.fail(m.opAt, `REDUCE with ${describe(args)} as arguments, not a tuple`);
      m.stack.push(callChecked(fn as PyCallable, args as unknown[], (what) => m.fail(m.opAt, what)));
      return true;
    }
    case OP.BUILD: {
      const state = m.pop();
      const obj = m.top();
      // torch's OrderedDict state_dict carries a `_metadata` attribute (module versions);
      // it does not change any tensor, so it is read and dropped.
      if (!(obj instanceof Map) || !(state instanceof Map || state === null)) {
        m.fail(m.opAt, `BUILD on a ${describe(obj)} with a ${describe(state)}: only a dict's attributes can be set`);
      }
      return true;
    }
    case OP.PERSID:
    case OP.BINPERSID: {
      const pid = op === OP.PERSID ? m.line() : m.pop();
      if (!m.opts.persistentLoad) m.fail(m.opAt, 'persistent id without a loader to resolve it');
      m.stack.push(m.opts.persistentLoad!(pid));
      return true;
    }
    default:
      return false;
  }
}

/** Fail on an opcode this reader does not run: a refused one (saying why) or an unknown one. */
function refuse(m: PickleMachine, op: number): never {
  const why = REFUSED[op];
  const ch = op >= 0x20 && op < 0x7f ? ` '${String.fromCharCode(op)}'` : '';
  return m.fail(m.opAt, why ? `opcode ${why} is not allowed` : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}${ch}`);
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
