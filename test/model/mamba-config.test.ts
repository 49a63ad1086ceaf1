import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromGGUF, configToGGUF, parseConfigJson } from '../../src/model/mamba-config.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { ConfigError, UnsupportedError } from '../../src/errors.js';

// state-spaces/mamba-130m config.json
const STATE_SPACES_130M = {
  d_model: 768, n_layer: 24, vocab_size: 50277, ssm_cfg: {}, rms_norm: true,
  residual_in_fp32: true, fused_add_norm: true, pad_vocab_size_multiple: 8,
};
// state-spaces/mamba-130m-hf config.json (carries both schemas)
const HF_130M = {
  architectures: ['MambaForCausalLM'], bos_token_id: 0, conv_kernel: 4, d_inner: 1536, d_model: 768,
  eos_token_id: 0, expand: 2, fused_add_norm: true, hidden_act: 'silu', hidden_size: 768,
  initializer_range: 0.1, intermediate_size: 1536, layer_norm_epsilon: 1e-5, model_type: 'mamba',
  n_layer: 24, num_hidden_layers: 24, pad_token_id: 0, pad_vocab_size_multiple: 8, rescale_prenorm_residual: false,
  residual_in_fp32: true, rms_norm: true, ssm_cfg: {}, state_size: 16, time_step_floor: 1e-4,
  time_step_init_scheme: 'random', time_step_max: 0.1, time_step_min: 0.001, time_step_rank: 48,
  time_step_scale: 1.0, use_bias: false, use_cache: true, use_conv_bias: true, vocab_size: 50280,
};

const EXPECTED_130M = {
  arch: 'mamba', dModel: 768, nLayer: 24, nVocab: 50280, dInner: 1536, dState: 16, dConv: 4, dtRank: 48,
  normEps: 1e-5, projBias: false, convBias: true, tieEmbeddings: true, contextLength: 1 << 20, gateActivation: 'silu',
};

test('state-spaces and HF configs of mamba-130m give the same hyperparameters', () => {
  assert.deepEqual(parseConfigJson(STATE_SPACES_130M, 'ss/config.json'), EXPECTED_130M);
  assert.deepEqual(parseConfigJson(HF_130M, 'hf/config.json'), EXPECTED_130M);
});

test('derived values: d_inner = expand·d_model, dt_rank = ceil(d_model/16), vocab padded', () => {
  const c = parseConfigJson({ d_model: 40, n_layer: 1, vocab_size: 299, pad_vocab_size_multiple: 8, ssm_cfg: { expand: 3, d_state: 8 } }, 'c');
  assert.equal(c.dInner, 120);
  assert.equal(c.dtRank, 3);
  assert.equal(c.nVocab, 304);
  assert.equal(c.dState, 8);
  assert.equal(parseConfigJson({ ...HF_130M, time_step_rank: 'auto' }, 'c').dtRank, 48);
});

test('HF keys win over state-spaces keys', () => {
  const c = parseConfigJson({ ...STATE_SPACES_130M, hidden_size: 64, num_hidden_layers: 2, d_model: 768 }, 'c');
  assert.equal(c.dModel, 64);
  assert.equal(c.nLayer, 2);
});

test('missing and bad keys give ConfigError naming file and key', () => {
  assert.throws(() => parseConfigJson({ n_layer: 2, vocab_size: 10 }, 'x/config.json'), (e: unknown) =>
    e instanceof ConfigError && /x\/config\.json: missing required key `hidden_size` \(or `d_model`\)/.test((e as Error).message));
  assert.throws(() => parseConfigJson({ d_model: -3, n_layer: 2, vocab_size: 10 }, 'c'), /`d_model` must be an integer >= 1/);
  assert.throws(() => parseConfigJson({ d_model: 8, n_layer: 2, vocab_size: 10, use_bias: 'no' }, 'c'), /`use_bias` must be true or false/);
  assert.throws(() => parseConfigJson([], 'c'), ConfigError);
});

test('unsupported architectures are clear errors', () => {
  assert.throws(() => parseConfigJson({ ...STATE_SPACES_130M, ssm_cfg: { layer: 'Mamba2' } }, 'c'), (e: unknown) => e instanceof UnsupportedError && /Mamba-2/.test((e as Error).message));
  assert.throws(() => parseConfigJson({ ...HF_130M, model_type: 'falcon_mamba' }, 'c'), /model_type "falcon_mamba" is not supported/);
  assert.throws(() => parseConfigJson({ ...STATE_SPACES_130M, attn_layer_idx: [3] }, 'c'), /hybrid/);
  assert.throws(() => parseConfigJson({ ...STATE_SPACES_130M, rms_norm: false }, 'c'), /LayerNorm/);
});

test('config → GGUF keys (llama.cpp names and values) → config', () => {
  const meta = new GGUFMetadata('m.gguf');
  configToGGUF(EXPECTED_130M as never, meta);
  assert.deepEqual(
    [...meta.entries()].map(([k, v]) => [k, v.type, v.value]),
    [
      ['general.architecture', 'string', 'mamba'],
      ['mamba.context_length', 'uint32', 1048576],
      ['mamba.embedding_length', 'uint32', 768],
      ['mamba.feed_forward_length', 'uint32', 0],
      ['mamba.attention.head_count', 'uint32', 0],
      ['mamba.block_count', 'uint32', 24],
      ['mamba.ssm.conv_kernel', 'uint32', 4],
      ['mamba.ssm.inner_size', 'uint32', 1536],
      ['mamba.ssm.state_size', 'uint32', 16],
      ['mamba.ssm.time_step_rank', 'uint32', 48],
      ['mamba.attention.layer_norm_rms_epsilon', 'float32', 1e-5],
      ['mamba.ssm.dt_b_c_rms', 'bool', false],
    ],
  );
  const shapes: Record<string, number[]> = { 'token_embd.weight': [50280, 768], 'blk.0.ssm_conv1d.bias': [1536] };
  const back = configFromGGUF(meta, (n) => shapes[n]);
  assert.deepEqual({ ...back, normEps: Math.fround(back.normEps) }, { ...EXPECTED_130M, normEps: Math.fround(1e-5) });
});

test('GGUF: unsupported architecture and missing keys', () => {
  const m = new GGUFMetadata('m.gguf');
  assert.throws(() => configFromGGUF(m, () => undefined), /missing `general.architecture`/);
  m.setString('general.architecture', 'llama');
  assert.throws(() => configFromGGUF(m, () => undefined), (e: unknown) => e instanceof UnsupportedError && /"llama" is not supported/.test((e as Error).message));
  m.setString('general.architecture', 'mamba');
  assert.throws(() => configFromGGUF(m, () => [10, 4]), /required metadata key `mamba.embedding_length` is missing/);
});
