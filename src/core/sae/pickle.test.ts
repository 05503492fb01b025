import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SaeFileError } from './errors.ts';
import { PyCallable, PyGlobal, unpickle } from './pickle.ts';

const FILE = '/x/ae.pt';
const ENTRY = 'archive/data.pkl';
const none = new Map<string, PyCallable | PyGlobal>();
const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

function expectRefused(data: Uint8Array, pattern: RegExp, globals = none): void {
  assert.throws(
    () => unpickle(data, { file: FILE, entry: ENTRY, globals }),
    (err: unknown) => {
      assert.ok(err instanceof SaeFileError, String(err));
      assert.equal(err.file, FILE);
      assert.ok(err.message.startsWith(`${FILE}: pickle ${ENTRY}: `), err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('unpickle', () => {
  test('decodes what Python wrote for {"a": [1, -2, 300, 70000, 2.5, "x"], "b": (True, None, "é"), "c": b"\\x00\\x01", "d": 2**70}', () => {
    // pickle.dumps(..., protocol=2) from CPython 3.
    const py2 = Buffer.from(
      '80027d71002858010000006171015d7102284b014afeffffff4d2c014a70110100474004000000000000580100000078710365580100000062710488' +
        '4e5802000000c3a971058771065801000000637107635f636f646563730a656e636f64650a710858020000000001710958060000006c6174696e3171' +
        '0a86710b52710c580100000064710d8a09000000000000000040752e',
      'hex',
    );
    // The bytes above contain a GLOBAL (_codecs.encode, how protocol 2 writes bytes); allow it.
    const encode = new PyCallable('_codecs.encode', ([s]) => Buffer.from(String(s), 'latin1'));
    const v = unpickle(py2, { file: FILE, entry: ENTRY, globals: new Map([[encode.name, encode]]) });
    assert.ok(v instanceof Map);
    assert.deepEqual(v.get('a'), [1, -2, 300, 70000, 2.5, 'x']);
    assert.deepEqual([...(v.get('b') as unknown[])], [true, null, 'é']);
    assert.ok(Object.isFrozen(v.get('b')), 'tuples are frozen');
    assert.deepEqual([...(v.get('c') as Uint8Array)], [0, 1]);
    assert.equal(v.get('d'), 2n ** 70n);
  });

  test('protocol 4 framing, SHORT_BINUNICODE, MEMOIZE and STACK_GLOBAL of an allowed name', () => {
    // pickle.dumps(collections.OrderedDict([("w", 1)]), protocol=4)
    const data = Buffer.from(
      '80049529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0177944b01732e',
      'hex',
    );
    const od = new PyCallable('collections.OrderedDict', () => new Map());
    const v = unpickle(data, { file: FILE, entry: ENTRY, globals: new Map([[od.name, od]]) });
    assert.ok(v instanceof Map);
    assert.deepEqual([...v.entries()], [['w', 1]]);
  });

  test('refuses the os.system payload Python writes (posix.system), naming the global', () => {
    expectRefused(
      bytes('\x80\x02cposix\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.'),
      /global posix\.system.*not on the allow-list/,
    );
  });

  test('refuses os.system, builtins.eval and subprocess.Popen, GLOBAL and STACK_GLOBAL alike', () => {
    expectRefused(bytes('\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R.'), /global os\.system/);
    expectRefused(
      bytes('\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x031+1\x94\x85\x94R\x94.'),
      /global builtins\.eval/,
    );
    expectRefused(
      bytes('\x80\x04\x95$\x00\x00\x00\x00\x00\x00\x00\x8c\nsubprocess\x94\x8c\x05Popen\x94\x93\x94]\x94\x8c\x02id\x94a\x85\x94R\x94.'),
      /global subprocess\.Popen/,
    );
  });

  test('an allowed value global cannot be called, and object-building opcodes are refused', () => {
    const storage = new PyGlobal('torch.FloatStorage');
    const globals = new Map([[storage.name, storage]]);
    expectRefused(
      bytes('\x80\x02ctorch\nFloatStorage\n)R.'),
      /REDUCE calls a torch\.FloatStorage, which is not an allowed callable/,
      globals,
    );
    expectRefused(bytes('\x80\x02ctorch\nFloatStorage\n)\x81.'), /NEWOBJ/, globals);
    expectRefused(bytes("(ios\nsystem\nS'id'\n."), /INST/);
    expectRefused(bytes('\x80\x02(o.'), /OBJ/);
  });

  test('unknown opcodes, truncation and a missing STOP are clear errors', () => {
    expectRefused(bytes('\x80\x02\xff.'), /unknown pickle opcode 0xff/);
    expectRefused(bytes('\x80\x02X\x10\x00\x00\x00abc'), /truncated/);
    expectRefused(bytes('\x80\x02K\x01'), /without STOP/);
    expectRefused(bytes('\x80\x02h\x05.'), /memo key 5 is not set/);
  });
});
