"""Gate activation sparsity of a trained model on tinystories-valid-head.txt: per layer, the fraction of gate
entries z <= 0 (z = the second half of in_proj's output; with a ReLU gate y * ReLU(z) those products are exactly 0,
so the matching columns of out_proj are not needed for that token). Also the fraction |z| < 0.01 for context.

    /work/venv/bin/python tools/train/sparsity.py stories-m-relu [--json]

Tokens as evaluate.py's reset mode: [<|endoftext|>] + encode(text), chunks of 512 from the zero state
(PyTorch model of mamba_torch.py on the HF checkpoint models/NAME/hf).
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, VALID_FILE, read_text, reexec_with_process_env  # noqa: E402

if __name__ == '__main__':
    reexec_with_process_env()

import torch  # noqa: E402

from evaluate import load  # noqa: E402


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--ctx', type=int, default=512)
    ap.add_argument('--max-tokens', type=int, default=0, help='only the first N tokens (0: all)')
    ap.add_argument('--json', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from tokenizers import Tokenizer
    hf = REPO / 'models' / args.name / 'hf'
    model = load(hf)
    gate = json.loads((hf / 'config.json').read_text()).get('gate_activation', 'silu')
    tok = Tokenizer.from_file(str(hf / 'tokenizer.json'))
    ids = torch.tensor(tok.encode(read_text(VALID_FILE), add_special_tokens=True).ids)
    if args.max_tokens:
        ids = ids[:args.max_tokens]
    n_layer = len(model.backbone.layers)
    counts = torch.zeros(n_layer, 3, dtype=torch.float64)  # z <= 0, |z| < 0.01, total
    hooks = []
    for i, layer in enumerate(model.backbone.layers):
        def hook(mod, inp, out, i=i):
            z = out.chunk(2, dim=-1)[1]
            counts[i, 0] += (z <= 0).sum().item()
            counts[i, 1] += (z.abs() < 0.01).sum().item()
            counts[i, 2] += z.numel()
        hooks.append(layer.mixer.in_proj.register_forward_hook(hook))
    chunks = [ids[s:s + args.ctx] for s in range(0, len(ids), args.ctx)]
    for c in chunks:  # one chunk at a time: no padding entries counted
        model(c.unsqueeze(0))
    for h in hooks:
        h.remove()
    rows = [{'layer': i, 'z_le_0': (counts[i, 0] / counts[i, 2]).item(), 'abs_z_lt_0.01': (counts[i, 1] / counts[i, 2]).item()}
            for i in range(n_layer)]
    total = (counts[:, 0].sum() / counts[:, 2].sum()).item()
    res = {'name': args.name, 'gate_activation': gate, 'tokens': len(ids), 'd_inner': model.cfg['intermediate_size'],
           'per_layer': rows, 'z_le_0_all_layers': total}
    if args.json:
        print(json.dumps(res, indent=1))
        return
    print(f'{args.name} (gate {gate}), {VALID_FILE}, {len(ids)} tokens in chunks of {args.ctx}: '
          f'fraction of gate entries z <= 0 (= ReLU(z) == 0)')
    print('| layer | z ≤ 0 | \\|z\\| < 0.01 |\n|---:|---:|---:|')
    for r in rows:
        print(f"| {r['layer']} | {r['z_le_0']:.3f} | {r['abs_z_lt_0.01']:.3f} |")
    print(f'| all | {total:.3f} | {(counts[:, 1].sum() / counts[:, 2].sum()).item():.3f} |')


if __name__ == '__main__':
    main()
