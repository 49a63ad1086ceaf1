import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { MambaError, ModelFormatError, UnsupportedError } from '../../src/errors.js';
import { readTorchBin, readTorchCheckpoint } from '../../src/formats/torch-bin.js';
import { MemorySource } from '../../src/io/byte-source.js';
import { mulberry32 } from '../helpers/prng.js';

const FIXTURES = new URL('../../../test/fixtures/torch-bin/', import.meta.url);

interface ExpectedTensor {
  type: string;
  shape: number[];
  byteOffset: number;
  nBytes: number;
}
/** Written by tools/fixtures/make_torch_bin_fixtures.py: file → name → where its bytes are in expected.raw. */
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as { torch: string; files: Record<string, Record<string, ExpectedTensor>> };
const expectedRaw = readFileSync(new URL('expected.raw', FIXTURES));

function fixture(name: string): MemorySource {
  return new MemorySource(new Uint8Array(readFileSync(new URL(name, FIXTURES))), name);
}

async function rejectsWith(promise: Promise<unknown>, type: new (...args: never[]) => MambaError, ...patterns: RegExp[]): Promise<MambaError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    for (const p of patterns) assert.match(`${err.message}\n${err.hint ?? ''}`, p);
    return true;
  });
  return caught as MambaError;
}

describe('readTorchBin: tensors match what torch saved, bit for bit', () => {
  for (const [file, tensors] of Object.entries(expected.files)) {
    it(file, async () => {
      const entries = await readTorchBin(fixture(file));
      assert.deepEqual([...entries.keys()], Object.keys(tensors));
      for (const [name, want] of Object.entries(tensors)) {
        const entry = entries.get(name)!;
        assert.equal(entry.name, name);
        assert.equal(entry.type.name, want.type, name);
        assert.deepEqual(entry.shape, want.shape, name);
        assert.equal(entry.nBytes, want.nBytes, name);
        const data = await entry.read();
        assert.equal(data.byteLength, want.nBytes, name);
        assert.ok(Buffer.from(data).equals(expectedRaw.subarray(want.byteOffset, want.byteOffset + want.nBytes)), `${file}: bytes of ${name}`);
      }
    });
  }
});

describe('readTorchBin: views and shared storages', () => {
  it('covers the layouts the fixtures promise', async () => {
    const entries = await readTorchBin(fixture('tensors.bin'));
    const shapes = Object.fromEntries([...entries].map(([n, e]) => [n, e.shape]));
    assert.deepEqual(shapes.scalar, []);
    assert.deepEqual(shapes.f16_1d, [5]);
    assert.deepEqual(shapes.bf16_permuted, [4, 2, 3]);
    assert.deepEqual(shapes.empty, [0, 3]);
    assert.deepEqual(
      [...new Set([...entries.values()].map((e) => e.type.name))].sort(),
      ['BF16', 'F16', 'F32'],
    );
  });

  it('gives tied names one storageKey and every other view its own', async () => {
    const entries = await readTorchBin(fixture('tensors.bin'));
    const key = (n: string): string | undefined => entries.get(n)!.storageKey;
    assert.equal(key('embedding.weight'), key('lm_head.weight'));
    const others = [...entries.keys()].filter((n) => n !== 'lm_head.weight').map(key);
    assert.equal(new Set(others).size, others.length);

    const model = await readTorchBin(fixture('state-dict.bin'));
    assert.equal(model.get('lm_head.weight')!.storageKey, model.get('backbone.embedding.weight')!.storageKey);
    assert.notEqual(model.get('backbone.norm_f.weight')!.storageKey, model.get('backbone.norm_f.bias')!.storageKey);
  });

  it('reports the archive prefix and unwraps {"model": state_dict}', async () => {
    assert.equal((await readTorchCheckpoint(fixture('tensors.bin'))).prefix, 'tensors');
    const nested = await readTorchCheckpoint(fixture('nested.bin'));
    assert.equal(nested.prefix, 'nested');
    assert.ok(nested.tensors.has('lm_head.weight'));
  });
});

describe('readTorchBin: refusals are typed and say how to fix them', () => {
  it('unsupported dtypes: listed by readTorchCheckpoint, refused by readTorchBin', async () => {
    const checkpoint = await readTorchCheckpoint(fixture('int64.bin'));
    assert.deepEqual([...checkpoint.tensors.keys()], ['w']);
    assert.deepEqual([...checkpoint.unsupported], [['steps', 'torch.int64']]);
    await rejectsWith(readTorchBin(fixture('int64.bin')), UnsupportedError, /^int64\.bin: tensor `steps` has dtype torch\.int64; supported: float32 \(F32\), float16 \(F16\), bfloat16 \(BF16\)/);
    // uint16 has no typed storage: torch writes _rebuild_tensor_v3(UntypedStorage, ..., torch.uint16)
    await rejectsWith(readTorchBin(fixture('uint16.bin')), UnsupportedError, /tensor `u` has dtype torch\.uint16/);
  });

  it('legacy (pre-1.6) checkpoints', async () => {
    await rejectsWith(readTorchBin(fixture('legacy.bin')), UnsupportedError, /legacy/, /torch >= 1\.6/, /safetensors/);
  });

  it('malicious pickles are refused, never run', async () => {
    await rejectsWith(readTorchBin(fixture('malicious.bin')), UnsupportedError, /^malicious\.bin \(archive\/data\.pkl\): pickle references `os\.system`/, /refused for safety/);
  });

  it('views that run past their storage name the file and the tensor', async () => {
    await rejectsWith(readTorchBin(fixture('bad-extent.bin')), ModelFormatError, /^bad-extent\.bin: tensor `too_long`: .*reads bytes up to 44 of storage `0`, which holds 24/);
  });

  it('big-endian and compressed archives', async () => {
    await rejectsWith(readTorchBin(fixture('big-endian.bin')), UnsupportedError, /byte order is `big`/);
    const deflated = await readTorchBin(fixture('deflated.bin')).then(
      async (entries) => Promise.all([...entries.values()].map((e) => e.read())),
    ).catch((err: unknown) => err);
    assert.ok(deflated instanceof UnsupportedError, String(deflated));
    assert.match(deflated.message, /compressed \(deflate\)/);
  });

  it('files that are not checkpoints', async () => {
    await rejectsWith(readTorchBin(new MemorySource(new Uint8Array(0), 'empty.bin')), ModelFormatError);
    await rejectsWith(readTorchBin(new MemorySource(new TextEncoder().encode('{"not": "a checkpoint"}'), 'x.json')), ModelFormatError, /no zip signature/);
  });
});

describe('readTorchBin: fuzz', () => {
  it('200 seeded mutations either load (and read) or throw a MambaError', async () => {
    const random = mulberry32(0x5eed);
    const int = (n: number): number => Math.floor(random() * n);
    const NASTY = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];
    const originals = ['tensors.bin', 'state-dict.bin', 'tensors-protocol4.bin'].map((f) => readFileSync(new URL(f, FIXTURES)));
    const outcomes = { loaded: 0, refused: 0 };
    for (let i = 0; i < 200; i++) {
      const original = originals[i % originals.length];
      let bytes = new Uint8Array(original);
      // Half the mutations hit the pickle (it starts at byte 64 and is ~1 KB); the rest hit anywhere.
      const position = (): number => (random() < 0.5 ? 64 + int(1000) : int(bytes.length));
      const kind = int(4);
      if (kind === 0) {
        for (let n = 1 + int(4); n > 0; n--) bytes[position()] = int(256);
      } else if (kind === 1) {
        const at = Math.min(position(), bytes.length - 4);
        new DataView(bytes.buffer).setUint32(at, NASTY[int(NASTY.length)], true);
      } else if (kind === 2) {
        bytes = bytes.slice(0, int(bytes.length));
      } else {
        const at = position(); // swap an opcode-sized byte with a neighbour
        [bytes[at], bytes[at + 1]] = [bytes[at + 1] ?? 0, bytes[at]];
      }
      try {
        const entries = await readTorchBin(new MemorySource(bytes, `mutation-${i}.bin`));
        for (const entry of entries.values()) {
          const data = await entry.read();
          assert.equal(data.byteLength, entry.nBytes);
        }
        outcomes.loaded++;
      } catch (err) {
        assert.ok(err instanceof MambaError, `mutation ${i} (kind ${kind}) threw ${err instanceof Error ? err.stack : String(err)}`);
        outcomes.refused++;
      }
    }
    assert.ok(outcomes.loaded > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });
});
