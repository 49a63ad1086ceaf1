"""Perplexity of a trained model on tinystories-valid-head.txt, in the two modes of `mamba-ts perplexity`,
added to models/NAME/summary.json (key "valid_mamba_ts") for the model card.

    /work/venv/bin/python tools/train/evaluate.py stories-m

Tokens: encode(text) with the tokenizer's post-processor, i.e. [<|endoftext|>] + ids (add_bos_token).
  stream  the state carries over the whole file; every token after the first is scored
          (= `mamba-ts perplexity MODEL --file tinystories-valid-head.txt`, any --ctx)
  reset   chunks of 512 tokens, each from the zero state, its first token not scored
          (= `mamba-ts perplexity MODEL --file ... --ctx 512 --reset-each-chunk`)
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, VALID_FILE, read_text, reexec_with_process_env  # noqa: E402

if __name__ == '__main__':
    reexec_with_process_env()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mamba_torch import MambaLM  # noqa: E402


def load(hf_dir):
    from transformers import MambaForCausalLM
    hf = MambaForCausalLM.from_pretrained(hf_dir)
    cfg = json.loads((Path(hf_dir) / 'config.json').read_text())
    model = MambaLM({**hf.config.to_dict(), 'gate_activation': cfg.get('gate_activation', 'silu')})
    model.load_state_dict(hf.state_dict(), strict=False)
    return model.eval()


@torch.no_grad()
def nll_stream(model, ids, chunk=1024):
    state = model.new_state(1)
    total = 0.0
    for s in range(0, len(ids) - 1, chunk):
        x = ids[s:s + chunk + 1]
        logits = model(x[:-1].unsqueeze(0), state)[0].double()
        total += F.cross_entropy(logits, x[1:], reduction='sum').item()
    return total, len(ids) - 1


@torch.no_grad()
def nll_reset(model, ids, ctx=512, batch=16):
    chunks = [ids[s:s + ctx] for s in range(0, len(ids), ctx)]
    chunks = [c for c in chunks if len(c) >= 2]
    total, n = 0.0, 0
    for i in range(0, len(chunks), batch):
        group = chunks[i:i + batch]
        for same in ([c for c in group if len(c) == ctx], [c for c in group if len(c) != ctx]):
            if not same:
                continue
            w = torch.stack(same)
            logits = model(w[:, :-1]).double()
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1), reduction='sum').item()
            n += w[:, 1:].numel()
    return total, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--max-tokens', type=int, default=0, help='score only the first N tokens (quick check; not saved)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from tokenizers import Tokenizer
    out = REPO / 'models' / args.name
    model = load(out / 'hf')
    tok = Tokenizer.from_file(str(out / 'hf' / 'tokenizer.json'))
    ids = torch.tensor(tok.encode(read_text(VALID_FILE), add_special_tokens=True).ids)
    if args.max_tokens:
        ids = ids[:args.max_tokens]
    res = {}
    for mode, fn in (('stream', nll_stream), ('reset_512', nll_reset)):
        t = time.time()
        total, n = fn(model, ids)
        res[mode] = {'loss': total / n, 'ppl': math.exp(total / n), 'tokens_scored': n}
        print(f'{args.name} {VALID_FILE} {mode}: mean NLL {total / n:.4f}, perplexity {math.exp(total / n):.3f} '
              f'({n} tokens, {time.time() - t:.0f} s)', flush=True)
    if args.max_tokens:
        return
    path = out / 'summary.json'
    summary = json.loads(path.read_text()) if path.exists() else {}
    summary['valid_mamba_ts'] = res
    path.write_text(json.dumps(summary, indent=2) + '\n')


if __name__ == '__main__':
    main()
