/** A copy of the tiny fixture (hf) in a temporary directory with one weight set to NaN: a corrupt model. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from './paths.js';

/** Calls `use` with the directory of the corrupt copy, then removes it. */
export async function withNaNModel<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-nan-'));
  try {
    cpSync(fixture('models', 'tiny', 'hf'), dir, { recursive: true });
    // safetensors: u64 header length, JSON header, data; weight 5 of layer 0's out_proj becomes NaN
    const path = join(dir, 'model.safetensors');
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
    const t = header['backbone.layers.0.mixer.out_proj.weight'];
    if (t?.dtype !== 'F32') throw new Error('the tiny fixture changed: no F32 backbone.layers.0.mixer.out_proj.weight');
    bytes.writeFloatLE(Number.NaN, 8 + headerLen + t.data_offsets[0] + 4 * 5);
    writeFileSync(path, bytes);
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
