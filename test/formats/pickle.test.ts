import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { MambaError, ModelFormatError, UnsupportedError } from '../../src/errors.js';
import {
  PickleDict,
  PickleGlobal,
  isPickleList,
  isPickleTuple,
  unpickle,
  type PickleGlobals,
  type PickleValue,
  type UnpickleOptions,
} from '../../src/formats/pickle.js';

const FIXTURES = new URL('../../../test/fixtures/torch-bin/', import.meta.url);

const NO_GLOBALS: PickleGlobals = new Map();

/** Concatenates opcode bytes, strings (latin-1 chars as bytes) and byte arrays into a pickle. */
function pkl(...parts: Array<number | string | number[] | Uint8Array>): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') for (const ch of p) out.push(ch.charCodeAt(0));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** BINUNICODE of an ASCII string. */
const str = (s: string): Uint8Array => pkl('X', u32(s.length), s);

function load(bytes: Uint8Array, options: Partial<UnpickleOptions> = {}): PickleValue {
  return unpickle(bytes, { file: 'test.pkl', globals: NO_GLOBALS, ...options });
}

/** Dicts → objects, for deepEqual. */
function toPlain(v: PickleValue): unknown {
  if (v instanceof PickleDict) return Object.fromEntries([...v].map(([k, x]) => [String(k), toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}

function rejects(bytes: Uint8Array, type: new (...args: never[]) => MambaError, pattern: RegExp, options: Partial<UnpickleOptions> = {}): void {
  assert.throws(() => load(bytes, options), (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('unpickle: plain values written by Python', () => {
  // PLAIN_VALUES in tools/fixtures/make_torch_bin_fixtures.py
  const expected = {
    ints: [0, 1, -1, 255, 256, 65535, 65536, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2n ** 53n, -(2n ** 63n), 2n ** 64n, 2n ** 100n],
    floats: [0.5, -1e300, Infinity, 1],
    strs: ['', 'héllo', '日本', 'a'.repeat(300)],
    tuples: [[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]],
    consts: [null, true, false],
    nested: { a: { b: [1, [2, [3]]] } },
  };
  for (const file of ['plain-p2.pkl', 'plain-p4.pkl']) {
    it(file, () => {
      const value = load(readFileSync(new URL(file, FIXTURES)));
      assert.deepEqual(toPlain(value), expected);
      const tuples = (value as PickleDict).get('tuples') as PickleValue[];
      assert.ok(isPickleList(tuples));
      assert.ok(tuples.every((t) => isPickleTuple(t)));
    });
  }
});

describe('unpickle: opcodes', () => {
  it('reads ints, floats, LONG1 and constants', () => {
    const value = load(pkl(
      0x80, 2, '(',
      'J', u32(-5 >>> 0), // BININT -5
      'M', [0x34, 0x12], // BININT2 0x1234
      0x8a, 0, // LONG1 of 0 bytes = 0
      0x8a, 1, 0xff, // LONG1 -1
      0x8a, 2, [0x00, 0x80], // LONG1 -32768
      'G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], // BINFLOAT 1.5 (big-endian)
      'N', 0x88, 0x89,
      't', '.',
    ));
    assert.deepEqual(value, [-5, 0x1234, 0, -1, -32768, 1.5, null, true, false]);
  });

  it('shares memoised objects (BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE)', () => {
    // memo {0, 7} then MEMOIZE stores at len(memo) = 2, as CPython does
    const value = load(pkl(']', 'q', 0, 'r', u32(7), 0x94, 'h', 0, 'j', u32(7), 'h', 2, 0x87, '.')) as PickleValue[];
    assert.ok(isPickleTuple(value));
    const [list, a, b, c] = [value[0], value[0], value[1], value[2]];
    assert.ok(isPickleList(list!));
    assert.ok(a === b && b === c);
  });

  it('builds lists, dicts and tuples (APPEND(S), SETITEM(S), DUP, POP, POP_MARK, protocol 4 strings and bytes)', () => {
    const value = load(pkl(
      0x80, 4, 0x95, [9, 0, 0, 0, 0, 0, 0, 0], // FRAME (ignored)
      '}',
      0x8c, 1, 'a', ']', 'K', 1, 'a', '(', 'K', 2, 'K', 3, 'e', 's', // d['a'] = [1, 2, 3]
      '(', 0x8c, 1, 'b', 'C', 2, [0, 255], 0x8c, 1, 'c', 'N', 'u', // d['b'] = b'\x00\xff'; d['c'] = None
      'K', 9, '0', // push 9, POP
      '(', 'K', 1, 'K', 2, '1', // MARK 1 2 POP_MARK
      '2', '0', // DUP, POP
      '.',
    )) as PickleDict;
    assert.deepEqual(toPlain(value), { a: [1, 2, 3], b: Uint8Array.from([0, 255]), c: null });
  });

  it('calls allow-listed globals (GLOBAL, STACK_GLOBAL, REDUCE, NEWOBJ) and BUILDs dicts', () => {
    const calls: PickleValue[][] = [];
    const globals: PickleGlobals = new Map([
      ['m.f', { call: (args) => (calls.push([...args]), 'called') }],
      ['collections.OrderedDict', { call: () => new PickleDict() }],
    ]);
    const value = load(pkl(
      0x80, 2, '(',
      'cm\nf\n', 'K', 1, str('x'), 0x86, 'R', // m.f(1, 'x')
      0x8c, 1, 'm', 0x8c, 1, 'f', 0x93, ')', 0x81, // m.f.__new__()
      'ccollections\nOrderedDict\n', ')', 'R', '}', str('k'), 'K', 5, 's', 'b', // OrderedDict() with state {'k': 5}
      't', '.',
    ), { globals }) as PickleValue[];
    assert.deepEqual(value.slice(0, 2), ['called', 'called']);
    assert.deepEqual(calls, [[1, 'x'], []]);
    const ordered = value[2] as PickleDict;
    assert.ok(ordered instanceof PickleDict);
    assert.deepEqual(toPlain(ordered.state!), { k: 5 });
  });

  it('resolves persistent ids through persistentLoad', () => {
    const value = load(pkl('(', str('storage'), 'K', 3, 't', 'Q', '.'), {
      persistentLoad: (pid) => `loaded ${(pid as PickleValue[]).join(' ')}`,
    });
    assert.equal(value, 'loaded storage 3');
  });
});

describe('unpickle: refusals', () => {
  it('refuses globals outside the allow-list, naming them, without calling anything', () => {
    // os.system('echo pwned') as GLOBAL + REDUCE
    rejects(pkl(0x80, 2, 'cos\nsystem\n', str('echo pwned'), 0x85, 'R', '.'), UnsupportedError, /`os\.system`.*refused for safety/);
    // builtins.eval via STACK_GLOBAL (protocol 4)
    rejects(pkl(0x80, 4, 0x8c, 8, 'builtins', 0x8c, 4, 'eval', 0x93, str('1+1'), 0x85, 'R', '.'), UnsupportedError, /`builtins\.eval`/);
    // a name that looks allowed but is not: torch.load itself
    rejects(pkl('ctorch\nload\n', '.'), UnsupportedError, /`torch\.load`/);
  });

  it('refuses calling referenced-only globals and non-globals', () => {
    const globals: PickleGlobals = new Map([['torch.FloatStorage', {}]]);
    rejects(pkl('ctorch\nFloatStorage\n', ')', 'R', '.'), ModelFormatError, /REDUCE calls torch\.FloatStorage, which is not callable/, { globals });
    rejects(pkl(str('os.system'), ')', 'R', '.'), ModelFormatError, /REDUCE calls str/);
    rejects(pkl(str('x'), 'K', 1, 'R', '.'), ModelFormatError, /instead of an argument tuple/);
    const value = load(pkl('ctorch\nFloatStorage\n', '.'), { globals });
    assert.ok(value instanceof PickleGlobal && value.qualifiedName === 'torch.FloatStorage');
  });

  it('refuses unknown opcodes and protocols, naming them', () => {
    rejects(pkl(0x80, 2, 'I', '1\n', '.'), ModelFormatError, /opcode 0x49 \('I'\) at byte 2/); // protocol 0 INT
    rejects(pkl(0x80, 5, 0x97, '.'), ModelFormatError, /opcode 0x97/); // NEXT_BUFFER (out-of-band data)
    rejects(pkl(0x80, 6, '.'), UnsupportedError, /protocol 6/);
  });

  it('refuses huge lengths before allocating', () => {
    rejects(pkl('X', [0xff, 0xff, 0xff, 0xff], 'abc'), ModelFormatError, /string of 4294967295 bytes .* runs past the end/);
    rejects(pkl(0x8d, [0, 0, 0, 0, 0, 0, 0, 0x80], '.'), ModelFormatError, /string of \d+ bytes/); // BINUNICODE8 2^63
    rejects(pkl('B', [0xff, 0xff, 0xff, 0x7f], '.'), ModelFormatError, /bytes object of 2147483647 bytes/);
    rejects(pkl(0x8b, [0xff, 0xff, 0xff, 0x7f], '.'), ModelFormatError, /LONG4 integer of 2147483647 bytes/);
    rejects(pkl(0x95, [0, 0, 0, 0, 0, 1, 0, 0], '.'), ModelFormatError, /frame of \d+ bytes/);
  });

  it('refuses malformed streams', () => {
    rejects(pkl('h', 3, '.'), ModelFormatError, /memo index 3 read before it was written/);
    rejects(pkl('.'), ModelFormatError, /stack underflow/);
    rejects(pkl('K', 1, '(', '0', '.'), ModelFormatError, /stack underflow/); // POP may not cross a MARK
    rejects(pkl('t', '.'), ModelFormatError, /no MARK/);
    rejects(pkl(')', 'K', 1, 'a', '.'), ModelFormatError, /APPEND to tuple of 0 instead of a list/);
    rejects(pkl('}', '(', 'K', 1, 'u', '.'), ModelFormatError, /odd number/);
    rejects(pkl(']', 'K', 1, 'K', 2, 's', '.'), ModelFormatError, /SETITEM on list/);
    rejects(pkl(']', '}', 'b', '.'), ModelFormatError, /BUILD on list/);
    rejects(pkl('K', 1), ModelFormatError, /before its STOP opcode/);
    rejects(pkl('J', 1, 2), ModelFormatError, /before its STOP opcode/);
    rejects(pkl('cos', '.'), ModelFormatError, /without a terminating newline/);
    rejects(pkl('X', u32(2), [0xc3, 0x28], '.'), ModelFormatError, /not valid UTF-8/);
    rejects(pkl('(', 't', 'Q', '.'), ModelFormatError, /persistent id/);
  });
});
