#!/usr/bin/env node
/**
 * A Mamba model of a bigger shape (state-spaces' 370m … 2.8b) made from a smaller GGUF file, for measuring what
 * loading and running a model of that size costs (memory above all) where no such checkpoint can be downloaded.
 * Every tensor is the small model's tensor of the same role (layer i takes layer i mod n_layer) tiled to the
 * new shape, so the values keep their scales and the forward pass stays finite; the text it writes means
 * nothing. The tokenizer and the other metadata are copied; the weights are written in --type (as
 * `mamba-ts quantize` would: the same plan), one tensor at a time.
 *
 *   npm run build
 *   node tools/bench/scale-model.mjs /tmp/mamba-130m-random/gguf/f32.gguf /tmp/mamba-2.8b-shape-q4_0.gguf --preset 2.8b --type q4_0
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { openModel } from '../../dist/src/node/open-model.js';
import { FileSink } from '../../dist/src/node/file-source.js';
import { configToGGUF } from '../../dist/src/model/mamba-config.js';
import { expectedTensors } from '../../dist/src/model/tensor-names.js';
import { numElements } from '../../dist/src/model/tensor-entry.js';
import { quantizeModel } from '../../dist/src/quant/quantize-model.js';
import { ggmlType } from '../../dist/src/ggml/ggml-type.js';
import { dequantize } from '../../dist/src/ggml/dequantize.js';

/** state-spaces/mamba-* shapes (d_model, n_layer); d_inner = 2·d_model, dt_rank = ⌈d_model / 16⌉. */
const PRESETS = { '370m': [1024, 48], '790m': [1536, 48], '1.4b': [2048, 48], '2.8b': [2560, 64] };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { preset: { type: 'string', default: '2.8b' }, type: { type: 'string', default: 'q4_0' } },
});
const [input, output] = positionals;
const shape = PRESETS[values.preset];
if (!input || !output || !shape) {
  console.error(`usage: scale-model.mjs SMALL.gguf OUT.gguf [--preset ${Object.keys(PRESETS).join('|')}] [--type q4_0|q8_0|f16|…]`);
  process.exit(2);
}
const small = await openModel(input);
try {
  const s = small.config;
  const [dModel, nLayer] = shape;
  const c = { ...s, dModel, nLayer, dInner: 2 * dModel, dtRank: Math.ceil(dModel / 16) };
  configToGGUF(c, small.metadata);
  small.metadata.setString('general.name', `${values.preset}-shaped, tiled from ${small.metadata.getString('general.name') ?? input}`);

  const tensors = expectedTensors(c).filter((e) => e.row.required(c)).map((e) => {
    const bid = /^blk\.(\d+)\./.exec(e.gguf);
    const from = bid ? e.gguf.replace(`blk.${bid[1]}.`, `blk.${Number(bid[1]) % s.nLayer}.`) : e.gguf;
    const src = small.tensor(from);
    if (!src) throw new Error(`${input} has no ${from}`);
    const dims = e.row.shape(c);
    const n = numElements(dims);
    return {
      name: e.gguf,
      type: ggmlType('F32'),
      shape: dims,
      nBytes: 4 * n,
      read: async () => {
        const v = dequantize(await src.read(), src.type, numElements(src.shape));
        const out = new Float32Array(n);
        if (dims.length === 1) for (let i = 0; i < n; i++) out[i] = v[i % v.length];
        else {
          const [rows, cols] = dims;
          const [srcRows, srcCols] = src.shape;
          for (let r = 0; r < rows; r++) {
            const o = (r % srcRows) * srcCols;
            for (let k = 0; k < cols; k++) out[r * cols + k] = v[o + (k % srcCols)];
          }
        }
        return new Uint8Array(out.buffer);
      },
    };
  });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const big = { ...small, config: c, tensors, tensor: (name) => byName.get(name) };
  mkdirSync(dirname(output), { recursive: true });
  const sink = await FileSink.create(output);
  const t0 = Date.now();
  await quantizeModel(big, sink, {
    type: values.type.toLowerCase(),
    onTensor: (i, count, name) => process.stderr.write(`\r${i + 1}/${count} ${name.padEnd(28)}`),
  });
  console.error(`\nwrote ${output}: ${values.preset} shape (d_model ${dModel}, ${nLayer} layers) in ${values.type}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await small.close();
}
