/**
 * Mamba hyperparameters, read from either config.json schema (Hugging Face `MambaConfig` or the
 * state-spaces/mamba original) or from GGUF metadata. Derived values follow the reference:
 * d_inner = expand · d_model, dt_rank = ceil(d_model / 16), vocab padded up to pad_vocab_size_multiple.
 */
import { ConfigError, UnsupportedError } from '../errors.js';
import type { GGUFMetadata } from '../gguf/gguf-metadata.js';

export type MambaArch = 'mamba';

/**
 * The gate of each mixer, y · act(z): SiLU in every published Mamba; ReLU for the activation-sparsity
 * experiment (arXiv 2310.04564). Ours, not llama.cpp's: config.json `gate_activation`, GGUF GATE_ACTIVATION_KEY.
 */
export const GATE_ACTIVATIONS = ['silu', 'relu'] as const;
export type GateActivation = (typeof GATE_ACTIVATIONS)[number];

export interface MambaConfig {
  readonly arch: MambaArch;
  readonly dModel: number;
  readonly nLayer: number;
  /** Rows of the embedding / lm_head (padded vocabulary). */
  readonly nVocab: number;
  readonly dInner: number;
  readonly dState: number;
  readonly dConv: number;
  readonly dtRank: number;
  /** RMSNorm epsilon. */
  readonly normEps: number;
  /** in_proj / out_proj carry biases (`use_bias`, `ssm_cfg.bias`). */
  readonly projBias: boolean;
  /** conv1d carries a bias (`use_conv_bias`, `ssm_cfg.conv_bias`). */
  readonly convBias: boolean;
  /** lm_head shares the embedding matrix. */
  readonly tieEmbeddings: boolean;
  /** Nominal context length (Mamba has no limit; llama.cpp writes 2^20). */
  readonly contextLength: number;
  /** y · act(z) in each mixer; 'silu' unless the model says otherwise. */
  readonly gateActivation: GateActivation;
}

export const DEFAULT_CONTEXT_LENGTH = 1 << 20;

type Json = Record<string, unknown>;

class Reader {
  constructor(
    private readonly json: Json,
    private readonly file: string,
  ) {}

  /** The first of `keys` present (HF key first, then state-spaces), as a positive integer. */
  int(keys: string[], opts: { min?: number; fallback?: number } = {}): number {
    for (const k of keys) {
      const v = this.lookup(k);
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (opts.min ?? 1) || v > 1 << 30) {
        throw new ConfigError(`${this.file}: \`${k}\` must be an integer >= ${opts.min ?? 1}, got ${JSON.stringify(v)}`);
      }
      return v;
    }
    if (opts.fallback !== undefined) return opts.fallback;
    throw new ConfigError(`${this.file}: missing required key \`${keys[0]}\`${keys.length > 1 ? ` (or ${keys.slice(1).map((k) => `\`${k}\``).join(', ')})` : ''}`, {
      hint: 'is this a Mamba config.json? Hugging Face configs have hidden_size/num_hidden_layers, state-spaces ones d_model/n_layer',
    });
  }

  num(keys: string[], fallback: number): number {
    for (const k of keys) {
      const v = this.lookup(k);
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new ConfigError(`${this.file}: \`${k}\` must be a positive number, got ${JSON.stringify(v)}`);
      }
      return v;
    }
    return fallback;
  }

  bool(keys: string[], fallback: boolean): boolean {
    for (const k of keys) {
      const v = this.lookup(k);
      if (v === undefined || v === null) continue;
      if (typeof v !== 'boolean') throw new ConfigError(`${this.file}: \`${k}\` must be true or false, got ${JSON.stringify(v)}`);
      return v;
    }
    return fallback;
  }

  /** `a.b` looks inside nested objects (`ssm_cfg.d_state`). */
  lookup(key: string): unknown {
    let cur: unknown = this.json;
    for (const part of key.split('.')) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Json)[part];
    }
    return cur;
  }
}

/** Parses a config.json in the Hugging Face or state-spaces schema (HF keys win when both are present). */
export function parseConfigJson(json: unknown, file: string): MambaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${file}: expected a JSON object`);
  }
  const r = new Reader(json as Json, file);
  const modelType = r.lookup('model_type');
  const layer = r.lookup('ssm_cfg.layer');
  if (modelType === 'mamba2' || layer === 'Mamba2') {
    throw new UnsupportedError(`${file}: Mamba-2 models are not supported yet (supported: Mamba-1)`);
  }
  if (modelType !== undefined && modelType !== 'mamba') {
    throw new UnsupportedError(`${file}: model_type ${JSON.stringify(modelType)} is not supported (supported: "mamba")`);
  }
  if (layer !== undefined && layer !== 'Mamba1') {
    throw new UnsupportedError(`${file}: ssm_cfg.layer ${JSON.stringify(layer)} is not supported (supported: "Mamba1")`);
  }
  const attn = r.lookup('attn_layer_idx');
  if (Array.isArray(attn) && attn.length > 0) {
    throw new UnsupportedError(`${file}: hybrid Mamba/attention models (attn_layer_idx) are not supported`);
  }
  const dIntermediate = r.lookup('d_intermediate');
  if (typeof dIntermediate === 'number' && dIntermediate > 0) {
    throw new UnsupportedError(`${file}: models with an MLP after each mixer (d_intermediate = ${dIntermediate}) are not supported`);
  }
  if (r.lookup('rms_norm') === false) {
    throw new UnsupportedError(`${file}: rms_norm = false (LayerNorm) is not supported; mamba.ts implements RMSNorm models`);
  }

  const dModel = r.int(['hidden_size', 'd_model']);
  const nLayer = r.int(['num_hidden_layers', 'n_layer']);
  const vocabSize = r.int(['vocab_size']);
  const padMultiple = r.int(['pad_vocab_size_multiple'], { fallback: 1 });
  const nVocab = Math.ceil(vocabSize / padMultiple) * padMultiple;
  const expand = r.int(['expand', 'ssm_cfg.expand'], { fallback: 2 });
  const dInner = r.int(['intermediate_size', 'd_inner', 'ssm_cfg.d_inner'], { fallback: expand * dModel });
  const dState = r.int(['state_size', 'ssm_cfg.d_state'], { fallback: 16 });
  const dConv = r.int(['conv_kernel', 'ssm_cfg.d_conv'], { fallback: 4 });
  const rankRaw = r.lookup('time_step_rank') ?? r.lookup('ssm_cfg.dt_rank');
  const dtRank = rankRaw === undefined || rankRaw === 'auto' ? Math.ceil(dModel / 16) : r.int(['time_step_rank', 'ssm_cfg.dt_rank']);
  return {
    arch: 'mamba',
    dModel,
    nLayer,
    nVocab,
    dInner,
    dState,
    dConv,
    dtRank,
    normEps: r.num(['layer_norm_epsilon', 'norm_epsilon', 'rms_norm_eps'], 1e-5),
    projBias: r.bool(['use_bias', 'ssm_cfg.bias'], false),
    convBias: r.bool(['use_conv_bias', 'ssm_cfg.conv_bias'], true),
    tieEmbeddings: r.bool(['tie_word_embeddings', 'tie_embeddings'], true),
    contextLength: DEFAULT_CONTEXT_LENGTH,
    gateActivation: gateActivation(r.lookup('gate_activation'), `${file}: gate_activation`),
  };
}

function gateActivation(v: unknown, where: string): GateActivation {
  if (v === undefined) return 'silu';
  if (typeof v === 'string' && (GATE_ACTIVATIONS as readonly string[]).includes(v)) return v as GateActivation;
  throw new ConfigError(`${where} must be one of ${GATE_ACTIVATIONS.map((g) => JSON.stringify(g)).join(', ')}, got ${JSON.stringify(v)}`);
}

/**
 * GGUF hyperparameter keys, as llama.cpp's convert_hf_to_gguf.py writes them for `mamba`.
 * `{arch}` is general.architecture. One row per key.
 */
export const MAMBA_GGUF_KEYS = [
  { key: '{arch}.context_length', field: 'contextLength' },
  { key: '{arch}.embedding_length', field: 'dModel' },
  { key: '{arch}.feed_forward_length', field: null }, // unused by Mamba, written as 0 (llama.cpp requires it)
  { key: '{arch}.attention.head_count', field: null }, // likewise
  { key: '{arch}.block_count', field: 'nLayer' },
  { key: '{arch}.ssm.conv_kernel', field: 'dConv' },
  { key: '{arch}.ssm.inner_size', field: 'dInner' },
  { key: '{arch}.ssm.state_size', field: 'dState' },
  { key: '{arch}.ssm.time_step_rank', field: 'dtRank' },
] as const satisfies readonly { key: string; field: keyof MambaConfig | null }[];

export const NORM_EPS_KEY = '{arch}.attention.layer_norm_rms_epsilon';
export const DT_B_C_RMS_KEY = '{arch}.ssm.dt_b_c_rms';
/** Ours (llama.cpp ignores it and would gate with SiLU): written only when the gate is not SiLU. */
export const GATE_ACTIVATION_KEY = '{arch}.ssm.gate_activation';

const k = (key: string, arch: string) => key.replace('{arch}', arch);

/** Writes the hyperparameters as GGUF metadata (general.architecture + the table above). */
export function configToGGUF(c: MambaConfig, meta: GGUFMetadata): void {
  meta.setString('general.architecture', c.arch);
  for (const row of MAMBA_GGUF_KEYS) meta.setU32(k(row.key, c.arch), row.field === null ? 0 : c[row.field]);
  meta.setF32(k(NORM_EPS_KEY, c.arch), c.normEps);
  meta.setBool(k(DT_B_C_RMS_KEY, c.arch), false);
  if (c.gateActivation !== 'silu') meta.setString(k(GATE_ACTIVATION_KEY, c.arch), c.gateActivation);
}

/**
 * Reads hyperparameters from GGUF metadata. Facts the keys do not hold (vocabulary size, biases, tying)
 * come from the tensors, passed in as `tensorShape(name)`.
 */
export function configFromGGUF(meta: GGUFMetadata, tensorShape: (name: string) => readonly number[] | undefined): MambaConfig {
  const file = meta.sourceName;
  const arch = meta.getString('general.architecture');
  if (arch === undefined) throw new ConfigError(`${file}: missing \`general.architecture\``, { hint: 'is this a model file? it has no architecture key' });
  if (arch === 'mamba2') throw new UnsupportedError(`${file}: architecture "mamba2" is not supported yet (supported: "mamba")`);
  if (arch !== 'mamba') throw new UnsupportedError(`${file}: architecture ${JSON.stringify(arch)} is not supported (supported: "mamba")`);
  if (meta.getBool(k(DT_B_C_RMS_KEY, arch)) === true) {
    throw new UnsupportedError(`${file}: ssm.dt_b_c_rms = true (Falcon-Mamba) is not supported yet`);
  }
  const int = (key: string): number => {
    const v = meta.requireNumber(k(key, arch));
    if (!Number.isInteger(v) || v < 1 || v > 1 << 30) throw new ConfigError(`${file}: \`${k(key, arch)}\` must be a positive integer, got ${v}`);
    return v;
  };
  const embd = tensorShape('token_embd.weight');
  if (!embd || embd.length !== 2) throw new ConfigError(`${file}: tensor \`token_embd.weight\` is missing or not 2-D`);
  const eps = meta.getNumber(k(NORM_EPS_KEY, arch)) ?? 1e-5;
  if (!(eps > 0 && eps < 1)) throw new ConfigError(`${file}: \`${k(NORM_EPS_KEY, arch)}\` must be in (0, 1), got ${eps}`);
  return {
    arch,
    dModel: int('{arch}.embedding_length'),
    nLayer: int('{arch}.block_count'),
    nVocab: embd[0],
    dInner: int('{arch}.ssm.inner_size'),
    dState: int('{arch}.ssm.state_size'),
    dConv: int('{arch}.ssm.conv_kernel'),
    dtRank: int('{arch}.ssm.time_step_rank'),
    normEps: eps,
    projBias: tensorShape('blk.0.ssm_in.bias') !== undefined,
    convBias: tensorShape('blk.0.ssm_conv1d.bias') !== undefined,
    tieEmbeddings: tensorShape('output.weight') === undefined,
    contextLength: meta.getNumber(k('{arch}.context_length', arch)) ?? DEFAULT_CONTEXT_LENGTH,
    gateActivation: gateActivation(meta.get(k(GATE_ACTIVATION_KEY, arch)), `${file}: \`${k(GATE_ACTIVATION_KEY, arch)}\``),
  };
}
