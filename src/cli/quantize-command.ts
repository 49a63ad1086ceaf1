/** `mamba-ts quantize IN.gguf OUT.gguf --type T`: llama-quantize for Mamba GGUF files. */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { openModel } from '../node/open-model.js';
import { quantizeModel } from '../quant/quantize-model.js';
import { describeFallbacks, planTensors, requantizedTensors, typeCounts, type TensorPlan } from '../quant/tensor-plan.js';
import type { TernaryScale } from '../quant/ternary-absmean.js';
import { KEEP_OUTPUT_TYPES, QUANTIZED_WEIGHT_TYPES, type KeepOutputName, type WeightTypeName } from '../quant/weight-types.js';
import type { Command, CommandIO } from './command.js';
import { COMMON_OPTIONS, choiceArg, formatOptions, parseCommandArgs, type ParsedValues } from './parse-args.js';
import { checkOutputPath, writeModelFile } from './write-model-file.js';

const TERNARY_SCALES = ['absmax', 'absmean'] as const satisfies readonly TernaryScale[];

/** Options `quantize` and `convert` share, besides --type. */
export const QUANT_CLI_OPTIONS = {
  'keep-output': {
    type: 'string',
    valueName: 'T',
    description: `type of the embedding / lm_head (token_embd, output): ${KEEP_OUTPUT_TYPES.join(' | ')} (default: --type)`,
  },
  'ternary-scale': {
    type: 'string',
    valueName: 'S',
    description: 'tq1_0 / tq2_0 scale: absmax (ggml: max|w| per 256 weights, default) | absmean (BitNet b1.58: mean|w| per row)',
  },
} as const;

/** Checks --keep-output / --ternary-scale against --type. */
export function parseQuantOptions(
  values: ParsedValues<typeof QUANT_CLI_OPTIONS>,
  type: WeightTypeName,
): { keepOutput?: KeepOutputName; ternaryScale?: TernaryScale } {
  const keepOutput = values['keep-output'] === undefined ? undefined : choiceArg('--keep-output', values['keep-output'], KEEP_OUTPUT_TYPES);
  const ternaryScale = values['ternary-scale'] === undefined ? undefined : choiceArg('--ternary-scale', values['ternary-scale'], TERNARY_SCALES);
  if (ternaryScale !== undefined && type !== 'tq1_0' && type !== 'tq2_0') {
    throw new UsageError(`--ternary-scale applies to --type tq1_0 and tq2_0, not ${type}`);
  }
  return { keepOutput, ternaryScale };
}

/** The per-type counts and the fallbacks, for the summary after writing. */
export function planSummary(plans: readonly TensorPlan[]): string {
  const fallbacks = describeFallbacks(plans);
  let s = `types: ${typeCounts(plans)}\n`;
  if (fallbacks.length > 0) s += `fallbacks (rows not a multiple of the block):\n${fallbacks.map((l) => `  ${l}\n`).join('')}`;
  return s;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  type: { type: 'string', valueName: 'T', description: `weight type: ${QUANTIZED_WEIGHT_TYPES.join(' | ')} (required)` },
  ...QUANT_CLI_OPTIONS,
  force: { type: 'boolean', short: 'f', description: 'overwrite OUT if it exists' },
  quiet: { type: 'boolean', short: 'q', description: 'no progress bar, warnings or summary' },
} as const;

const USAGE = `usage: mamba-ts quantize IN.gguf OUT.gguf --type ${QUANTIZED_WEIGHT_TYPES.join('|')} [--keep-output ${KEEP_OUTPUT_TYPES.join('|')}] [--ternary-scale ${TERNARY_SCALES.join('|')}]

Quantizes the weight matrices of a GGUF model as llama.cpp's llama-quantize does: ssm_in, ssm_x, ssm_dt,
ssm_out and token_embd / output get --type; conv1d, A, D, biases and norms stay F32. A matrix whose rows are
not a multiple of the type's block falls back (q4_k → Q4_0 → F16, q6_k → Q8_0 → F16, tq1_0 / tq2_0 → Q4_0 →
F16, q8_0 / q4_0 → F16); the summary lists them. q4_k_m is llama.cpp's mix: Q4_K, and Q6_K for the lm_head
(the embedding when tied). Metadata is copied (general.file_type and
general.quantization_version are set). An IN that is already quantized is dequantized and requantized.
Checkpoint directories: use \`mamba-ts convert SRC OUT.gguf --type T\`.

options:
${formatOptions(OPTIONS)}`;

function warnRequantized(io: CommandIO, plans: readonly TensorPlan[]): void {
  const re = requantizedTensors(plans);
  if (re.length === 0) return;
  const from = [...new Set(re.map((p) => p.source.type.name))].join(', ');
  io.stderr.write(
    `warning: ${re.length} tensors are already quantized (${from}): they are dequantized to F32 and requantized, which adds\n` +
      `         the errors of both; quantize from an F32 / F16 GGUF when you have one.\n`,
  );
}

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'quantize a GGUF model (q8_0, q4_0, q4_k, q4_k_m, q6_k, tq1_0, tq2_0)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('quantize', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('quantize takes IN.gguf and OUT.gguf', { hint: USAGE.split('\n')[0] });
    if (values.type === undefined) throw new UsageError('quantize needs --type', { hint: USAGE.split('\n')[0] });
    const type = choiceArg('--type', values.type, QUANTIZED_WEIGHT_TYPES);
    const quant = parseQuantOptions(values, type);
    const src = resolve(io.cwd, positionals[0]);
    const out = resolve(io.cwd, positionals[1]);
    if (src === out) throw new UsageError('OUT must differ from IN');
    await checkOutputPath(out, values.force);

    const model = await openModel(src);
    try {
      if (model.format !== 'gguf') {
        throw new UsageError(`${src} is a checkpoint directory, not a GGUF file`, { hint: `use \`mamba-ts convert ${positionals[0]} ${positionals[1]} --type ${type}\`` });
      }
      if (!values.quiet) warnRequantized(io, planTensors(model, { type, ...quant }));
      await writeModelFile(io, model, out, {
        title: 'quantize',
        quiet: values.quiet,
        describe: `${type}${quant.keepOutput ? ` (output ${quant.keepOutput})` : ''}${quant.ternaryScale ? `, ${quant.ternaryScale} scale` : ''}`,
        summary: planSummary,
        write: (sink, onTensor) => quantizeModel(model, sink, { type, ...quant, onTensor: (i, _n, name) => onTensor(i, name) }),
      });
    } finally {
      await model.close();
    }
    return 0;
  },
};
