import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../src/node/open-model.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { fixture } from '../helpers/paths.js';
import { loadReference, relativeMaxError } from '../helpers/reference-fixture.js';

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

for (const name of ['tiny', 'neox-narrow']) {
  for (const format of ['hf', 'state-spaces']) {
    test(`reference forward matches transformers: ${name} (${format})`, async () => {
      const ref = loadReference(name);
      const model = await openModel(fixture('models', name, format));
      const weights = await loadWeightsF32(model);
      await model.close();
      const fwd = new MambaReference(model.config, weights);
      const logits = new Float32Array(model.config.nVocab);
      assert.equal(model.config.nVocab, ref.nVocab);
      for (let p = 0; p < ref.prompts.length; p++) {
        const prompt = ref.prompts[p];
        const seq = [...prompt.ids, ...prompt.greedy.ids];
        const state = new MambaState(model.config);
        const byPos = new Map(ref.rows.filter((r) => r.prompt === p).map((r) => [r.position, r.logits]));
        const generated: number[] = [];
        let compared = 0;
        for (let t = 0; t < seq.length; t++) {
          fwd.step(seq[t], state, logits);
          const want = byPos.get(t);
          if (want) {
            const err = relativeMaxError(logits, want);
            assert.ok(err < 1e-4, `prompt ${p} position ${t}: relative error ${err}`);
            compared++;
          }
          if (t >= prompt.ids.length - 1 && generated.length < prompt.greedy.n_new) generated.push(argmax(logits));
        }
        assert.equal(compared, byPos.size, 'every reference row was compared');
        assert.ok(compared >= 2);
        assert.deepEqual(generated, prompt.greedy.ids, `greedy ids of prompt ${p}`);
      }
    });
  }
}
