/**
 * A model fingerprint: FNV-1a 64 over the hyperparameters, the tensor table (name, type, shape) and the data
 * of two small tensors (the final norm and layer 0's D), so a saved state is never loaded into another model.
 */
import type { ModelFile } from '../model/model-file.js';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;

export class Fnv1a64 {
  private h = FNV_OFFSET;
  bytes(b: Uint8Array): this {
    let h = this.h;
    for (let i = 0; i < b.length; i++) h = ((h ^ BigInt(b[i])) * FNV_PRIME) & MASK;
    this.h = h;
    return this;
  }
  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }
  hex(): string {
    return this.h.toString(16).padStart(16, '0');
  }
}

export async function modelFingerprint(model: ModelFile): Promise<string> {
  const h = new Fnv1a64();
  const c = model.config;
  h.string(JSON.stringify([c.arch, c.dModel, c.nLayer, c.nVocab, c.dInner, c.dState, c.dConv, c.dtRank, c.tieEmbeddings]));
  if (c.gateActivation !== 'silu') h.string(c.gateActivation); // absent for SiLU: earlier fingerprints stay valid
  for (const t of model.tensors) h.string(`${t.name}:${t.type.name}:${t.shape.join('x')};`);
  for (const name of ['output_norm.weight', 'blk.0.ssm_d']) {
    const t = model.tensor(name);
    if (t) h.bytes(await t.read());
  }
  return h.hex();
}
